"""GPU figures: the deck's heavy workloads on CUDA or Apple MPS, float32 — or a plain "no GPU" line.

    python benchmarks/gpu.py [--seconds 5] [--device auto|cuda|mps|cpu] [--tf32]

With ``--device auto`` (the default) the device is ``models.device.pick_device()``; on a machine
without a GPU the script prints ``gpu none`` and why, and exits 0 (the deck never needs a GPU).
``--device cpu`` runs the same loops on the CPU (to compare); ``--device cpu --small --seconds 0.5`` checks
that every loop runs, where there is no GPU (a minute on a busy 2-core machine).

Each workload is the deck's own network, with the settings its slide or training script uses, moved to
the device (the demos and training scripts themselves still run on the CPU):

* ``painting_samples_per_s``: the painting slide's default net (7×20 ReLU, 8 Fourier-feature
  frequencies, Adam lr 0.01, batches of 4,000 pixels) on the 200×200 cat.
* ``style_transfer_s``: 20 L-BFGS iterations of the Gatys transfer (Inception-v3 blocks, the slide's
  content and style layers) at 256 px a side.
* ``deepdream_s``: Deep Dream, 4 octaves × 20 steps on a 450 px photo, layer ``mixed_3``.
* ``bubble_train_games_per_s``: not measured on a GPU: ``models/bubble/train.py`` plays with int8
  oneDNN kernels on the CPU; the line says so.
* ``charrnn_train_steps_per_s``: the char-RNN (2×384 GRU, embedding 64) at batch 32 × 128 characters,
  Adam + gradient clipping.
* ``captioning_<decoder>_train_steps_per_s``: each decoder at batch 128, 16-word captions, a
  1,000-word vocabulary, pooled and 3×3 region features.

Timings exclude the first steps (kernel selection, cuDNN autotune) and synchronise the device before
the clock is read. Lines are ``name value unit``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def line(name: str, value, unit: str = "") -> None:
    print(f"{name} {value} {unit}".rstrip(), flush=True)


def timed(step, device, seconds: float, warmup: int = 3) -> tuple[int, float]:
    """Run ``step()`` ``warmup`` times, then as often as fits in ``seconds``: (steps, elapsed seconds)."""
    from models.device import synchronize

    for _ in range(warmup):
        step()
    synchronize(device)
    n, t0 = 0, time.perf_counter()
    while True:
        step()
        n += 1
        if device.type == "cpu" or n % 5 == 0:   # a GPU sync every step would stall its queue
            synchronize(device)
            if time.perf_counter() - t0 >= seconds:
                return n, time.perf_counter() - t0


def painting(device, seconds: float) -> None:
    import torch

    from models.basics import painting as pt

    torch.manual_seed(0)
    img = pt.sample_image("chelsea", 200)
    h, w = img.shape[:2]
    net = pt.make_mlp(7, 20, 8).to(device)
    inputs = pt.fourier_features(torch.from_numpy(pt.coordinates(h, w)), 8).contiguous().to(device)
    targets = torch.from_numpy(img.reshape(-1, 3).copy()).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    batch = 4000

    def step():
        idx = torch.randint(0, inputs.shape[0], (batch,), device=device)
        loss = (net(inputs[idx]) - targets[idx]).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    n, dt = timed(step, device, seconds)
    line("painting_samples_per_s", round(n * batch / dt), "samples/s")


def _photo(side: int):
    import numpy as np

    from models.basics.painting import sample_image

    rgb = sample_image("chelsea", side)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8) if rgb.dtype != np.uint8 else rgb


def _to_device_x(rgb, device):
    import numpy as np
    import torch

    x = torch.from_numpy(np.array(rgb[..., :3], dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
    return x.contiguous().to(device)


def style_transfer(net, device, iterations: int = 20, side: int = 256) -> None:
    import torch

    from models.vision import inception, style

    blocks = inception.blocks(net)
    names = inception.LAYERS
    wanted = [style.CONTENT_LAYER, *style.STYLE_LAYERS]
    last = max(names.index(n) for n in wanted)

    def acts(x):
        out = {}
        for name, block in zip(names[: last + 1], blocks):
            x = block(x)
            if name in wanted:
                out[name] = x
        return out

    content = _to_device_x(_photo(side), device)
    style_img = _to_device_x(style.swirl_painting(side, side), device)
    with torch.no_grad():
        target_c = acts(content)[style.CONTENT_LAYER]
        target_g = {k: style.gram(v) for k, v in acts(style_img).items() if k in style.STYLE_LAYERS}
    x = content.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=20)

    def closure():
        opt.zero_grad()
        a = acts(x)
        loss = ((a[style.CONTENT_LAYER] - target_c).pow(2).mean()
                + 1e4 * sum((style.gram(a[k]) - target_g[k]).pow(2).sum() for k in style.STYLE_LAYERS)
                + 10.0 * style.total_variation(x))
        loss.backward()
        return loss

    opt.step(closure)   # warm-up
    from models.device import synchronize

    synchronize(device)
    t0 = time.perf_counter()
    for _ in range(iterations):
        opt.step(closure)
    synchronize(device)
    line("style_transfer_s", round(time.perf_counter() - t0, 2), f"s ({iterations} L-BFGS iterations, {side} px)")


def deep_dream(net, device, octaves: int = 4, steps: int = 20, side: int = 450) -> None:
    import torch
    import torch.nn.functional as F

    from models.device import synchronize
    from models.vision.inception import run_to

    base = _to_device_x(_photo(side), device)
    gen = torch.Generator().manual_seed(0)

    def run(octaves, steps):
        h, w = base.shape[2:]
        sizes = [(max(75, round(h / 1.4**i)), max(75, round(w / 1.4**i))) for i in range(octaves)][::-1]
        detail = torch.zeros(1, 3, *sizes[0], device=device)
        for size in sizes:
            img0 = F.interpolate(base, size=size, mode="bilinear", align_corners=False, antialias=True)
            detail = F.interpolate(detail, size=size, mode="bilinear", align_corners=False)
            x = img0 + detail
            for _ in range(steps):
                dy, dx = (int(v) for v in torch.randint(-16, 17, (2,), generator=gen))
                x = torch.roll(x, (dy, dx), (2, 3)).detach().requires_grad_(True)
                (g,) = torch.autograd.grad(run_to(net, x, "mixed_3").pow(2).mean(), x)
                with torch.no_grad():
                    x = torch.roll(x + 0.02 * g / (g.abs().mean() + 1e-8), (-dy, -dx), (2, 3)).clamp(-1, 1)
            detail = (x - img0).detach()
        return x

    run(1, 2)   # warm-up
    synchronize(device)
    t0 = time.perf_counter()
    run(octaves, steps)
    synchronize(device)
    line("deepdream_s", round(time.perf_counter() - t0, 2), f"s ({octaves} octaves x {steps} steps, {side} px)")


def charrnn(device, seconds: float, batch: int = 32, seq: int = 128) -> None:
    import torch

    from models.language.charrnn import CharGRU, CharRNNConfig

    torch.manual_seed(0)
    cfg = CharRNNConfig(vocab_size=80, emb=64, hidden=384, layers=2)
    model = CharGRU(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    ids = torch.randint(0, cfg.vocab_size, (batch, seq + 1), device=device)   # speed does not depend on the text

    def step():
        logits, _ = model(ids[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab_size), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    n, dt = timed(step, device, seconds)
    line("charrnn_train_steps_per_s", round(n / dt, 1), f"steps/s (2x384 GRU, batch {batch} x {seq} chars)")


def captioning(device, seconds: float, batch: int = 128) -> None:
    import torch

    from models.captioning import decoders
    from models.captioning.train import loss_on

    vocab, words, regions = 1000, 16, 9
    for name in decoders.DECODERS:
        torch.manual_seed(0)
        model = decoders.build(name, vocab).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        caps = torch.randint(1, vocab, (batch, words + 1), device=device)
        pooled = torch.randn(batch, decoders.POOLED, device=device)
        reg = torch.randn(batch, regions, decoders.REGION, device=device)

        def step():
            loss = loss_on(model, pooled, reg, caps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        n, dt = timed(step, device, seconds)
        line(f"captioning_{name}_train_steps_per_s", round(n / dt, 1), f"steps/s (batch {batch})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    ap.add_argument("--seconds", type=float, default=5.0, help="timing window per workload")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 on CUDA (default: strict float32)")
    ap.add_argument("--small", action="store_true",
                    help="tiny sizes (2 L-BFGS iterations and 1 octave x 2 dream steps at 96 px, char-RNN batch "
                         "4 x 32, captioning batch 8): checks "
                         "that every loop runs, e.g. with --device cpu; not the figures above")
    args = ap.parse_args(argv)
    if args.seconds <= 0:
        ap.error("--seconds must be positive")

    import torch

    from models.device import describe, device_available, pick_device, set_threads

    if args.device == "auto":
        device = pick_device()
        if device.type == "cpu":
            cuda = "CUDA: none" if not torch.cuda.is_available() else "CUDA present"
            why = "this torch has no CUDA" if torch.version.cuda is None else cuda
            line("gpu", "none")
            print(f"# no GPU here (torch {torch.__version__}: {why}; MPS: "
                  f"{'yes' if device_available('mps') else 'no'}); the deck runs on the CPU. "
                  "`--device cpu` times the same loops on the CPU.", flush=True)
            return 0
    else:
        if not device_available(args.device):
            print(f"# {args.device} is not available here (torch {torch.__version__})", file=sys.stderr)
            return 1
        device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
        torch.backends.cudnn.benchmark = True
    if device.type == "cpu":
        set_threads(1)   # one thread, as the demos: on a busy small machine more threads spin against each other
    print(f"# {describe(device)}; torch {torch.__version__}; float32"
          f"{' (TF32 allowed)' if args.tf32 and device.type == 'cuda' else ''}; {args.seconds:g} s per workload",
          flush=True)
    line("gpu", describe(device).replace(" ", "_"))

    from models.vision.inception import load_inception

    painting(device, args.seconds)
    net = load_inception().to(device)
    if args.small:
        style_transfer(net, device, iterations=2, side=96)
        deep_dream(net, device, octaves=1, steps=2, side=96)
    else:
        style_transfer(net, device)
        deep_dream(net, device)
    line("bubble_train_games_per_s", "n/a", "(models/bubble/train.py plays with int8 oneDNN kernels: CPU only; "
         "see benchmarks/bubble.py)")
    if args.small:
        charrnn(device, args.seconds, batch=4, seq=32)
        captioning(device, args.seconds, batch=8)
    else:
        charrnn(device, args.seconds)
        captioning(device, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
