"""Captions for real photos from the decoders trained on Flickr8k (what the slides call; plain torch / numpy).

    from models.captioning import photos
    feats = photos.encode_photo(rgb_uint8)                 # Inception-v3 at 299 px, as in training
    out = photos.caption(feats, "transformer", mode="beam")  # {"words": [...], "attention": (n, 17) or None}
    photos.load_decoders()                                 # {name: decoder}, loaded once, on the CPU

``mode``: "greedy" (most likely word each step), "sample" (each word drawn from the softmax at
``temperature``; ``seed`` makes it repeatable; temperature 1 is the distribution the decoder learned to
sample from: for a decoder fine-tuned by ``photo_scst`` at temperature T, softmax(logits / T)) or "beam"
(beam search of width ``beam`` with the length normalisation chosen on the dev split). For the transformer
``attention`` holds, for every word written (and the final STOP), its last layer's attention over [the whole
photo, region 1 .. region 16] -- the regions are a 4 x 4 grid over the photo (row by row, top left first;
``GRID``).

Everything is read from ``models/artefacts/captioning_photos/`` (see its manifest.json). Any picture gets a
caption: grey, RGBA, 1 x 1, all black, a drawing (it will be a poor caption, never an exception).

    python -m models.captioning.photos --image photo.jpg [--decoder gru] [--mode beam]
"""
from __future__ import annotations

import argparse
import functools
import pathlib
import sys
import threading

import numpy as np

from .flickr8k import GRID, SIZE
from .photo_decoders import ALL, DECODERS, LABELS

AREA = "captioning_photos"
_LOCK = threading.Lock()

__all__ = ["ALL", "DECODERS", "LABELS", "GRID", "SIZE", "load_decoders", "load_decoder", "load_vocab",
           "encode_photo", "caption", "caption_all", "available", "as_rgb"]


def _folder() -> pathlib.Path:
    from models import artefacts

    return artefacts.folder(AREA)


def available() -> list[str]:
    """The decoders whose shipped checkpoint is there, in the talk's order."""
    return [d for d in ALL if (_folder() / f"{d}.pt").is_file()]


@functools.lru_cache(maxsize=1)
def load_vocab():
    from .vocab import Vocab

    return Vocab.from_json(_folder() / "vocab.json")


@functools.lru_cache(maxsize=None)
def load_decoder(name: str):
    """(decoder in eval mode on the CPU, float32; its checkpoint's metadata without the weights)."""
    import torch

    from . import photo_decoders

    if name not in ALL:
        raise ValueError(f"unknown decoder {name!r}: one of {', '.join(ALL)}")
    path = _folder() / f"{name}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not there: train and ship it (python -m models.captioning.photo_train)")
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = photo_decoders.build(name, ck["vocab_size"], None, **ck["config"])
    model.load_state_dict({k: v.float() for k, v in ck["model"].items()})
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, {k: v for k, v in ck.items() if k != "model"}


def load_decoders(names=None) -> dict:
    """{name: decoder} for ``names`` (default: every shipped one)."""
    return {n: load_decoder(n)[0] for n in (names or available())}


@functools.lru_cache(maxsize=1)
def _pca():
    z = np.load(_folder() / "pca.npz")
    return z["mean"].astype(np.float32), z["components"].astype(np.float32)


@functools.lru_cache(maxsize=1)
def _inception():
    from models.vision.inception import load_inception

    return load_inception("cpu")


def as_rgb(picture) -> np.ndarray:
    """Any picture-like array -> (H, W, 3) uint8: grey is repeated, alpha dropped, floats in [0, 1]
    (or [0, 255]) scaled, an empty or 1-pixel picture kept as it is (Inception resizes it)."""
    a = np.asarray(picture)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[0] == 0 or a.shape[1] == 0 or a.shape[2] == 0:
        raise ValueError(f"not a picture: an array of shape {a.shape}")
    if a.shape[2] == 1:
        a = np.repeat(a, 3, 2)
    elif a.shape[2] == 2:  # grey + alpha
        a = np.repeat(a[..., :1], 3, 2)
    a = a[..., :3]
    if a.dtype != np.uint8:
        f = np.nan_to_num(a.astype(np.float64))
        if f.size and f.max() <= 1.0:
            f = f * 255.0
        a = np.clip(f, 0, 255).round().astype(np.uint8)
    return np.ascontiguousarray(a)


