"""Shared loaders for the captioning demos: the decoders trained on Flickr8k (loaded once per server
process), a photo's Inception-v3 features, one caption, the attention overlay, the recorded scores.

The generated-shapes decoders of models/artefacts/captioning/ are no longer on any slide; the June 2017
talk's slides run on real photos (``models/captioning/photos.py``)."""
from __future__ import annotations

import numpy as np
import streamlit as st


def available() -> bool:
    """Whether the Flickr8k decoders' shared files and at least one decoder are shipped."""
    from models import artefacts

    folder = artefacts.folder("captioning_photos")
    return (folder / "vocab.json").is_file() and (folder / "pca.npz").is_file() and bool(photos_shipped())


# ------------------------------------------------------------------ real photos (decoders trained on Flickr8k)
# The photos the captioning slides show without an upload: real scenes that ship inside scikit-image,
# scikit-learn and matplotlib (models/data/images.py SAMPLES), people and animals first (Flickr8k's subjects).
PHOTO_SAMPLES = ["astronaut", "cat (Chelsea)", "Grace Hopper", "coffee", "rocket", "China (temple)", "flower"]
PHOTO_AREA = "models/artefacts/captioning_photos/"
# Flickr8k test split, BLEU-4 on the 0-100 scale, as printed in the papers
PAPERS = [("NeuralTalk (Karpathy & Fei-Fei 2015)", 16.0), ("Show, Attend and Tell, soft (Xu et al. 2015)", 19.5),
          ("Show, Attend and Tell, hard (Xu et al. 2015)", 21.3)]


def photo_decoder_names() -> list[str]:
    """The four decoder families in the talk's order (the photo decoders share the shapes decoders' names)."""
    from models.captioning.photo_decoders import DECODERS

    return list(DECODERS)


def photo_labels() -> dict:
    from models.captioning.photo_decoders import LABELS

    return dict(LABELS)


def photos_shipped() -> list[str]:
    """The photo decoders whose checkpoint is in models/artefacts/captioning_photos/ now (cheap: file checks)."""
    from models.captioning import photos

    return photos.available()


def not_shipped_note(name: str, short: bool = False, labelled: bool = True) -> str:
    """What a slide says for a decoder whose checkpoint is not there (``short``: three words, for the projector)."""
    if short:
        return "not shipped yet"
    return ((f"{photo_labels().get(name, name)}: " if labelled else "") + f"not shipped yet ({PHOTO_AREA}{name}.pt is missing; "
            "python -m models.captioning.photo_train makes it).")


@st.cache_resource(show_spinner="Loading a caption decoder…", max_entries=12)
def photo_decoder(name: str, untrained: bool = False):
    """(decoder, checkpoint metadata), loaded once per server process; ``untrained``: the same network with
    its random starting weights (seed 0), the talk's "epoch 0"."""
    import torch

    from models.captioning import photo_decoders, photos
    from models.captioning.vocab import START
    from models.device import set_threads

    set_threads("single")  # small nets: one thread (a second only spins against other sessions)
    model, meta = photos.load_decoder(name)
    if untrained:
        torch.manual_seed(0)
        model = photo_decoders.build(name, meta["vocab_size"], None, **meta["config"]).eval()
        for p in model.parameters():
            p.requires_grad_(False)
    with torch.inference_mode():  # one warm-up step, so the first caption's time on the slide is a usual one
        model(torch.tensor([[START]]), torch.zeros(1, 2048), torch.zeros(1, photos.GRID ** 2, 256))
    return model, meta


@st.cache_data(show_spinner="Inception-v3 features of the photo…", max_entries=32)
def photo_features(rgb: np.ndarray):
    """(pooled (2048,), regions (16, 256)) of one photo: the training features' own steps (photos.encode_photo)."""
    from models.captioning import photos

    return photos.encode_photo(rgb)


def photo_caption(features, name: str, mode: str = "greedy", beam: int = 3, seed: int | None = None,
                  temperature: float = 1.0, untrained: bool = False) -> dict:
    """One caption, as ``models.captioning.photos.caption`` returns it ({"words", "text", "attention"}), from the
    shipped decoder or (``untrained``) its epoch-0 twin; one torch thread."""
    from models.captioning import photos
    from models.device import set_threads

    model, _meta = photo_decoder(name, untrained)  # loaded once, warmed up
    set_threads("single")
    if not untrained:
        return photos.caption(features, name, mode=mode, beam=beam, seed=seed, temperature=temperature)
    return photos.caption(features, name, mode=mode, beam=beam, seed=int(seed or 0), temperature=temperature,
                          model=model)


def photo_manifest_entry(name: str) -> dict:
    """The decoder's manifest entry (metrics on the papers' 0-100 scale), {} while it is not shipped."""
    from models import artefacts

    return artefacts.entry("captioning_photos", f"photos_{name}") or {}


def attention_overlay(rgb: np.ndarray, weights, grid: int = 4, side: int = 224) -> np.ndarray:
    """The photo (squashed to ``side``², as Inception saw it) lit where the decoder looked: ``weights`` are its
    attention over the ``grid`` × ``grid`` regions (row by row, top left first). Each region's share of the
    regions' total is compared with a fair share (1 / regions): a region at or below its fair share stays dark,
    the most-attended one is lit fully once it has at least twice its fair share (less: partly), with a warm
    tint; a decoder that looks everywhere alike lights nothing up."""
    from PIL import Image

    from models.captioning.photos import as_rgb

    base = np.asarray(Image.fromarray(as_rgb(rgb)).resize((side, side), Image.BILINEAR), np.float32)
    w = np.clip(np.nan_to_num(np.asarray(weights, np.float64).reshape(grid, grid)), 0.0, None)
    fair = w / max(float(w.sum()), 1e-12) * w.size  # 1 = a fair share of the regions' attention
    lit = np.clip((fair - 1.0) / (max(2.0, float(fair.max())) - 1.0), 0.0, 1.0)
    heat = np.asarray(Image.fromarray((lit * 255).astype(np.uint8)).resize((side, side), Image.BICUBIC),
                      np.float32)[..., None] / 255.0
    warm = np.array([255.0, 170.0, 0.0], np.float32)
    out = base * (0.3 + 0.7 * heat) * (1 - 0.3 * heat) + warm * 0.3 * heat
    return np.clip(out, 0, 255).astype(np.uint8)
