"""Session II (vision) speed and memory figures, one `name value unit` line each.

    python benchmarks/vision.py            # model timings (about a minute on 2 CPU cores)
    python benchmarks/vision.py --rss      # also: server RSS after opening every Session II demo in a
                                           # real browser and pressing its main action (needs Chromium)

classify_ms       EfficientNet-Lite0, one 224×224 image, median of 10 (plus classify_ms_gpu with a GPU)
features_ms       Inception-v3 2048-d pool features, one 299×299 image, median of 5
deepdream_s       Deep Dream, the 300×451 cat, 20 steps on mixed_3, one octave (goal ≤ 10 s)
style_s_per_iter  Gatys style transfer, one L-BFGS iteration at 256×170 (median of 8 after 2 warm-up)
rss_session_2_mb  (--rss) server RSS after the Session II demos, each opened in the demo harness with its
                  main action pressed; with --with-session1, Session I's demos first (rss_sessions_1_2_mb)
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deck.serve import CHROMIUM_FLAGS, chromium_path  # noqa: E402


def line(name, value, unit):
    print(f"{name} {value} {unit}", flush=True)


def timings():
    import numpy as np
    import torch

    from models.device import describe, pick_device, set_threads
    from models.vision.deepdream import dream
    from models.vision.imagenet import load_classifier, time_per_image
    from models.data.images import sample
    from models.vision.inception import load_inception, time_features
    from models.vision.style import GatysTransfer, style_sample

    threads = set_threads("shared_model")
    print(f"# {describe(torch.device('cpu'))}, os.cpu_count()={os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f} at start", flush=True)
    clf = load_classifier("cpu")
    line("classify_ms", round(time_per_image(clf, torch.device("cpu"), 10), 1), "ms")
    dev = pick_device()
    if dev.type != "cpu":
        line("classify_ms_gpu", round(time_per_image(load_classifier(dev), dev, 10), 2), "ms")
    net = load_inception("cpu")
    line("features_ms", round(time_features(net, 5), 1), "ms")
    cat = sample("cat (Chelsea)")  # 300×451
    t0 = time.perf_counter()
    dream(net, cat, "mixed_3", steps=20, step_size=0.015)
    line("deepdream_s", round(time.perf_counter() - t0, 2), "s")
    g = GatysTransfer(net, cat, style_sample("swirls (drawn by code)"), 256)
    g.step(2)
    per = []
    for _ in range(8):
        t0 = time.perf_counter()
        g.step(1)
        per.append(time.perf_counter() - t0)
    line("style_s_per_iter", round(float(np.median(per)), 3), "s")
    print(f"# torch threads {threads}; load average {os.getloadavg()[0]:.1f} at end", flush=True)


SESSION1 = ["neuron", "layers", "gradient_descent", "backprop", "autograd", "painting", "playground", "mnist_dense"]
SESSION2 = ["convolution", "imagenet", "mnist_cnn", "transfer", "deepdream", "style_transfer"]


def rss(with_session1: bool = False):
    """Open each Session II demo (and Session I's, if asked) in Chromium against one server (the demo
    harness), press its main action (key ending ``_action``), and read the server's RSS."""
    from playwright.sync_api import sync_playwright

    port = next(p for p in range(8528, 8519, -1) if socket.socket().connect_ex(("127.0.0.1", p)) != 0)
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "scripts/demo_harness.py",
                               "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
                               "--server.fileWatcherType=none"], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        demos = (SESSION1 if with_session1 else []) + SESSION2
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name in demos:
                page.goto(f"{url}/?demo={name}")
                page.wait_for_selector(".stApp", timeout=60_000)
                time.sleep(4)
                btn = page.locator(f".st-key-{name}_action button").first
                if btn.count():
                    btn.click()
                    time.sleep(12)  # let the action run (live loops keep running meanwhile)
            browser.close()
        kb = int(next(l for l in open(f"/proc/{server.pid}/status") if l.startswith("VmRSS")).split()[1])
        print(f"# RSS measured in the demo harness after {len(demos)} demos, each with its main action pressed")
        line("rss_sessions_1_2_mb" if with_session1 else "rss_session_2_mb", round(kb / 1024), "MB")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rss", action="store_true")
    ap.add_argument("--with-session1", action="store_true", help="with --rss: open Session I's demos first")
    ap.add_argument("--no-timings", action="store_true")
    args = ap.parse_args()
    if not args.no_timings:
        timings()
    if args.rss:
        rss(args.with_session1)
