"""The June 2017 talk's captioning slides on real photos: the comparison, sample and results demos
(demos/caption_compare.py, demos/caption_table.py, demos/kit/captioning.py) with whichever of the
decoders trained on Flickr8k are shipped in models/artefacts/captioning_photos/."""
from __future__ import annotations

import io
import pathlib

import numpy as np
import pytest
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
LABELS = {"gru": "GRU (RNN)", "dilated_cnn": "Dilated CNN", "glu_cnn": "GLU CNN", "transformer": "Transformer"}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _shipped() -> list[str]:
    from models.captioning import photos

    got = [d for d in photos.available() if d in LABELS]
    assert got, "no decoder trained on Flickr8k is shipped (models/artefacts/captioning_photos/*.pt)"
    return got


APP = """
import sys; sys.path.insert(0, {root!r})
from demos import {demo}
{demo}.render(key_prefix="t", {opts})
"""


def _app(demo, **opts):
    from streamlit.testing.v1 import AppTest

    args = ", ".join(f"{k}={v!r}" for k, v in opts.items())
    at = AppTest.from_string(APP.format(root=str(ROOT), demo=demo, opts=args), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _quoted(at) -> list[str]:
    """The captions on the slide (each drawn bold between curly quotes)."""
    out = []
    for m in at.markdown:
        out += [part.split("**")[0] for part in m.value.split("**“")[1:]]
    return out


# -- the comparison slide --------------------------------------------------------------------------


def test_compare_slide_captions_a_real_photo_with_every_shipped_decoder():
    shipped = _shipped()
    at = _app("caption_compare")
    text = " ".join(m.value for m in at.markdown)
    notes = " ".join(c.value for c in at.caption)
    for name, label in LABELS.items():
        assert f"**{label}**" in text
        assert (f"models/artefacts/captioning_photos/{name}.pt is missing" in notes) == (name not in shipped)
    caps = _quoted(at)
    assert len(caps) == len(shipped) and all(c.strip("”") and c != "(empty)”" for c in caps)
    assert notes.count("ms per caption on one thread") == len(shipped)
    assert "NASA astronaut" in notes  # the default photo is a real one that ships with scikit-image
    from demos.kit import captioning as C

    for name in shipped:  # each decoder's recorded test BLEU-4 (manifest) under its caption
        b4 = C.photo_manifest_entry(name).get("metrics", {}).get("test_bleu4")
        assert (f"test BLEU-4 {b4:.1f} (Flickr8k test split" if b4 is not None else "not recorded yet") in notes
    if "transformer" in shipped:
        assert "Where the transformer looked" in notes


def test_compare_slide_modes_untrained_and_next_photo():
    shipped = _shipped()
    at = _app("caption_compare")
    greedy = _quoted(at)
    at.radio(key="t_mode").set_value("beam").run()
    assert not at.exception and len(_quoted(at)) == len(shipped)
    at.radio(key="t_mode").set_value("sampled").run()
    at.slider(key="t_temp").set_value(1.5).run()
    assert not at.exception and len(_quoted(at)) == len(shipped)
    at.toggle(key="t_untrained").set_value(True).run()
    assert not at.exception
    untrained = _quoted(at)
    assert untrained != greedy and "epoch 0" in " ".join(c.value for c in at.caption)
    assert at.selectbox(key="t_sample").value == "astronaut"
    at.button(key="t_action").click().run()
    assert not at.exception and at.selectbox(key="t_sample").value == "cat (Chelsea)"
    at.button(key="t_action").click().run()
    assert at.selectbox(key="t_sample").value == "Grace Hopper"


@pytest.mark.parametrize("decoder", list(LABELS))
def test_results_slide_samples_five_captions_or_says_it_is_not_shipped(decoder):
    at = _app("caption_compare", decoder=decoder, photo="cat")
    assert at.selectbox(key="t_sample").value == "cat (Chelsea)"
    if decoder in _shipped():
        assert len(_quoted(at)) == 5 and LABELS[decoder] in at.markdown[0].value
        from demos.caption_compare import TALK_2017  # the talk's five, beside ours

        assert any(m.value.startswith(f"**2017 talk · {LABELS[decoder]}**") for m in at.markdown)
        assert any(TALK_2017[decoder][0] in c.value for c in at.caption)
    else:
        assert not _quoted(at) and any("not shipped yet" in c.value for c in at.caption)


def test_bad_slide_options_fall_back():
    at = _app("caption_compare", photo="../../etc", mode="nonsense", decoder="nope", untrained="maybe")
    assert at.selectbox(key="t_sample").value == "astronaut" and at.radio(key="t_mode").value == "greedy"


# -- pictures that are not scenes --------------------------------------------------------------------


def _png(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def _drawing() -> np.ndarray:
    """A line drawing: black strokes of a house on white."""
    a = np.full((200, 300, 3), 255, np.uint8)
    a[150:153, 40:260] = 0
    a[80:150, 80:83] = a[80:150, 220:223] = 0
    for k in range(70):  # the roof
        r = 80 - k // 2
        a[r:r + 2, 81 + k] = a[r:r + 2, 221 - k] = 0
    return a


@pytest.mark.parametrize("what", ["drawing", "black frame", "1x1 picture", "grey 3x500 strip"])
def test_a_picture_that_is_not_a_scene_still_gets_captions(what):
    """Through the upload decoder (demos/kit/images.py) to every shipped decoder, every decoding: words, no error."""
    from demos.kit import captioning as C
    from demos.kit.images import decode_bytes

    arr = {"drawing": _drawing(), "black frame": np.zeros((480, 640, 3), np.uint8),
           "1x1 picture": np.full((1, 1, 3), 200, np.uint8),
           "grey 3x500 strip": np.full((3, 500, 3), 90, np.uint8)}[what]
    img, err = decode_bytes(_png(arr), f"{what}.png")
    assert err is None and img is not None
    feats = C.photo_features(img.array)
    assert all(np.isfinite(f).all() for f in feats)
    for name in _shipped():
        for mode in ("greedy", "beam", "sample"):
            out = C.photo_caption(feats, name, mode, seed=1)
            assert out["words"] and all(isinstance(w, str) and w for w in out["words"]), (name, mode)
        if name == "transformer":
            att = C.photo_caption(feats, name)["attention"]
            assert att.shape == (len(C.photo_caption(feats, name)["words"]) + 1, 17)
            assert C.attention_overlay(img.array, att[0, 1:]).shape == (224, 224, 3)


# -- the attention overlay -------------------------------------------------------------------------


def test_attention_overlay_lights_the_attended_region_only():
    from demos.kit import captioning as C

    rgb = np.full((100, 200, 3), 128, np.uint8)
    w = np.zeros(16)
    w[3] = 0.8  # top right region (row by row, top left first); the rest went to the whole photo
    out = C.attention_overlay(rgb, w).astype(float)
    top_right, bottom_left = out[10:40, 180:215].mean(), out[180:215, 10:40].mean()
    assert top_right > 2 * bottom_left
    even = C.attention_overlay(rgb, np.full(16, 1 / 16)).astype(float)  # looking everywhere alike: nothing lit
    assert even.std(axis=(0, 1)).max() < 1.0 and even.mean() < bottom_left + 60  # one flat, dim colour


# -- the scores slide -----------------------------------------------------------------------------


def test_scores_table_lists_recorded_decoders_beside_the_papers():
    from demos.kit import captioning as C

    recorded = [n for n in ("gru", "dilated_cnn", "glu_cnn", "transformer", "blind")
                if C.photo_manifest_entry(n).get("metrics")]
    assert recorded, "no decoder's scores are recorded in models/artefacts/captioning_photos/manifest.json"
    at = _app("caption_table")
    rows = at.dataframe[0].value
    assert len(rows) == len(recorded)
    for n, b4 in zip(recorded, rows["BLEU-4"]):
        assert b4 == pytest.approx(C.photo_manifest_entry(n)["metrics"]["test_bleu4"])
    notes = " ".join(c.value for c in at.caption)
    assert "Like for like" in notes and "coco-caption" in notes
    assert [v for _, v in C.PAPERS] == [16.0, 19.5, 21.3]
    _app("caption_table", show="curves")


# -- the vocabulary slide -----------------------------------------------------------------------------


def test_vocabulary_slide_strikes_the_words_no_decoder_can_write():
    from models.captioning import photos

    v = photos.load_vocab()
    at = _app("caption_data")
    assert any(f"**{len(v):,}** entries" in m.value for m in at.markdown)
    at.text_input(key="t_text").set_value("A dog runs zzqxv on the grass").run()
    assert not at.exception
    line = next(m.value for m in at.markdown if "zzqxv" in m.value)
    assert "~~zzqxv~~" in line and "**dog**" in line and "**grass**" in line
    assert any("6 of 7 words can be written" in c.value for c in at.caption)
    at.text_input(key="t_text").set_value("").run()
    assert not at.exception and any("Type a caption" in c.value for c in at.caption)


# -- teacher forcing vs test time -----------------------------------------------------------------------


def test_teacher_forcing_slide_on_a_real_photo():
    from demos.caption_steps import REFERENCE

    shipped = _shipped()
    at = _app("caption_steps", mode="free", decoder=shipped[-1])
    assert len(at.dataframe) == 2 and "Teacher forcing:" in at.caption[-1].value
    forced = at.dataframe[1].value  # mode=free: test time first
    ref = REFERENCE["astronaut"].split()
    assert list(forced["should be"]) == ref + ["<stop>"]  # every reference word, then STOP
    assert list(forced["fed (true word)"]) == ["<start>"] + ref
    at.text_input(key="t_ref_astronaut").set_value("a woman zzqxv smiles").run()
    assert not at.exception and at.caption[-1].value.endswith("Not in the vocabulary (fed as <unk>): zzqxv.")
    assert len(at.dataframe[1].value) == 5
    at.selectbox(key="t_photo").set_value("rocket").run()
    assert not at.exception and at.text_input(key="t_ref_rocket").value == REFERENCE["rocket"]
    at.toggle(key="t_untr").set_value(True).run()
    assert not at.exception and "epoch 0" in " ".join(m.value for m in at.markdown)


def test_teacher_forcing_slide_bad_options_fall_back():
    at = _app("caption_steps", photo="99999", decoder="x", mode="?")
    assert at.selectbox(key="t_photo").value == "astronaut" and len(at.dataframe) == 2
