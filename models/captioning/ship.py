"""Make the captioning files shipped in ``models/artefacts/captioning/`` from a training run: the vocabulary,
the decoders in half precision, the test split's features and the PCA projection, and a manifest entry
per file with its command, test-split BLEU-1..4 and the time one caption takes (``shipped.py`` loads them).

    python -m models.captioning.ship --run data/captioning/run --features data/captioning/features.npz
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import sys

import numpy as np
import torch

from models import artefacts
from models.device import set_threads

from . import decoders
from .infer import evaluate, time_one_caption
from .shipped import ALL, ART, load_test_set_from
from .train import Data
from .vocab import Vocab


PCA_CHECK_PICTURES = 64  # test pictures re-encoded to measure the shipped projection


def pca_entry(pca_path: pathlib.Path, ts, command_of: dict[str, str], n_train: int) -> dict:
    """pca.npz's manifest entry. Its figures: the variance share kept on the training regions, and on
    PCA_CHECK_PICTURES test pictures redrawn and re-encoded (Inception-v3, 160 px) through the shipped
    file, the share kept and how far their projected regions are from the shipped test features."""
    from models.vision.inception import load_inception

    from .features import encode_batch, project
    from .scenes import render, scene_from_json

    z = np.load(pca_path)
    metrics = {"variance_kept_train": round(float(z["kept"]), 4)}
    if ts.scenes and all(ts.scenes):
        idx = np.linspace(0, len(ts) - 1, PCA_CHECK_PICTURES).astype(int)
        _, regions = encode_batch(load_inception(), [render(scene_from_json(ts.scenes[i])) for i in idx])
        rows = regions.reshape(-1, regions.shape[-1]) - z["mean"]
        kept = float(((rows @ z["components"].astype(np.float32)) ** 2).sum() / (rows ** 2).sum())
        err = np.linalg.norm(project(regions, z["mean"], z["components"]) - ts.regions[idx]) / \
            np.linalg.norm(ts.regions[idx])
        metrics.update(variance_kept_test_pictures=round(kept, 4), test_pictures=len(idx),
                       test_regions_relative_error=round(float(err), 4))
    steps = [c for c in (command_of.get("features", ""), command_of.get("shipped", "")) if c]
    return {"name": "pca", "path": "models/artefacts/captioning/pca.npz",
            "what": "the PCA that compresses Inception-v3's 2048-d region vectors (mixed_10 at 160 px, 3x3 regions) "
                    "to 256 numbers: mean (2048, float32), components (2048 x 256, float16), kept (variance share on "
                    "the training regions). test_features.npz holds regions projected with it; the comparison "
                    "slide's Encoder applies it to an uploaded picture",
            "command": " && ".join(steps) + " (features.py fits it on the training pictures' regions, 40,000 rows "
                       "sampled with seed 0, as features_pca.npz; ship copies it with float16 components)",
            "data": f"built-in captioned scenes: region vectors of the {n_train} training pictures",
            "metrics": metrics}


def ship(run: pathlib.Path, features: pathlib.Path, command_of: dict[str, str], art: pathlib.Path = ART) -> dict:
    art.mkdir(parents=True, exist_ok=True)
    vocab = Vocab.from_json(run / "vocab.json")
    vocab.to_json(art / "vocab.json")
    data = Data(features, vocab)
    feats = np.load(features)
    test = data.index("test")
    scenes = []
    scenes_json = pathlib.Path(features).with_name("scenes.json")
    if scenes_json.exists():
        by_name = {f"scene-{s['index']:05d}": s for s in json.loads(scenes_json.read_text())["scenes"]}
        scenes = [by_name.get(str(data.names[i]), {}) for i in test]
    np.savez_compressed(art / "test_features.npz", pooled=data.pooled[test].astype(np.float16),
                        regions=data.regions[test].astype(np.float16), names=data.names[test],
                        captions=np.array(json.dumps([data.captions[i] for i in test])),
                        scenes=np.array(json.dumps(scenes)),
                        images_dir=np.array(str(feats["images"]) if "images" in feats.files else ""))
    pca = np.load(pathlib.Path(features).with_name(pathlib.Path(features).stem + "_pca.npz"))
    np.savez_compressed(art / "pca.npz", mean=pca["mean"], components=pca["components"].astype(np.float16),
                        kept=pca["kept"])
    arts = [{"name": "vocab", "path": "models/artefacts/captioning/vocab.json", "words": len(vocab),
             "base_words": vocab.n_base, "command": command_of.get("vocab", "")},
            {"name": "test_features", "path": "models/artefacts/captioning/test_features.npz", "pictures": len(test),
             "command": command_of.get("features", ""), "pca_variance_kept": float(pca["kept"])}]
    ts = load_test_set_from(art / "test_features.npz")
    arts.append(pca_entry(art / "pca.npz", ts, command_of, len(data.index("train"))))
    for name in ALL:
        files = sorted(run.glob(f"{name}_e*.pt"))
        if not files:
            continue
        ck = torch.load(files[-1], map_location="cpu", weights_only=False)
        torch.manual_seed(0)
        model = decoders.build(name, ck["vocab_size"])
        model.load_state_dict(ck["model"])
        model.eval()
        state = {k: v.half() for k, v in model.state_dict().items()}
        torch.save({"decoder": name, "state": state, "vocab_size": ck["vocab_size"], "epoch": ck["epoch"]}, art / f"{name}.pt")
        model.load_state_dict({k: v.float() for k, v in state.items()})  # measure what ships (fp16 weights)
        ev = evaluate(model, vocab, ts.pooled, ts.regions, [ts.refs(i) for i in range(len(ts))])
        ms = time_one_caption(model, ts.pooled[0], ts.regions[0])
        arts.append({"name": name, "path": f"models/artefacts/captioning/{name}.pt", "decoder": name,
                     "label": decoders.LABELS[name], "command": command_of.get(name, ""),
                     "data": f"built-in captioned scenes: {len(data.index('train'))} training pictures × 5 captions",
                     "epochs": ck["epoch"], "train_seconds": round(ck["train_s"], 1), "params": decoders.n_params(model),
                     "metrics": {f"test_bleu{k}": round(ev[f"bleu{k}"], 4) for k in (1, 2, 3, 4)},
                     "ms_per_caption": round(ms, 1), "history": ck["history"]})
        print(f"{name}: test BLEU-4 {ev['bleu4']:.4f}, {ms:.1f} ms/caption, {decoders.n_params(model):,} params")
    artefacts.write("captioning", arts, manifest=art / "manifest.json")
    return {"artefacts": arts}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="copy trained decoders + test features into models/artefacts/captioning")
    ap.add_argument("--run", default="data/captioning/run")
    ap.add_argument("--features", default="data/captioning/features.npz")
    ap.add_argument("--commands", default="", help="JSON file: name -> the command that trained it")
    a = ap.parse_args(argv)
    set_threads("single")  # the timing recorded is one thread's (the deck's demos run one per session)
    cmds = json.loads(pathlib.Path(a.commands).read_text()) if a.commands else {}
    cmds.setdefault("shipped", "python -m models.captioning.ship " + " ".join(shlex.quote(x) for x in (argv or sys.argv[1:])))
    ship(pathlib.Path(a.run), pathlib.Path(a.features), cmds)


if __name__ == "__main__":
    main()
