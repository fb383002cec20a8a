"""The captioning files shipped in ``models/artefacts/captioning/``: load them (``ship.py`` makes them).

Shipped (all made by our own scripts; the manifest records each command and metric):
  vocab.json            the vocabulary the decoders were trained with
  <decoder>.pt          the four decoders and the image-blind baseline (half-precision weights)
  test_features.npz     Inception-v3 features of the test split's pictures, their captions and scenes
  pca.npz               the projection of Inception's 2048-d region vectors to 256 (for uploads)
  manifest.json         per file: command, data, epochs, training seconds, test-split BLEU-1..4
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import torch

from models import artefacts
from models.device import resolve

from . import decoders
from .vocab import Vocab, tokenize

ART = artefacts.folder("captioning")
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


def load_vocab() -> Vocab:
    return Vocab.from_json(ART / "vocab.json")


def load_test_set() -> TestSet:
    return load_test_set_from(ART / "test_features.npz")


def load_decoder(name: str, untrained: bool = False, device=None):
    """(model in eval mode on ``device`` (None: ``pick_device()``), vocab, manifest entry). ``untrained``:
    the same network at its random initialisation (epoch 0, seed 0, made on the CPU so it is the same
    everywhere): the talk's "uninitialised model is terrible"."""
    vocab = load_vocab()
    ck = torch.load(ART / f"{name}.pt", map_location="cpu", weights_only=True)
    torch.manual_seed(0)
    model = decoders.build(ck["decoder"], ck["vocab_size"])
    if not untrained:
        model.load_state_dict({k: v.float() for k, v in ck["state"].items()})
    return model.eval().to(resolve(device)), vocab, artefacts.entry("captioning", name)


def load_test_set_from(path) -> TestSet:
    z = np.load(path)
    images = str(z["images_dir"]) if "images_dir" in z.files else ""
    return TestSet(z["pooled"].astype(np.float32), z["regions"].astype(np.float32), [str(n) for n in z["names"]],
                   json.loads(str(z["captions"])), json.loads(str(z["scenes"])), images)
