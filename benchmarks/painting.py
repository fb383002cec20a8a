"""Painting benchmark: our PyTorch painter against ConvNetJS itself, same image, same 7×20 net.

    python benchmarks/painting.py [--seconds 20] [--threads 1]

ConvNetJS (npm ``convnetjs`` 0.3.0, installed into the git-ignored ``build/convnetjs`` with npm on first
use, run with node) trains the 7×20 ReLU net with the 2016 page's settings (SGD lr 0.01, momentum 0.9,
batch 5, 100 pixels per tick) on the 200×200 cat for ``--seconds``; we record its samples/s and the
full-image MSE it reached. Then ours trains the same 7×20 net on the same pixels with the deck's default
live settings (Adam lr 0.01 on batches of 4,000 pixels, 8 Fourier-feature frequencies) until it reaches
that MSE. Printed, one ``name value unit`` per line:

* ``convnetjs_samples_per_s``: ConvNetJS training throughput.
* ``ours_samples_per_s``: ours, default live settings.
* ``speedup_to_convnetjs_20s_loss``: ConvNetJS's training time divided by our time to the same loss.
* ``preview_fps``: live-preview refreshes per second of the demo's tick (train for the tick budget, paint
  the whole image, encode it as PNG, as the Streamlit fragment does), measured in-process.

plus extra lines for the 2016 settings in PyTorch and for Adam without Fourier features.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NODE_DIR = ROOT / "build" / "convnetjs"


def ensure_convnetjs() -> None:
    if not (NODE_DIR / "node_modules" / "convnetjs").exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR), "convnetjs@0.3.0"],
                       check=True, capture_output=True)


def run_convnetjs(img_u8: np.ndarray, seconds: float) -> dict:
    h, w = img_u8.shape[:2]
    with tempfile.NamedTemporaryFile(suffix=".rgb", delete=False) as f:
        f.write(img_u8.tobytes())
        path = f.name
    try:
        out = subprocess.run(["node", str(ROOT / "benchmarks" / "convnetjs_painting.js"), path, str(w), str(h),
                              str(seconds)], check=True, capture_output=True, text=True,
                             env={**os.environ, "CONVNETJS_DIR": str(NODE_DIR)})
    finally:
        os.unlink(path)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    import torch

    from models.session1.painting import PaintConfig, Painter, sample_image, seconds_to_reach
    from models.session1.painting import preview_tick

    ap = argparse.ArgumentParser(description="ConvNetJS vs ours on the 7×20 painting net")
    ap.add_argument("--seconds", type=float, default=20.0, help="ConvNetJS training time")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (ConvNetJS uses one)")
    ap.add_argument("--seeds", type=int, default=3, help="our runs to take the median over")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    img = sample_image("chelsea", 200)
    img_u8 = (img * 255).round().astype(np.uint8)
    img = img_u8.astype(np.float32) / 255.0  # exactly the pixels ConvNetJS sees

    ensure_convnetjs()
    cj = run_convnetjs(img_u8, args.seconds)
    target = cj["mse"]
    print(f"convnetjs_samples_per_s {cj['samples'] / cj['seconds']:.0f} samples/s")
    print(f"convnetjs_mse_after_{args.seconds:g}s {target:.5f} mse")

    def ours(mode, fourier, seed):
        p = Painter(img, PaintConfig.from_preset("deep", mode, fourier, seed))
        t = seconds_to_reach(p, target, budget=args.seconds)
        return p, t

    runs = [ours("adam", 8, s) for s in range(args.seeds)]
    times = [t for _, t in runs]
    sps = np.median([p.samples / p.train_seconds for p, _ in runs])
    print(f"ours_samples_per_s {sps:.0f} samples/s")
    if all(t is not None for t in times):
        print(f"speedup_to_convnetjs_20s_loss {cj['seconds'] / float(np.median(times)):.1f} x")
        print(f"ours_seconds_to_convnetjs_loss {float(np.median(times)):.2f} s")
    else:
        print("speedup_to_convnetjs_20s_loss nan x  # ours did not reach the loss within the budget")

    p, tick_times = runs[0][0], []
    t_end = time.perf_counter() + 5.0
    while time.perf_counter() < t_end:  # the demo's fragment tick, as fast as it can go
        t0 = time.perf_counter()
        preview_tick([p])
        tick_times.append(time.perf_counter() - t0)
    print(f"preview_fps {1.0 / float(np.mean(tick_times)):.1f} fps")

    p, t = ours("adam", 0, 0)
    print(f"ours_adam_no_fourier_seconds_to_convnetjs_loss {t if t is not None else float('nan'):.2f} s")
    p, t = ours("sgd2016", 0, 0)
    print(f"ours_sgd2016_samples_per_s {p.samples / p.train_seconds:.0f} samples/s")
    print(f"ours_sgd2016_mse_after_{args.seconds:g}s {p.history[-1][3]:.5f} mse"
          + ("" if t is None else f"  # reached the ConvNetJS loss at {t:.1f} s"))
    print(f"torch_threads {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
