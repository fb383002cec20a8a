"""Image captioning on real photos (#19): the Flickr8k decoders' scores, training CPU time and speed.

    python benchmarks/captioning.py             # recompute every score from the shipped files
    python benchmarks/captioning.py --recorded  # read the scores recorded in the manifest instead
    python benchmarks/captioning.py --shapes    # the older benchmark of the generated-shapes decoders

Lines ``name value unit``:

* ``flickr8k_test_bleu{1..4}_<decoder>``: coco-caption BLEU (pycocoevalcap's scorer, 0-100) of the captions
  of the 1,000 Flickr8k test photos, written here from the shipped float16 weights and the shipped test
  features with the decoding each decoder chose on dev; the references are read from ../shared/data.
  ``flickr8k_test_cider_<decoder>`` likewise (CIDEr-D x100). ``coco_mini_bleu4_<decoder>``: the same on the
  239 coco-mini photos (out of domain: never trained, tuned or selected on). Decoders: gru, dilated_cnn,
  glu_cnn, transformer and blind (the image-blind baseline). ``flickr8k_test_bleu4_best``: the best decoder's.
* ``train_cpu_minutes_<decoder>`` and ``train_cpu_minutes_total``: process CPU time of the training runs
  (``time.process_time`` of ``photo_train train``, dev evaluation and decoding choice included) from the
  manifest. ``feature_cpu_minutes_flickr8k`` / ``_coco_mini``: the Inception-v3 featurising, apart.
* ``caption_ms_<decoder>``: one greedy caption of one photo's features on ONE thread (median of 15
  photos); ``caption_beam_ms_<decoder>`` the same with the recorded decoding; ``encode_photo_ms``:
  Inception-v3 on one photo, one thread (paid once per photo, shared by every decoder).
"""
import argparse
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from models import artefacts  # noqa: E402
from models.device import set_threads  # noqa: E402

AREA = "captioning_photos"


def line(name, value, unit):
    print(f"{name} {value} {unit}", flush=True)


def photos_benchmark(recompute: bool = True) -> dict:
    from models.captioning import photos
    from models.captioning.infer import greedy
    from models.captioning.photo_decoders import ALL
    from models.captioning.photo_train import beam_batch, decode, score

    set_threads(1)
    ents = {e["decoder"]: e for e in artefacts.entries(AREA, "photos_") if "decoder" in e}
    missing = [d for d in ALL if d not in ents]
    if missing:
        print(f"# not shipped: {', '.join(missing)}", flush=True)
    folder = artefacts.folder(AREA)
    feats = {k: np.load(folder / f) for k, f in (("test", "test_features.npz"), ("coco_mini", "coco_mini_features.npz"))}
    refs = {}
    if recompute:
        from models.captioning.photo_ship import references

        refs = {"test": references("flickr8k", [str(n) for n in feats["test"]["names"]]),
                "coco_mini": references("coco-mini", [str(n) for n in feats["coco_mini"]["names"]])}
    out = {}
    vocab = photos.load_vocab()
    for name in [d for d in ALL if d in ents]:
        e = ents[name]
        model, meta = photos.load_decoder(name)
        d = meta["decoding"]
        for key, prefix in (("test", "flickr8k_test"), ("coco_mini", "coco_mini")):
            if recompute:
                z = feats[key]
                ids = decode(model, z["pooled"].astype(np.float32), z["regions"].astype(np.float32), d["mode"], d["width"], d["alpha"])
                s = score(vocab, ids, refs[key])
            else:
                s = {m: e["metrics"][f"{key}_{m}"] for m in ("bleu1", "bleu2", "bleu3", "bleu4", "cider")}
            for m in ("bleu1", "bleu2", "bleu3", "bleu4", "cider"):
                out[f"{prefix}_{m}_{name}"] = round(s[m], 2)
        out[f"train_cpu_minutes_{name}"] = e["cpu_minutes"]
        z = feats["test"]
        ms, bms = [], []
        for i in range(15):
            p, r = z["pooled"][i].astype(np.float32), z["regions"][i].astype(np.float32)
            greedy(model, p, r, max_len=22)
            t0 = time.perf_counter()
            greedy(model, p, r, max_len=22)
            ms.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            beam_batch(model, p[None], r[None], d["width"] if d["mode"] == "beam" else 3, d["alpha"] or 0.5)
            bms.append(1000 * (time.perf_counter() - t0))
        out[f"caption_ms_{name}"] = round(float(np.median(ms)), 1)
        out[f"caption_beam_ms_{name}"] = round(float(np.median(bms)), 1)
    tests = {k[len("flickr8k_test_bleu4_"):]: v for k, v in out.items() if k.startswith("flickr8k_test_bleu4_")}
    seeing = {k: v for k, v in tests.items() if k != "blind"}
    if seeing:
        out["flickr8k_test_bleu4_best"] = max(seeing.values())
    out["train_cpu_minutes_total"] = round(sum(e["cpu_minutes"] for e in ents.values()), 2)
    tf = artefacts.entry(AREA, "photos_test_features") or {}
    cf = artefacts.entry(AREA, "photos_coco_mini_features") or {}
    out["feature_cpu_minutes_flickr8k"] = tf.get("feature_cpu_minutes")
    out["feature_cpu_minutes_coco_mini"] = cf.get("feature_cpu_minutes")
    rgb = np.asarray(np.random.default_rng(0).integers(0, 255, (224, 224, 3)), np.uint8)
    photos.encode_photo(rgb)
    t0 = time.perf_counter()
    for _ in range(3):
        photos.encode_photo(rgb)
    out["encode_photo_ms"] = round(1000 * (time.perf_counter() - t0) / 3, 1)
    return out


UNITS = {"bleu": "BLEU(0-100)", "cider": "CIDEr-D(x100)", "cpu_minutes": "CPU-minutes", "_ms": "ms"}


def unit_of(name: str) -> str:
    for k, u in UNITS.items():
        if k in name:
            return u
    return ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recorded", action="store_true", help="read the scores from the manifest (no ../shared/data needed)")
    ap.add_argument("--shapes", action="store_true", help="the generated-shapes decoders' benchmark instead")
    a = ap.parse_args(argv)
    if a.shapes:
        from benchmarks import captioning_shapes

        return captioning_shapes.main()
    for k, v in photos_benchmark(recompute=not a.recorded).items():
        line(k, v, unit_of(k))


if __name__ == "__main__":
    main()
