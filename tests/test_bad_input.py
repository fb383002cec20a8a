"""Bad input, everywhere: every upload widget, text box and URL parameter gets hostile input.

Each answer must be a clear message on the slide (st.error / st.warning / st.info), never an
exception, and the process must stay healthy for the next session. Everything runs the real demo
code through ``AppTest`` (Streamlit's own test driver; its ``file_uploader`` / ``camera_input``
elements take files with ``set_value``), nothing is mocked. The hostile inputs are made on the fly
by ``tests/bad_inputs.py``.
"""
from __future__ import annotations

import re
import resource
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from bad_inputs import GARBAGE_PARAMS, JUNK_TEXT, SHORT_JUNK, UPLOADERS, hostile_csvs, hostile_files

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 240  # a cold Inception-v3 plus a 50-MP decode on a busy 2-core box

SCRIPT = """
import sys
sys.path.insert(0, {root!r})
import torch
torch.set_num_threads(1)
from demos.{demo} import render
render(key_prefix="t", **{options!r})
"""

# What each hostile file's message must say (case-insensitive), whichever demo shows it.
EXPECT = {
    "not_an_image.png": r"not an image|cannot read|can't read|could not read",
    "empty.jpg": r"empty|0 bytes",
    "truncated.jpg": r"damaged|truncated|corrupt",
    "huge_50mp.png": r"downscaled",  # a 50-MP phone photo is a photo: used, shrunk, and said so
    "bomb.png": r"too large|decompression|megapixels",
}
CSV_EXPECT = {  # the Playground: a usable file is used (a caption says so), a bad one is named in an error
    "not_a_csv.csv": "error", "empty.csv": "error", "junk.csv": "error", "binary.csv": "error",
    "nan_inf.csv": "used", "all_inf.csv": "error", "huge_numbers.csv": "used", "wrong_columns.csv": "error",
    "one_column.csv": "error", "one_label.csv": "error",
}
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \".*\", line \d+")
# Echoed junk must not garble a message: no control characters, no bidi overrides/isolates (U+202E
# would show the rest of the message backwards).
GARBLING = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def unclear(said: list[str]) -> list[str]:
    """The messages that show a traceback or would be garbled on screen."""
    return [m for m in said if TRACEBACK.search(m) or GARBLING.search(m)]


def demo_app(demo: str, options: dict | None = None) -> AppTest:
    return AppTest.from_string(SCRIPT.format(root=str(ROOT), demo=demo, options=dict(options or {})),
                               default_timeout=TIMEOUT)


def messages(at: AppTest) -> list[str]:
    return [m.value for kind in ("error", "warning", "info") for m in getattr(at, kind)]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def good_photos():
    import io

    from PIL import Image

    from models.data.images import sample

    out = []
    for i, (name, box) in enumerate((("cat (Chelsea)", (0, 0, 300, 250)), ("coffee", (0, 0, 400, 300)))):
        buf = io.BytesIO()
        Image.fromarray(sample(name)).crop(box).save(buf, "PNG")
        out.append((f"good{i}.png", buf.getvalue(), "image/png"))
    return out


def reach(at: AppTest, u) -> AppTest:
    """Set the widgets that make ``u``'s upload widget appear (e.g. the 'Upload' radio)."""
    for kind, key, value in u.setup:
        if kind == "good_upload":
            at.file_uploader(key=key).set_value([good_photos()[value]])
        else:
            getattr(at, kind)(key=key).set_value(value)
        at.run()
        assert not at.exception, f"{u.id}: setting {key}: {at.exception}"
    return at


def widget(at: AppTest, u):
    found = [w for w in getattr(at, u.kind) if w.key == u.key]
    assert found, f"{u.id}: no {u.kind} with key {u.key!r} on the slide"
    return found[0]


def upload(at: AppTest, u, name: str, data: bytes, mime: str) -> AppTest:
    if u.kind == "camera_input":  # a camera sends one JPEG; a hostile client sends anything under that name
        name, mime = Path(name).stem + ".jpg", "image/jpeg"
    w = widget(at, u)
    w.set_value([(name, data, mime)] if u.multiple else (name, data, mime))
    return at.run()


