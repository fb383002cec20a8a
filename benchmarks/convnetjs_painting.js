// ConvNetJS image painting, headless: the training loop of convnetjs/demo/js/image_regression.js
// (7x20 ReLU MLP, SGD lr 0.01 momentum 0.9 batch 5, 100 random pixels per tick) run in node for a
// fixed time. Usage: node convnetjs_painting.js IMAGE.rgb WIDTH HEIGHT SECONDS [LAYERS WIDTH_HIDDEN]
// Prints one JSON line: samples trained, seconds, and the full-image MSE (mean over pixels and channels).
const path = require('path');
const fs = require('fs');
const convnetjs = require(process.env.CONVNETJS_DIR ? path.resolve(process.env.CONVNETJS_DIR, 'node_modules', 'convnetjs')
                                                      : 'convnetjs');

const [file, W, H, seconds, nLayers, width] = [process.argv[2], +process.argv[3], +process.argv[4],
  +process.argv[5], +(process.argv[6] || 7), +(process.argv[7] || 20)];
const px = fs.readFileSync(file); // W*H*3 bytes, row-major RGB

const defs = [{type: 'input', out_sx: 1, out_sy: 1, out_depth: 2}];
for (let i = 0; i < nLayers; i++) defs.push({type: 'fc', num_neurons: width, activation: 'relu'});
defs.push({type: 'regression', num_neurons: 3});
const net = new convnetjs.Net();
net.makeLayers(defs);
const trainer = new convnetjs.SGDTrainer(net, {learning_rate: 0.01, momentum: 0.9, batch_size: 5, l2_decay: 0.0});

const v = new convnetjs.Vol(1, 1, 2, 0.0);
function fullMSE() {
  let se = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    v.w[0] = (x - W / 2) / W; v.w[1] = (y - H / 2) / H;
    const out = net.forward(v);
    const i = (y * W + x) * 3;
    for (let c = 0; c < 3; c++) { const d = out.w[c] - px[i + c] / 255; se += d * d; }
  }
  return se / (W * H * 3);
}

let samples = 0, trainMs = 0;
const checkpoints = [];
let nextCheck = 1000;
const t0 = Date.now();
while (trainMs < seconds * 1000) {
  const ts = Date.now();
  for (let k = 0; k < 100; k++) { // one tick of the demo: 100 random pixels
    const x = Math.floor(Math.random() * W), y = Math.floor(Math.random() * H);
    const i = (y * W + x) * 3;
    v.w[0] = (x - W / 2) / W; v.w[1] = (y - H / 2) / H;
    trainer.train(v, [px[i] / 255, px[i + 1] / 255, px[i + 2] / 255]);
    samples++;
  }
  trainMs += Date.now() - ts;
  if (trainMs >= nextCheck) { checkpoints.push([trainMs / 1000, fullMSE()]); nextCheck += 1000; }
}
console.log(JSON.stringify({samples, seconds: trainMs / 1000, mse: fullMSE(), checkpoints,
                            wall_seconds: (Date.now() - t0) / 1000}));
