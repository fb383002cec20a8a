"""Score the Flickr8k decoders once on test (and coco-mini) and ship them to models/artefacts/captioning_photos.

    python -m models.captioning.photo_ship [--decoders gru transformer ...]

For each decoder trained by ``photo_train train`` (``data/captioning_photos/run/<decoder>.pt``): its weights
are rounded to float16 (what ships), loaded back, and the captions of the 1,000 Flickr8k test photos and of
the 239 coco-mini photos are written with the decoding chosen on dev; coco-caption BLEU-1..4 and CIDEr-D
are recorded in the manifest with the training command, CPU minutes and device. The test and coco-mini
features ship too (float16; regions already PCA-compressed), so a test can redo every score from the
shipped files plus the reference captions in ../shared/data.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil

import numpy as np

from models import artefacts

from .flickr8k import CACHE, GRID, MAP_SIDE, SIZE, load_set
from .photo_train import RUN, Prepared, decode, score

AREA = "captioning_photos"
DATA = "Flickr8k official split (../shared/data/flickr8k): 6,000 training photos x 5 captions"
FEATURE_CMD = ("python -m models.captioning.flickr8k --set flickr8k --workers 2 && "
               "python -m models.captioning.flickr8k --set coco-mini --workers 2 && "
               "python -m models.captioning.photo_train prepare")


def references(set_name: str, names: list[str]) -> list[list[str]]:
    """The reference captions of ``names`` from ../shared/data (never shipped)."""
    items, _ = load_set(set_name)
    caps = {it[0]: it[1] for it in items}
    missing = [n for n in names if n not in caps]
    if missing:
        raise KeyError(f"{len(missing)} photos not in {set_name}'s captions, e.g. {missing[:3]}")
    return [caps[n] for n in names]


def half_state(state: dict) -> dict:
    return {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}


def _scst_command(name: str, sc: dict | None) -> str:
    """The photo_scst step of a decoder's command ('' when it was not fine-tuned)."""
    if not sc:
        return ""
    return (f" && python -m models.captioning.photo_scst --decoder {name} --cpu-minutes {sc['budget_cpu_minutes']:g} "
            f"--lr {sc['lr']:g} --photos {sc['photos']} --samples {sc['samples']} --seed {sc['seed']} "
            f"--threads {sc['threads']} --temperature {sc['temperature']:g} --eval-every {sc['eval_every']:g}"
            + ("" if sc["bf16_autocast"] else " --no-bf16"))