# ------------------------------------------------------------------------------- upload widgets

IMAGE_UPLOADERS = [u for u in UPLOADERS if u.demo != "playground"]


@pytest.mark.parametrize("u", IMAGE_UPLOADERS, ids=lambda u: u.id)
def test_every_upload_widget_answers_every_hostile_file(u):
    if u.demo.startswith("caption_"):
        from demos.kit.captioning import available

        assert available(), "the shipped captioning artefacts are missing (models/artefacts/captioning_photos/)"
    at = reach(demo_app(u.demo, u.options).run(), u)
    assert not at.exception, f"{u.id}: {at.exception}"
    problems = []
    for name, (data, mime) in hostile_files().items():
        before = rss_mb()
        upload(at, u, name, data, mime)
        grew = rss_mb() - before
        said = messages(at)
        shown = (name, Path(name).stem + ".jpg")  # (a camera's file is renamed .jpg)
        plain = [m.replace(shown[0], "").replace(shown[1], "") for m in said]  # 'empty.jpg' is not a message
        if at.exception:
            problems.append(f"{name}: exception {[e.value for e in at.exception]}")
        elif not any(re.search(EXPECT[name], m, re.I) for m in plain):
            problems.append(f"{name}: no clear message (messages: {said})")
        elif unclear(said):
            problems.append(f"{name}: unclear messages {unclear(said)}")
        if name == "bomb.png" and grew > 400:  # decoding it would take ≥ 900 MB
            problems.append(f"{name}: the process grew by {grew:.0f} MB: the bomb was decoded")
    assert not problems, f"{u.id}:\n  " + "\n  ".join(problems)
    # and the slide still works afterwards: back to no upload
    widget(at, u).set_value([] if u.multiple else None)
    at.run()
    assert not at.exception and not at.error, f"{u.id}: after clearing the upload: {messages(at)}"


def test_playground_csv_upload_answers_every_hostile_csv():
    (u,) = [u for u in UPLOADERS if u.demo == "playground"]
    at = reach(demo_app(u.demo, u.options).run(), u)
    problems = []
    for name, data in hostile_csvs().items():
        upload(at, u, name, data, "text/csv")
        if at.exception:
            problems.append(f"{name}: exception {[e.value for e in at.exception]}")
            continue
        errors = [e.value for e in at.error]
        used = [c.value for c in at.caption if f"points from {name}" in c.value]
        if CSV_EXPECT[name] == "error" and not any(name in e for e in errors):
            problems.append(f"{name}: expected an error naming the file, got errors={errors} used={used}")
        if CSV_EXPECT[name] == "used" and (errors or not used):
            problems.append(f"{name}: expected the finite rows to be used, got errors={errors}")
        for c in at.main.metric:
            if c.label in ("train loss", "test loss") and not re.fullmatch(r"\d+\.\d{3}", c.value):
                problems.append(f"{name}: {c.label} shows {c.value!r}")
        if name == "huge_numbers.csv" and used:
            import numpy as np

            pts = at.session_state["t_run"].train_pts
            if not np.isfinite(pts).all():
                problems.append(f"{name}: non-finite training points")
    assert not problems, "playground:\n  " + "\n  ".join(problems)


def test_hostile_files_are_what_they_claim():
    """The generator itself: the bomb really claims 900 MP, the huge one is 50 MP, all are small."""
    import io

    from PIL import Image

    files = hostile_files()
    assert files["empty.jpg"][0] == b""
    assert all(len(d) < 1_000_000 for d, _ in files.values())
    with Image.open(io.BytesIO(files["huge_50mp.png"][0])) as im:
        assert im.size == (7072, 7072) and im.size[0] * im.size[1] >= 50_000_000
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # only to read the header of the bomb
    try:
        with Image.open(io.BytesIO(files["bomb.png"][0])) as im:
            assert im.size == (30_000, 30_000)
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    data = files["truncated.jpg"][0]
    assert data[:2] == b"\xff\xd8" and b"\xff\xd9" not in data[-2:]
    with pytest.raises(Exception):
        Image.open(io.BytesIO(files["not_an_image.png"][0]))
    assert len(JUNK_TEXT) == 10_000 and "\x00" in JUNK_TEXT and "\u202e" in JUNK_TEXT


