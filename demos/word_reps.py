"""Four ways to write a word: GloVe, one-hot, base + embedding, base + binary ECC.

Slides on the captioning talk's word representations. The attendee types a sentence; a table shows
each representation's width, how many numbers the sentence costs, and the decoded round trip. An
"error correction" panel flips bits of one word's binary code and shows the majority vote repair it
(or fail). Options: ``sentence`` (the starting text).
"""
from __future__ import annotations

import pathlib
import unicodedata

import streamlit as st

from demos.kit.options import declare, text

DEFAULT_SENTENCE = "a red circle above a small blue square ."
MAX_CHARS = 200
MAX_SHOWN = 40  # tokens listed above the table
VOCAB_PATH = pathlib.Path(__file__).resolve().parents[1] / "models" / "artefacts" / "captioning" / "vocab.json"
# Okabe-Ito colour-blind-safe palette: orange for a flipped bit, vermillion for a wrong vote
FLIPPED, WRONG = "#E69F00", "#D55E00"

# Used only when the shipped vocabulary is missing: captions in the style of the built-in scenes.
BUILTIN_CAPTIONS = [
    "a red circle above a small blue square .",
    "a small blue square below a big red circle .",
    "a green triangle to the left of a yellow star .",
    "the yellow star is to the right of the green triangle .",
    "two red circles and a blue square on a white background .",
    "a big purple square next to a small orange circle .",
    "an orange circle is inside a large black square .",
    "three green triangles in a row , pointing up .",
    "a blue circle at the top and a red triangle at the bottom .",
    "the small square is between the two large circles .",
    "a dog runs on the grass with a ball in its mouth .",
    "a man in a red shirt is riding a bike down the street .",
    "two children play with a hose in the garden .",
    "a black and white dog jumps over a fence .",
    "a woman is sitting on a bench near the water .",
]


@st.cache_resource(show_spinner="Loading GloVe vectors (100k words)...")
def _glove():
    from models.data.glove import load_glove

    return load_glove()


@st.cache_resource(show_spinner="Building the vocabulary and the four word representations...")
def _setup(vocab_path: str, _mtime: float):
    """(vocab, {name: representation}, where the vocabulary came from)."""
    from models.captioning.vocab import Vocab, build_vocab, glove_rows, tokenize
    from models.captioning.wordreps import REPRESENTATIONS, make

    glove = _glove()
    vocab, source = None, ""
    if vocab_path:
        try:
            vocab = Vocab.from_json(vocab_path)
            source = (f"The shipped caption vocabulary: {len(vocab):,} words, of which {vocab.n_base} form the base "
                      f"block (5 action tokens + {vocab.n_base - 5} stop words and punctuation).")
        except (OSError, ValueError, KeyError, TypeError) as e:
            source = f"The shipped vocabulary could not be read ({type(e).__name__}); "
    if vocab is None:
        vocab = build_vocab([tokenize(c) for c in BUILTIN_CAPTIONS], min_count=1, glove_words=glove.index)
        source += (f"{'A' if not source else 'a'} small stand-in vocabulary built from {len(BUILTIN_CAPTIONS)} built-in "
                   f"captions ({len(vocab)} words, base block {vocab.n_base}): the trained caption vocabulary "
                   "is not shipped yet, so many words will read as <unk>.")
    matrix = glove_rows(vocab, glove)
    reps = {name: make(name, vocab, matrix) for name in REPRESENTATIONS}
    return vocab, reps, source


def _load():
    path = VOCAB_PATH if VOCAB_PATH.is_file() else None
    return _setup(str(path) if path else "", path.stat().st_mtime if path else 0.0)


def _clean(raw) -> tuple[str, list[str]]:
    """The text to tokenise (first MAX_CHARS characters, control characters as spaces) and notes."""
    raw = "" if raw is None else str(raw)
    notes = []
    if len(raw) > MAX_CHARS:
        notes.append(f"Only the first {MAX_CHARS} of {len(raw):,} characters are used.")
        raw = raw[:MAX_CHARS]
    text = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in raw)
    return text, notes


def _code(tok: str) -> str:
    """A token as a Markdown code span (double backticks survive a backtick inside)."""
    return f"`` {tok} ``"


def _has_letters(tok: str) -> bool:
    return any(ch.isalnum() for ch in tok)


