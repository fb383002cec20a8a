"""The one upload decoder of the deck, and one picture picker for every Session II demo: a built-in sample,
an upload, or the camera.

Every demo that takes a picture decodes it here (``decode_upload`` / ``decode_bytes``), so every upload gets
the same checks and messages. The checks themselves (empty, not an image, corrupt or truncated, decompression
bombs refused, huge photos downscaled, greyscale/CMYK/alpha converted) are in ``models.data.images``; this
module caches the result, draws the widgets and shows the messages.
"""
from __future__ import annotations

import streamlit as st

SOURCES = ("Sample photo", "Upload", "Camera")


MAX_NAME_CHARS = 80  # of a file name echoed in a message


@st.cache_data(max_entries=32, show_spinner=False)
def decode_bytes(data: bytes, name: str):
    """(LoadedImage (RGB uint8 ``.array``, ``.notices``) or None, error message or None) for uploaded bytes."""
    from models.data.images import ImageError, load_image_bytes

    try:
        img = load_image_bytes(data, name[:MAX_NAME_CHARS])
    except ImageError as err:
        return None, str(err)
    return img, None


def decode_upload(uploaded):
    """(LoadedImage or None, error message or None) for a Streamlit UploadedFile (None: nothing uploaded)."""
    if uploaded is None:
        return None, None
    return decode_bytes(uploaded.getvalue(), uploaded.name)


def show_notices(img) -> None:
    for note in img.notices:
        st.info(note, icon="ℹ️")


def image_input(key_prefix: str, default_sample: str = "cat (Chelsea)", label: str = "Picture",
                max_side: int | None = None, samples: list[str] | None = None):
    """Draw the picker and return ``LoadedImage`` (RGB uint8 ``.array``) or None (message shown).

    ``max_side``: shrink the result so its longest side is at most this (keeps demos fast).
    """
    from models.data.images import SAMPLES, LoadedImage, fit_within, sample

    names = samples or list(SAMPLES)
    if default_sample not in names:
        default_sample = names[0]
    source = st.radio(f"{label} from", SOURCES, horizontal=True, key=f"{key_prefix}_source",
                      help="A built-in photo (no network needed), your own file, or your webcam.")
    img = None
    if source == "Sample photo":
        name = st.selectbox(f"{label}: sample", names, index=names.index(default_sample), key=f"{key_prefix}_sample",
                            help="Photos that ship inside scikit-image, scikit-learn and matplotlib.")
        img = LoadedImage(sample(name), name, [], sample(name).shape[1::-1])
        st.caption(SAMPLES[name][1])
    else:
        if source == "Upload":
            up = st.file_uploader(f"{label}: upload", key=f"{key_prefix}_upload",
                                  help="JPEG, PNG, WebP, GIF, BMP or TIFF. Huge photos are downscaled.")
        else:
            up = st.camera_input(f"{label}: camera", key=f"{key_prefix}_camera",
                                 help="Take a photo with your webcam; it stays on this server only.")
        img, err = decode_upload(up)
        if err:
            st.error(err)
            return None
        if img is None:
            st.caption(f"Nothing {'uploaded' if source == 'Upload' else 'taken'} yet: showing the sample "
                       f"'{default_sample}' meanwhile.")
            img = LoadedImage(sample(default_sample), default_sample, [], sample(default_sample).shape[1::-1])
        else:
            show_notices(img)
    if max_side and max(img.array.shape[:2]) > max_side:
        img = LoadedImage(fit_within(img.array, max_side), img.name, img.notices, img.original_size)
    return img