def upload_call_sites() -> set[tuple[str, str, str]]:
    """(file, widget kind, key expression as written) of every upload / camera widget in demos/."""
    import ast

    sites = set()
    for path in sorted((ROOT / "demos").rglob("*.py")):
        src = path.read_text()
        name = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(src)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("file_uploader", "camera_input")):
                key = next((ast.get_source_segment(src, k.value) for k in node.keywords if k.arg == "key"), "")
                sites.add((name, node.func.attr, key))
    return sites


def test_every_upload_widget_in_the_sources_is_listed():
    """A new file_uploader / camera_input anywhere in demos/ must be added to UPLOADERS."""
    sites = upload_call_sites()
    assert len(sites) >= 9  # the grep itself works (nine call sites since the captioning photo uses the shared picker)
    listed = {(u.site[0], u.kind, u.site[1]) for u in UPLOADERS}
    assert not sites - listed, f"upload widgets missing from tests/bad_inputs.UPLOADERS: {sorted(sites - listed)}"
    assert not listed - sites, f"UPLOADERS names calls that no longer exist: {sorted(listed - sites)}"
    # the shared picker is reached through every demo that calls image_input
    pickers = {p.stem for p in (ROOT / "demos").glob("*.py")
               if "image_input(" in p.read_text()}
    covered = {u.demo for u in UPLOADERS if u.site[0] == "demos/kit/images.py"}
    assert pickers <= covered, f"demos using image_input with no UPLOADERS entry: {pickers - covered}"
    # every demo that holds a call site has an entry of its own
    assert {f for f, _, _ in sites} - {"demos/kit/images.py"} <= {f"demos/{u.demo}.py" for u in UPLOADERS}


# --------------------------------------------------------------------------------- text boxes


# Widgets that show a demo's text boxes which its slide options alone do not (kind, key, value).
REVEAL = {"autograd": [("radio", "t_preset", "own")]}


def text_box_sites() -> dict[str, list[str]]:
    """demo -> regexes of the keys of every text_input / text_area in its source (key_prefix "t")."""
    import ast

    def pattern(expr: str) -> str:
        m = re.fullmatch(r'k\("([^"]+)"\)', expr)  # k = lambda name: f"{key_prefix}_{name}"
        if m:
            return re.escape("t_" + m.group(1))
        m = re.fullmatch(r'f"(.*)"', expr)
        assert m, f"a text box key this test cannot read: {expr}"
        return "".join("t" if part in ("{kp}", "{key_prefix}") else ".+" if part.startswith("{") else re.escape(part)
                       for part in re.split(r"(\{[^}]*\})", m.group(1)) if part)

    sites: dict[str, list[str]] = {}
    for path in sorted((ROOT / "demos").rglob("*.py")):
        src = path.read_text()
        name = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(src)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("text_input", "text_area", "chat_input")):
                key = next((ast.get_source_segment(src, k.value) for k in node.keywords if k.arg == "key"), None)
                assert key, f"{path.name}:{node.lineno}: a text box without a key"
                sites.setdefault(path.stem, []).append(pattern(key))
    return sites


def _slide_options() -> dict[str, list[dict]]:
    """demo -> the distinct option sets the slides give it (deck.parser, as ``python -m deck check``)."""
    from deck.parser import load_deck

    out: dict[str, list[dict]] = {}
    for talk in load_deck(ROOT / "slides").talks:
        for slide in talk.slides:
            for seg in slide.demos:
                if dict(seg.opts) not in out.setdefault(seg.demo, []):
                    out[seg.demo].append(dict(seg.opts))
    return out


TEXT_DEMOS = sorted(d for d in text_box_sites() if d in _slide_options())


def test_text_box_demos_are_all_on_slides():
    """Every demo with a text box is placed on some slide, so the walk below reaches it."""
    assert set(text_box_sites()) <= set(_slide_options()), set(text_box_sites()) - set(_slide_options())
    assert len(TEXT_DEMOS) >= 10


