"""Shared loaders for the captioning demos (shipped decoders, test features, the picture encoder)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

SHIP_HINT = ("The captioning files are not shipped here (models/artefacts/captioning/); "
             "make them with python -m models.captioning.train and python -m models.captioning.ship.")


def decoder_names() -> list[str]:
    """The four decoder families, in the talk's order (for the demos' ``decoder`` option)."""
    from models.captioning import decoders

    return decoders.DECODERS


def available() -> bool:
    from models.captioning.shipped import ART

    return (ART / "manifest.json").exists() and (ART / "test_features.npz").exists()


@st.cache_resource(show_spinner="Loading the captioning test set…")
def test_set():
    from models.captioning.shipped import load_test_set

    return load_test_set()


@st.cache_resource(show_spinner="Loading a caption decoder…", max_entries=12)
def decoder(name: str, untrained: bool = False):
    from models.captioning.shipped import load_decoder
    from models.device import set_threads

    set_threads("single")  # small nets: a second thread only spins against other sessions (see demos/kit/fair_share.py)

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

    ts = test_set()
    spec = ts.scenes[i] if i < len(ts.scenes) else {}
    if spec:
        return render(scene_from_json(spec), size)
    if ts.images_dir:  # real data (Flickr / COCO): the picture from the folder it was featurised from
        from PIL import Image

        from models.data.images import ImageError, load_image_bytes

        try:
            rgb = load_image_bytes((Path(ts.images_dir) / ts.names[i]).read_bytes(), ts.names[i]).array
            return np.asarray(Image.fromarray(rgb).resize((size, size), Image.LANCZOS))
        except (OSError, ImageError):
            pass
    return np.full((size, size, 3), 200, np.uint8)  # picture not on this machine: its features still work


def manifest_entry(name: str) -> dict:
    from models import artefacts

    return artefacts.entry("captioning", name) or {}


def words(vocab, ids) -> str:
    return " ".join(vocab.decode(list(ids)))