def ship(decoders, run: pathlib.Path = RUN, log=print) -> None:
    import torch

    from . import photo_decoders

    out = artefacts.folder(AREA)
    out.mkdir(parents=True, exist_ok=True)
    data = Prepared()
    test = data.index("test")
    test_names = [data.names[i] for i in test]
    prep = json.loads((CACHE / "prepare.json").read_text())
    # shared files: vocabulary, PCA, test and coco-mini features
    shutil.copy(CACHE / "vocab.json", out / "vocab.json")
    artefacts.record(AREA, {"name": "photos_vocab", "path": f"models/artefacts/{AREA}/vocab.json",
                            "words": len(data.vocab), "base_words": data.vocab.n_base,
                            "rule": "action tokens, then the stop words seen in training captions (by photos), then every "
                                    "other word seen in >= 5 different training photos and among GloVe 6B's 100,000 most "
                                    "frequent words; captions tokenised as coco-caption does (cocoeval.tokens)",
                            "command": FEATURE_CMD, "data": DATA})
    shutil.copy(CACHE / "pca.npz", out / "pca.npz")
    artefacts.record(AREA, {"name": "photos_pca", "path": f"models/artefacts/{AREA}/pca.npz",
                            "what": f"PCA of Inception-v3 mixed_10 region vectors ({SIZE} px input, its {MAP_SIDE}x{MAP_SIDE} map averaged to a "
                                    f"{GRID}x{GRID} grid) from 2048 to 256 numbers, fitted on the training photos' regions",
                            "command": FEATURE_CMD, "data": DATA,
                            "metrics": {"variance_kept_train": round(prep["pca_variance_kept"], 4)}})
    np.savez_compressed(out / "test_features.npz", pooled=data.pooled[test], regions=data.regions[test],
                        names=np.array(test_names))
    artefacts.record(AREA, {"name": "photos_test_features", "path": f"models/artefacts/{AREA}/test_features.npz",
                            "pictures": len(test), "split": "Flickr8k official test split (Flickr_8k.testImages.txt)",
                            "what": "float16 pooled (2048) and PCA regions (16 x 256) per photo; captions NOT included "
                                    "(read from ../shared/data/flickr8k/captions.txt)",
                            "command": FEATURE_CMD,
                            "feature_cpu_minutes": round(prep["feature_cpu_minutes"]["flickr8k"], 1),
                            "feature_wall_minutes": round(prep["feature_wall_minutes"]["flickr8k"], 1),
                            "device": "cpu"})
    np.savez_compressed(out / "coco_mini_features.npz", pooled=data.coco_pooled, regions=data.coco_regions,
                        names=np.array(data.coco_names))
    artefacts.record(AREA, {"name": "photos_coco_mini_features", "path": f"models/artefacts/{AREA}/coco_mini_features.npz",
                            "pictures": len(data.coco_names), "split": "coco-mini: out-of-domain test only (never trained, "
                            "tuned or selected on)", "command": FEATURE_CMD,
                            "feature_cpu_minutes": round(prep["feature_cpu_minutes"]["coco-mini"], 1), "device": "cpu"})
    test_refs = references("flickr8k", test_names)
    coco_refs = references("coco-mini", data.coco_names)
    for name in decoders:
        path = run / f"{name}.pt"
        if not path.exists():
            log(f"{name}: not trained ({path} missing); skipped")
            continue
        ck = torch.load(path, map_location="cpu", weights_only=False)
        state = half_state(ck["model"])
        model = photo_decoders.build(name, ck["vocab_size"], None, **ck["config"])
        model.load_state_dict({k: v.float() for k, v in state.items()})
        model.eval()
        d = ck["decoding"]
        tids = decode(model, data.pooled[test], data.regions[test], d["mode"], d["width"], d["alpha"])
        cids = decode(model, data.coco_pooled, data.coco_regions, d["mode"], d["width"], d["alpha"])
        ts, cs = score(data.vocab, tids, test_refs), score(data.vocab, cids, coco_refs)
        meta = {k: v for k, v in ck.items() if k != "model"}
        torch.save({**meta, "model": state}, out / f"{name}.pt")
        cmd = (f"python -m models.captioning.photo_train train --decoder {name} --cpu-minutes {ck['budget_cpu_minutes']:g} "
               f"--lr {ck['lr']:g} --batch {ck['batch']} --seed {ck['seed']} --threads {ck['threads']}"
               + (" --bf16" if ck.get("bf16_autocast") else "")
               + (" --packed-dropout" if ck["config"].get("packed_dropout") else "")
               + (" --widths " + " ".join(map(str, ck["widths"])) if ck.get("widths", [3, 5]) != [3, 5] else "")
               + "".join(f" --{k} {ck['config'][k]:g}" for k in ("width", "dropout", "layers")
                         if ck["config"][k] != photo_decoders.DEFAULT[k])
               + _scst_command(name, ck.get("scst"))
               + " && python -m models.captioning.photo_ship")
        selection = f"best epoch by dev (1,000 photos) greedy BLEU-4 (epoch {ck['best_epoch']}); "
        if ck.get("scst"):
            sc = ck["scst"]
            selection += (f"then self-critical fine-tuning (photo_scst), best by dev greedy BLEU-4 (step {sc['best_step']} "
                          f"of {sc['steps']}); ")
        artefacts.record(AREA, {
            "name": f"photos_{name}", "path": f"models/artefacts/{AREA}/{name}.pt", "decoder": name,
            "label": photo_decoders.LABELS[name], "command": cmd, "data": DATA,
            "selection": selection + f"decoding chosen on dev among {sorted(ck['dev_by_decoding'])}: {d['name']}",
            "metric": "coco-caption BLEU-1..4 (pycocoevalcap BleuScorer, option closest; 0-100) and CIDEr-D (x100), "
                      "Flickr8k test split scored once; coco-mini out of domain",
            "decoding": d, "device": "cpu", "threads": ck["threads"],
            "precision": ("bfloat16 autocast for the training passes (float32 weights and optimiser; AMX CPU)"
                          if ck.get("bf16_autocast") else "float32"),
            "cpu_minutes": ck["cpu_minutes"], "cpu_minutes_training_loop": ck["cpu_minutes_training"],
            "params": ck["params"], "steps": ck["steps"], "epochs": ck["epochs"], "config": ck["config"],
            "dev": ck["dev"], "dev_by_decoding": ck["dev_by_decoding"],
            "metrics": {**{f"test_{k}": round(v, 2) for k, v in ts.items()},
                        **{f"coco_mini_{k}": round(v, 2) for k, v in cs.items()}},
            "example_test_caption": {"photo": test_names[0], "caption": " ".join(data.vocab.decode(tids[0]))},
            "history": ck["history"], **({"scst": ck["scst"]} if ck.get("scst") else {})})
        log(f"{name}: test BLEU-4 {ts['bleu4']:.2f} (B1 {ts['bleu1']:.1f}, CIDEr {ts['cider']:.1f}); "
            f"coco-mini BLEU-4 {cs['bleu4']:.2f}; {ck['cpu_minutes']:.1f} CPU-min")


def main(argv=None) -> None:
    from .photo_decoders import ALL

    ap = argparse.ArgumentParser(description="score the trained decoders on test once and ship them to "
                                             "models/artefacts/captioning_photos")
    ap.add_argument("--decoders", nargs="*", default=ALL)
    ship(ap.parse_args(argv).decoders)


if __name__ == "__main__":
    main()
