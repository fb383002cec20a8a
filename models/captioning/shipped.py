"""The captioning files shipped in ``models/artefacts/captioning/``: load them, or make them.

Shipped (all made by our own scripts; the manifest records each command and metric):
  vocab.json            the vocabulary the decoders were trained with
  <decoder>.pt          the four decoders and the image-blind baseline (half-precision weights)
  test_features.npz     Inception-v3 features of the test split's pictures, their captions and scenes
  pca.npz               the projection of Inception's 2048-d region vectors to 256 (for uploads)
  manifest.json         per file: command, data, epochs, training seconds, test-split BLEU-1..4

    python -m models.captioning.shipped --run data/captioning/run --features data/captioning/features.npz
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import sys
from dataclasses import dataclass

import numpy as np
import torch

from models.device import set_threads

from . import decoders
from .vocab import Vocab, tokenize

ROOT = pathlib.Path(__file__).resolve().parents[2]
ART = ROOT / "models" / "artefacts" / "captioning"
MANIFEST = ART / "manifest.json"
ALL = decoders.DECODERS + ["blind"]


@dataclass
class TestSet:
    pooled: np.ndarray  # (n, 2048) float32
    regions: np.ndarray  # (n, R, 256) float32
    names: list[str]
    captions: list[list[str]]
    scenes: list[dict]  # scene specs (built-in data) so the pictures can be redrawn; [] for real data
    images_dir: str = ""  # real data: the folder the pictures were featurised from (names are relative to it)

    def refs(self, i: int) -> list[list[str]]:
        return [tokenize(c) for c in self.captions[i]]

    def __len__(self) -> int:
        return len(self.names)


def manifest() -> dict:
    return json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {"artefacts": []}


def entry(name: str) -> dict | None:
    return next((a for a in manifest()["artefacts"] if a["name"] == name), None)


def load_vocab() -> Vocab:
    return Vocab.from_json(ART / "vocab.json")


def load_test_set() -> TestSet:
    return load_test_set_from(ART / "test_features.npz")


def load_decoder(name: str, untrained: bool = False):
    """(model in eval mode, vocab, manifest entry). ``untrained``: the same network at its random
    initialisation (epoch 0, seed 0): the talk's "uninitialised model is terrible"."""
    vocab = load_vocab()
    ck = torch.load(ART / f"{name}.pt", map_location="cpu", weights_only=True)
    torch.manual_seed(0)
    model = decoders.build(ck["decoder"], ck["vocab_size"])
    if not untrained:
        model.load_state_dict({k: v.float() for k, v in ck["state"].items()})
    return model.eval(), vocab, entry(name)


# -- making them -----------------------------------------------------------------------------------


def ship(run: pathlib.Path, features: pathlib.Path, command_of: dict[str, str], art: pathlib.Path = ART) -> dict:
    from .infer import evaluate, time_one_caption
    from .train import Data

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
    (art / "manifest.json").write_text(json.dumps({"artefacts": arts}, indent=1) + "\n")
    return {"artefacts": arts}


def load_test_set_from(path) -> TestSet:
    z = np.load(path)
    images = str(z["images_dir"]) if "images_dir" in z.files else ""
    return TestSet(z["pooled"].astype(np.float32), z["regions"].astype(np.float32), [str(n) for n in z["names"]],
                   json.loads(str(z["captions"])), json.loads(str(z["scenes"])), images)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="copy trained decoders + test features into models/artefacts/captioning")
    ap.add_argument("--run", default="data/captioning/run")
    ap.add_argument("--features", default="data/captioning/features.npz")
    ap.add_argument("--commands", default="", help="JSON file: name -> the command that trained it")
    a = ap.parse_args(argv)
    set_threads("single")  # the timing recorded is one thread's (the deck's demos run one per session)
    cmds = json.loads(pathlib.Path(a.commands).read_text()) if a.commands else {}
    cmds.setdefault("shipped", "python -m models.captioning.shipped " + " ".join(shlex.quote(x) for x in (argv or sys.argv[1:])))
    ship(pathlib.Path(a.run), pathlib.Path(a.features), cmds)


if __name__ == "__main__":
    main()