LABELS = {
    "glove": "GloVe vector",
    "onehot": "full one-hot",
    "base+embedding": "base one-hot + GloVe",
    "base+ecc": "base one-hot + binary ECC",
}


def _table(vocab, reps, ids):
    from models.captioning.vocab import START, STOP

    rows = {"representation": [], "width": [], "numbers for this sentence": [], "decoded round trip": [],
            "exact": []}
    for name, rep in reps.items():
        back = rep.decode(rep.encode(ids))
        rows["representation"].append(LABELS.get(name, name))
        rows["width"].append(rep.width)
        rows["numbers for this sentence"].append(f"{len(ids)} × {rep.width:,} = {len(ids) * rep.width:,}")
        words = vocab.decode(back)
        if back and back[0] == START and STOP in back:
            rows["decoded round trip"].append(" ".join(words))
        else:
            rows["decoded round trip"].append(" ".join(words) + "  (START/STOP lost)")
        rows["exact"].append("yes" if back == ids else "no")
    return rows


def _ecc_panel(k, vocab, rep, tokens, stage):
    """The error-correction panel on ``stage``: bits and verdict in the visual, the three flip buttons
    in the controls, word, count, seed and flipped-bit picker in more."""
    import numpy as np

    from models.captioning.wordreps import flip_bits

    present, visual, more = stage.present, stage.visual, stage.more
    visual.markdown("**Error correction in the binary code**" if present else "##### Error correction in the binary code")
    n = rep.copies * rep.bits
    (more if present else visual).caption(f"The word's index is written in {rep.bits} bits, repeated {rep.copies} times ({n} numbers). "
               f"A majority vote per bit position repairs any one flip in each position — up to {rep.bits} "
               f"flips — but not a bit flipped in {rep.copies // 2 + 1} of its {rep.copies} copies.")
    words = list(dict.fromkeys(tokens))
    label = {w: f"{w}  (id {vocab.id_of(w)})" if w in vocab else f"{w}  (<unk>, id 1)" for w in words}
    if st.session_state.get(k("ecc_word")) not in words:
        st.session_state[k("ecc_word")] = next((w for w in words if vocab.id_of(w) >= vocab.n_base), words[0])
    flips_key = k("ecc_flips")
    st.session_state[flips_key] = [p for p in st.session_state.get(flips_key, [0, rep.bits + 1])
                                   if isinstance(p, int) and 0 <= p < n]

    def _random(count, seed):
        rng = np.random.default_rng(int(seed))
        st.session_state[flips_key] = sorted(rng.choice(n, size=min(int(count), n), replace=False).tolist())

    def _set(positions):
        st.session_state[flips_key] = list(positions)

    c1, c2, c3 = more.columns([2, 2, 1])
    word = c1.selectbox("Word of the sentence", words, key=k("ecc_word"), format_func=label.get)
    count = c2.slider("Random bit flips", 0, n, min(2, n), key=k("ecc_count"))
    seed = c3.number_input("Seed", 0, 10_000, 0, key=k("ecc_seed"))
    b1 = b2 = b3 = stage.controls.container(horizontal=True)
    b1.button("Flip random bits", key=k("ecc_random"), on_click=_random, args=(count, seed), width="stretch")
    b2.button("Break it: same bit in two copies", key=k("ecc_break"), width="stretch",
              on_click=_set, args=([rep.bits - 1, 2 * rep.bits - 1],))
    b3.button("No flips", key=k("ecc_clear"), on_click=_set, args=([],), width="stretch")
    more.multiselect("Flipped bits", list(range(n)), key=flips_key,
                   format_func=lambda p: f"copy {p // rep.bits + 1} · bit {p % rep.bits + 1}")
    flips = st.session_state[flips_key]

    wid = vocab.id_of(word)
    sent = rep.bits_block([wid])[0]
    received = flip_bits(sent, flips)
    truth = rep.index_bits([wid])[0]
    voted = rep.vote(received)[0]
    got = rep.decode_bits(received)[0]

    import pandas as pd

    recv01 = (received.reshape(rep.copies, rep.bits) > 0).astype(int)
    cols = [f"b{j + 1}" for j in range(rep.bits)]
    df = pd.DataFrame(np.vstack([np.tile(truth, (1, 1)), recv01, voted[None]]), columns=cols,
                      index=["sent (each copy)"] + [f"received copy {c + 1}" for c in range(rep.copies)]
                      + ["majority vote"])
    flipped = set(flips)

    def _style(frame):
        css = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for c in range(rep.copies):
            for j in range(rep.bits):
                if c * rep.bits + j in flipped:
                    css.iloc[1 + c, j] = f"background-color: {FLIPPED}; color: black"
        for j in range(rep.bits):
            if voted[j] != truth[j]:
                css.iloc[-1, j] = f"background-color: {WRONG}; color: white"
        return css

    visual.dataframe(df.style.apply(_style, axis=None), width="stretch", key=k("ecc_bits"))
    got_word = vocab.words[got]
    if not flips:
        visual.info(f"No bits flipped: the vote reads index {got} = **{got_word}**.")
    elif got == wid:
        visual.success(f"{len(flips)} bit(s) flipped, and the majority vote still reads index {got} = "
                   f"**{got_word}**: corrected.")
    else:
        bad = [j + 1 for j in range(rep.bits) if voted[j] != truth[j]]
        visual.error(f"{len(flips)} bit(s) flipped; bit {', '.join(map(str, bad))} lost its vote, so the code reads "
                 f"index {int((voted * (1 << np.arange(rep.bits - 1, -1, -1))).sum())} → **{got_word}** instead of "
                 f"**{vocab.words[wid]}**: not corrected.")
    if wid < vocab.n_base:
        visual.caption(f"'{vocab.words[wid]}' is in the base block: in the full code its one-hot decides and the bits "
                   "are read only when <extra> wins. The panel reads the bits alone.")


