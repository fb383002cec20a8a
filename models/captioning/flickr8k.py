"""Flickr8k and coco-mini: the real captioned photos of ``../shared/data`` (read its README), featurised.

The photos and caption files stay outside the repository (they are not ours to redistribute); this module
reads them where they lie and caches Inception-v3 features under ``data/captioning_photos/`` (gitignored).

Features (the talk's encoder, Inception-v3):

* every photo is scaled to **299 x 299**, the size Inception-v3 was trained at (the shared copy's photos
  are 224 x 224, and the first decoders saw them at that size: the transformer's dev BLEU-4 after 3
  epochs was 16.1 then, 16.9 on the 299-px features -- with bfloat16 training changed at the same time,
  so not a clean comparison). One core of a Sapphire Rapids machine: 0.16 s per photo at 299 px (0.07 s
  at 224 px); 8,000 photos with 2 workers took about 11 minutes;
* ``pooled``: the 2048-d average of ``mixed_10`` (an 8 x 8 map at 299 px);
* ``regions``: that map averaged to a **4 x 4 grid** (2 x 2 cells) of 2048-d vectors: 16 regions for the
  transformer's attention, small enough to ship the test split.

    python -m models.captioning.flickr8k --set flickr8k --workers 2
    python -m models.captioning.flickr8k --set coco-mini --workers 2

writes ``data/captioning_photos/<set>_features.npz`` (pooled, regions float16, names, splits, seconds,
cpu_seconds). Captions are read again from the shared folder whenever they are needed (``load_set``).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import pathlib
import resource
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
SIZE = 299     # Inception-v3 input pixels (its training size; the shared photos are 224 px, scaled up)
GRID = 4       # regions per side
MAP_SIDE = (SIZE - 75) // 32 + 1  # side of Inception-v3's mixed_10 map at SIZE px (8 at 299, 5 at 224)
CACHE = pathlib.Path(os.environ.get("CAPTION_PHOTOS_CACHE") or ROOT / "data" / "captioning_photos")
SETS = ("flickr8k", "coco-mini")


def shared_data() -> pathlib.Path:
    """``../shared/data`` beside the checkout (``CAPTION_PHOTOS`` overrides)."""
    env = os.environ.get("CAPTION_PHOTOS")
    if env:
        return pathlib.Path(env)
    for cand in (ROOT.parent / "shared" / "data", ROOT / "shared" / "data"):
        if cand.is_dir():
            return cand
    return ROOT.parent / "shared" / "data"


def load_set(name: str, root: pathlib.Path | None = None):
    """[(image file name, [captions], split)] of a set; split is train / val / test (coco-mini: test).
    A clear FileNotFoundError when the shared data is missing."""
    from .formats import read_flickr_tokens

    if name not in SETS:
        raise ValueError(f"unknown set {name!r}: one of {SETS}")
    base = (root or shared_data()) / name
    caps = base / "captions.txt"
    if not caps.exists():
        raise FileNotFoundError(f"{caps} not found: the real photos live in ../shared/data (see its README)")
    if name == "flickr8k":
        sp = base / "splits"
        items = read_flickr_tokens(caps, splits={"train": sp / "Flickr_8k.trainImages.txt",
                                                 "val": sp / "Flickr_8k.devImages.txt",
                                                 "test": sp / "Flickr_8k.testImages.txt"})
    else:
        items = read_flickr_tokens(caps)
        for it in items:
            it.split = "test"
    return [(it.image, it.captions, it.split) for it in items], base / "images"


# -- encoding -------------------------------------------------------------------------------------


def encode_batch(net, images: list[np.ndarray], size: int = SIZE, grid: int = GRID):
    """(pooled (n, 2048) float32, regions (n, grid*grid, 2048) float32) for RGB uint8 pictures."""
    import torch
    import torch.nn.functional as F

    from models.vision.inception import net_device, run_to, to_input

    with torch.inference_mode():
        x = torch.cat([to_input(im, size) for im in images]).to(net_device(net))
        fmap = run_to(net, x, "mixed_10")  # (n, 2048, MAP_SIDE, MAP_SIDE)
        pooled = fmap.mean((2, 3))
        regions = F.adaptive_avg_pool2d(fmap, grid).flatten(2).transpose(1, 2)
    return pooled.cpu().numpy().astype(np.float32), regions.cpu().numpy().astype(np.float32)


_W: dict = {}


def _init(folder: str):
    from models.device import set_threads
    from models.vision.inception import load_inception

    set_threads(1)  # one thread per worker process: the cores are shared
    _W["net"], _W["folder"] = load_inception("cpu"), folder


def _work(chunk):
    from models.data.images import load_image_bytes

    start, names = chunk
    pics = [load_image_bytes(pathlib.Path(_W["folder"], n).read_bytes(), n).array for n in names]
    p, r = encode_batch(_W["net"], pics)
    return start, p.astype(np.float16), r.astype(np.float16)


def featurise(names: list[str], folder, workers: int = 2, batch: int = 16, progress=print):
    """Features of every named photo; returns (pooled, regions, wall seconds, CPU seconds of the workers)."""
    n = len(names)
    pooled = np.zeros((n, 2048), np.float16)
    regions = np.zeros((n, GRID * GRID, 2048), np.float16)
    chunks = [(i, names[i:i + batch]) for i in range(0, n, batch)]
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    pool = mp.get_context("spawn").Pool(workers, initializer=_init, initargs=(str(folder),))
    done = 0
    for start, p, r in pool.imap_unordered(_work, chunks):
        pooled[start:start + len(p)], regions[start:start + len(r)] = p, r
        done += len(p)
        if progress and (done // batch) % 50 == 0:
            el = time.perf_counter() - t0
            progress(f"{done}/{n} photos, {1000 * el / done:.0f} ms each (wall), {el:.0f} s")
    pool.close()
    pool.join()
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    return pooled, regions, time.perf_counter() - t0, cpu


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Inception-v3 features of the shared real photos (Flickr8k, coco-mini)")
    ap.add_argument("--set", choices=SETS, default="flickr8k")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N photos (a quick try)")
    ap.add_argument("--out", default="", help=f"default {CACHE}/<set>_features.npz")
    a = ap.parse_args(argv)
    items, folder = load_set(a.set)
    if a.limit:
        items = items[:a.limit]
    names = [it[0] for it in items]
    pooled, regions, secs, cpu = featurise(names, folder, a.workers)
    out = pathlib.Path(a.out or CACHE / f"{a.set}_features.npz")
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, pooled=pooled, regions=regions, names=np.array(names), splits=np.array([it[2] for it in items]),
             seconds=secs, cpu_seconds=cpu, size=SIZE, grid=GRID)
    print(f"{len(names)} photos in {secs:.0f} s wall, {cpu / 60:.1f} CPU-minutes ({a.workers} workers, 1 thread each) "
          f"-> {out}", flush=True)


if __name__ == "__main__":
    main()
