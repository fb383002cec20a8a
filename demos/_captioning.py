"""Shared loaders for the captioning demos (shipped decoders, test features, the picture encoder)."""
from __future__ import annotations

import numpy as np
import streamlit as st

SHIP_HINT = ("The captioning files are not shipped here (models/artefacts/captioning/); "
             "make them with python -m models.captioning.train and python -m models.captioning.shipped.")


def available() -> bool:
    from models.captioning.shipped import ART

    return (ART / "manifest.json").exists() and (ART / "test_features.npz").exists()


@st.cache_resource(show_spinner="Loading the captioning test set…")
def test_set():
    from models.captioning.shipped import load_test_set

    return load_test_set()


@st.cache_resource(show_spinner="Loading a caption decoder…", max_entries=12)
def decoder(name: str, untrained: bool = False):
    import torch

    from models.captioning.shipped import load_decoder

    torch.set_num_threads(1)  # small nets: a second thread only spins against other sessions (see _session1)

    return load_decoder(name, untrained)


@st.cache_resource(show_spinner="Loading Inception-v3 (87 MB, once per server)…")
def encoder():
    from models.captioning.features import Encoder
    from models.captioning.shipped import ART

    return Encoder(ART / "pca.npz")


@st.cache_data(show_spinner=False, max_entries=256)
def picture(i: int, size: int = 160) -> np.ndarray:
    """Test picture ``i`` redrawn from its scene (the pictures themselves are not shipped)."""
    from models.captioning.scenes import render, scene_from_json

    spec = test_set().scenes[i]
    if not spec:
        return np.full((size, size, 3), 200, np.uint8)
    return render(scene_from_json(spec), size)


def manifest_entry(name: str) -> dict:
    from models.captioning.shipped import entry

    return entry(name) or {}


def words(vocab, ids) -> str:
    return " ".join(vocab.decode(list(ids)))