OPTIONS = declare(sentence=text(DEFAULT_SENTENCE))


def render(key_prefix: str = "word_reps", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the tokens, the four representations' table and the
    error-correction bits and verdict in ``stage.visual``; the sentence and the flip buttons in
    ``stage.controls``; where the vocabulary came from and the error-correction settings in ``stage.more``."""
    from deck.stage import default_stage
    from models.captioning.vocab import UNK, tokenize

    stage = stage or default_stage()
    visual = stage.visual
    k = lambda name: f"{key_prefix}_{name}"  # noqa: E731
    try:
        vocab, reps, source = _load()
    except (FileNotFoundError, ImportError) as e:
        visual.error(f"GloVe vectors unavailable: {e}")
        return
    stage.more.caption(source)
    st.session_state.setdefault(k("sentence"), OPTIONS.parse(options).sentence[:MAX_CHARS] or DEFAULT_SENTENCE)
    stage.controls.text_input("A sentence", key=k("sentence"), max_chars=MAX_CHARS,
                              help="Lower-cased and split into words and punctuation, as the captions were.")
    text, notes = _clean(st.session_state[k("sentence")])
    for note in notes:
        visual.warning(note)
    if len(text) == MAX_CHARS:
        visual.caption(f"The box holds at most {MAX_CHARS} characters; anything longer is cut.")
    tokens = tokenize(text)
    if not tokens:
        visual.warning("Type a sentence: there are no words in the box.")
        return
    if not any(_has_letters(t) for t in tokens):
        visual.warning("That is only punctuation and symbols: type a sentence with some words in it.")
        return
    ids = vocab.encode(tokens)
    unknown = list(dict.fromkeys(t for t in tokens if vocab.id_of(t) == UNK))
    if all(vocab.id_of(t) == UNK for t in tokens):
        visual.warning(f"None of these words is in the {len(vocab):,}-word caption vocabulary, so every one reads as "
                       "<unk>. Try a caption such as 'a dog runs on the grass .'")
    shown = [_code(t) if vocab.id_of(t) != UNK else f"~~{_code(t)}~~" for t in tokens[:MAX_SHOWN]]
    visual.markdown("Tokens: " + " ".join(shown) + (" …" if len(tokens) > MAX_SHOWN else "")
                    + f" — {len(tokens)} words + `<start>` + `<stop>` = {len(ids)} positions.")
    visual.dataframe(_table(vocab, reps, ids), hide_index=True, width="stretch", key=k("table"))
    if unknown:
        shown = ", ".join(_code(w) for w in unknown[:8]) + (" …" if len(unknown) > 8 else "")
        visual.caption(f"Not in the vocabulary, so encoded as <unk> and decoded as <unk>: {shown}.")
    _ecc_panel(k, vocab, reps["base+ecc"], tokens, stage)