def _junk_every_box(at: AppTest, demo: str, fed: set[str], where: str) -> None:
    boxes = [("text_input", w.key) for w in at.text_input] + [("text_area", w.key) for w in at.text_area]
    for kind, key in boxes:
        if key in fed:
            continue
        fed.add(key)
        for text in SHORT_JUNK + [JUNK_TEXT]:
            getattr(at, kind)(key=key).set_value(text)
            at.run()
            assert not at.exception, f"{where}: {key}={text[:20]!r}: {[e.value for e in at.exception]}"
            said = messages(at)
            assert not unclear(said), f"{where}: {key}={text[:20]!r}: unclear messages {unclear(said)}"
            assert len(list(at.main)) > 3, f"{where}: {key}={text[:20]!r}: the slide went blank"
        # the demo's main button with the junk in place (transfer's recomputes 200 Inception crops; no text)
        action = [b for b in at.button if b.key == "t_action" and not b.disabled]
        if action and demo != "transfer":
            action[0].click().run()
            assert not at.exception, f"{where}: {key}, then its button: {[e.value for e in at.exception]}"


@pytest.mark.parametrize("demo", TEXT_DEMOS)
def test_every_text_box_survives_junk(demo):
    """Type 10 kB of junk into every text box of the demo, in every configuration its slides use
    (plus REVEAL's), press its main button: no exception, no traceback, the slide still drawn."""
    fed: set[str] = set()
    unavailable = []
    for options in _slide_options()[demo]:
        where = f"{demo} {options}"
        at = demo_app(demo, options).run()
        assert not at.exception, f"{where}: before any junk: {at.exception}"
        if not at.text_input and not at.text_area and at.error:
            unavailable.append(at.error[0].value)  # e.g. a word list this machine lacks
            continue
        _junk_every_box(at, demo, fed, where)
        for kind, key, value in REVEAL.get(demo, []):
            getattr(at, kind)(key=key).set_value(value)
            at.run()
            _junk_every_box(at, demo, fed, f"{where} {key}={value}")
    if unavailable and not fed:
        pytest.skip(f"{demo} cannot run on this machine: {unavailable[0]}")
    missed = [p for p in text_box_sites()[demo] if not any(re.fullmatch(p, key) for key in fed)]
    assert not missed, f"{demo}: text boxes never reached (add a REVEAL step): {missed}; fed {sorted(fed)}"


# -------------------------------------------------------------------------------- URL garbage


def _title(at: AppTest) -> str:
    return at.main.header[0].value if at.main.header else ""


@pytest.mark.parametrize("params", GARBAGE_PARAMS, ids=lambda p: ",".join(f"{k}={v[:12]!r}" for k, v in p.items()))
def test_garbage_url_parameters(params):
    from deck.parser import load_deck

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, f"{params}: {[e.value for e in at.exception]}"
    assert not at.error, f"{params}: {[e.value for e in at.error]}"
    said = messages(at) + [c.value for c in at.caption]
    assert not any(TRACEBACK.search(m) for m in said)
    if params.get("view") == "presenter":
        assert at.title and at.title[0].value == "Presenter view"
        assert said, "the presenter view should say it is waiting / not linked"
        return
    deck = load_deck(ROOT / "slides")
    titles = {s.title for t in deck.talks for s in t.slides}
    assert _title(at) in titles, f"{params}: no slide drawn"
    # anything that named a place that does not exist gets a short, clean notice; the URL then names
    # a real slide
    if any(k in params for k in ("talk", "section", "slide")) or params.get("room"):
        assert at.warning, f"{params}: no notice"
    for w in at.warning:
        assert len(w.value) < 300 and not unclear([w.value]), f"{params}: notice {w.value!r}"
    assert at.query_params["talk"] in {t.id for t in deck.talks}, at.query_params["talk"]
    if params.get("room") and params.get("key"):
        assert "key" not in at.query_params, "a key that opens no room must leave the URL"
    if params.get("key"):  # a key is never echoed into the page
        assert all(params["key"] not in m for m in said)