def encode_photo(rgb) -> tuple[np.ndarray, np.ndarray]:
    """(pooled (2048,) float32, regions (16, 256) float32): Inception-v3's mixed_10 at SIZE (299) px, averaged
    over the photo and over a 4 x 4 grid, the regions projected with the shipped PCA -- the same steps as
    the training features (``flickr8k.encode_batch`` + ``photo_train.prepare``)."""
    from models.device import set_threads

    from .features import project
    from .flickr8k import encode_batch

    rgb = as_rgb(rgb)
    set_threads("shared_model")
    with _LOCK:  # one Inception, shared: one picture at a time
        pooled, regions = encode_batch(_inception(), [rgb], SIZE, GRID)
    mean, comps = _pca()
    # through float16, as the training features were stored
    pooled16 = pooled[0].astype(np.float16).astype(np.float32)
    reg = project(regions[0].astype(np.float16), mean, comps).astype(np.float16).astype(np.float32)
    return pooled16, reg


def _ids_to_words(ids) -> list[str]:
    return load_vocab().decode(ids)


def caption(features, decoder_name: str, mode: str = "greedy", beam: int = 3, seed=None,
            temperature: float = 1.0, alpha: float | None = None, model=None) -> dict:
    """One caption of one photo's ``features`` (from ``encode_photo``), by the shipped ``decoder_name``
    or by ``model``, a network of that kind given by the caller (e.g. its untrained twin; beam search
    then normalises length with 0.5 unless ``alpha`` says otherwise).

    Returns {"decoder", "mode", "words" (list of str), "text", "attention"}: ``attention`` is a float32
    array (len(words) + 1, 1 + 16) for the transformer (row i: attending while choosing word i, the last
    row while choosing STOP), else None."""
    import torch

    from .infer import greedy, sample
    from .photo_train import BANNED, MAX_WORDS, beam_batch

    meta = None
    if model is None:
        model, meta = load_decoder(decoder_name)
    pooled, regions = (np.asarray(f, np.float32) for f in features)
    if pooled.shape != (2048,) or regions.ndim != 2 or regions.shape[1] != 256:
        raise ValueError("features must be (pooled (2048,), regions (R, 256)) as encode_photo returns them")
    if mode == "greedy":
        ids = greedy(model, pooled, regions, max_len=MAX_WORDS + 2, banned=BANNED)[0]
    elif mode == "sample":
        s = int(np.random.SeedSequence().entropy % (2 ** 31)) if seed is None else int(seed)
        own = (meta or {}).get("scst", {}).get("temperature", 1.0)  # the temperature it was fine-tuned to sample at
        ids = sample(model, pooled, regions, temperature=temperature * own, seed=s, max_len=MAX_WORDS + 2,
                     banned=BANNED)[0]
    elif mode == "beam":
        if alpha is None:  # the length normalisation chosen on dev (0.5 when dev preferred greedy)
            alpha = meta["decoding"]["alpha"] if meta and meta["decoding"]["mode"] == "beam" else 0.5
        ids = beam_batch(model, pooled[None], regions[None], max(1, int(beam)), float(alpha))[0]
    else:
        raise ValueError(f"mode must be greedy, sample or beam, not {mode!r}")
    words = _ids_to_words(ids)
    att = None
    if decoder_name == "transformer":
        from .vocab import START

        with torch.inference_mode():
            toks = torch.tensor([[START] + list(ids)])
            model(toks, torch.from_numpy(pooled)[None], torch.from_numpy(regions)[None])
            att = model.attention()[0].numpy().astype(np.float32)
    return {"decoder": decoder_name, "mode": mode, "words": words, "text": " ".join(words), "attention": att}


def caption_all(rgb, mode: str = "greedy", **kw) -> dict:
    """{decoder: caption(...)} for every shipped decoder, one Inception pass."""
    f = encode_photo(rgb)
    return {d: caption(f, d, mode, **kw) for d in available()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="captions of a photo from the decoders trained on Flickr8k")
    ap.add_argument("--image", required=True, help="a JPEG / PNG / ... file")
    ap.add_argument("--decoder", default="all", choices=["all"] + ALL)
    ap.add_argument("--mode", default="beam", choices=["greedy", "sample", "beam"])
    ap.add_argument("--beam", type=int, default=3)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--temperature", type=float, default=1.0)
    a = ap.parse_args(argv)
    from models.data.images import load_image_bytes

    try:
        pic = load_image_bytes(pathlib.Path(a.image).read_bytes(), a.image).array
    except (OSError, ValueError) as e:
        print(f"cannot read {a.image}: {e}", file=sys.stderr)
        return 2
    names = available() if a.decoder == "all" else [a.decoder]
    if not names:
        print("no decoder shipped yet in models/artefacts/captioning_photos", file=sys.stderr)
        return 2
    f = encode_photo(pic)
    for d in names:
        out = caption(f, d, a.mode, a.beam, a.seed, a.temperature)
        print(f"{LABELS[d]:>16}: {out['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