def test_wrong_keys_cannot_move_a_live_room():
    """A presenter's live room is not moved by sessions holding its id with garbage keys."""
    from deck import rooms
    from deck.parser import load_deck

    talk = load_deck(ROOT / "slides").talks[0]
    room, key = rooms.open_room(talk.id, 5)
    for bad_key in ("", "x" * 500, key[:-1], key + "\x00", "\u202e" + key, key.upper()):
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params.update({"room": room, "key": bad_key, "talk": talk.id,
                                "section": talk.slides[40].section_id, "slide": str(talk.slides[40].number_in_section)})
        at.run()
        assert not at.exception and not at.error
        assert rooms.room_position(room) == (talk.id, 5), f"key {bad_key[:10]!r} moved the room"
        assert at.query_params.get("key") is None or at.query_params.get("key") == ""
    presenter = AppTest.from_file(APP, default_timeout=TIMEOUT)
    presenter.query_params.update({"room": room, "key": key, "talk": talk.id, "section": talk.slides[5].section_id,
                                   "slide": str(talk.slides[5].number_in_section)})
    presenter.run()
    assert not presenter.exception and not presenter.warning
    presenter.button(key="deck_next").click().run()
    assert rooms.room_position(room) == (talk.id, 6)  # the real key still drives it


def test_garbage_playground_url_parameters_on_its_slide():
    from deck.parser import load_deck

    deck = load_deck(ROOT / "slides")
    talk = deck.talks[0]
    slide = next(s for s in talk.slides for seg in s.demos if seg.demo == "playground" and not seg.opts)
    pfx = f"pg{slide.index}_"
    garbage = {"data": "../../etc", "noise": "-1e309", "split": "nan", "features": "<script>,,,x" + "," * 500,
               "layers": "9" * 400, "act": "\x00", "lr": "inf", "l2": "-inf", "batch": "1e999", "seed": "-5",
               "hide": "data,upload,everything," + "z" * 3000}
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"talk": talk.id, "section": slide.section_id, "slide": str(slide.number_in_section)})
    at.query_params.update({pfx + k: v for k, v in garbage.items()})
    at.query_params["pg_layers"] = "1,2,3"  # the stand-alone prefix: ignored inside the deck
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]  # the deck turns a crashed demo into an error box
    assert _title(at) == slide.title
    cfg = at.session_state[f"playground_{talk.id.replace('-', '_')}_{slide.index}_0_run"].cfg
    assert 1 <= cfg.batch <= 30 and 0 <= cfg.seed and all(1 <= w <= 8 for w in cfg.layers) and cfg.lr > 0
    assert cfg.layers != (1, 2, 3)  # pg_* belongs to a stand-alone Playground, not to this slide
    # the URL now carries the clean configuration the slide really runs
    assert at.query_params[pfx + "batch"] == str(cfg.batch) and at.query_params[pfx + "layers"] == ",".join(
        map(str, cfg.layers))


def test_other_sessions_unaffected_after_hostile_sessions():
    """After hostile sessions in this process (the tests above, and one more here), a fresh session
    opens the deck normally, with no stray notice."""
    bad = AppTest.from_file(APP, default_timeout=TIMEOUT)
    bad.query_params.update({"talk": "\x00" * 100, "room": "r" * 500, "key": "k" * 500})
    bad.run()
    assert not bad.exception
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and not at.warning and not at.error
    from deck.parser import load_deck

    assert _title(at) == load_deck(ROOT / "slides").talks[0].slides[0].title


def test_word_junk_parser_survives_junk():
    """Where the dictionary is missing the word_junk slide cannot show its box (skipped above); its
    parser, which the box feeds, is still checked here."""
    from demos.word_junk import MAX_ITEMS, _parse

    for text in SHORT_JUNK + [JUNK_TEXT, "\x00" * 3000]:
        items, note = _parse(text)
        assert len(items) <= MAX_ITEMS and all(re.fullmatch(r"[a-z]{1,15}", w) for w in items)
        assert note is None or not unclear([note])
