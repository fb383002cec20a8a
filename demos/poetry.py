"""Shakespeare by checkpoint: sample a character-level 2xGRU at several points of its training.

Slides "Chaining Outputs to Inputs", "Learning Character Sequences", "Poetry : Epoch 1/100/1000",
"Plays : Epoch 338". Options: ``checkpoint`` (index into the shipped list, or "last"), ``temperature``,
``prime``, ``length``, ``seed``, ``compare`` ("1" to show every checkpoint side by side by default),
``gpt`` ("1" to open the 2017 -> today comparison with a small transformer).
"""
from __future__ import annotations

import time

import streamlit as st

from demos.kit.options import declare, flag, integer, number, text

MAX_PRIME = 500
PRESENT_GRID_CHARS = 100  # each checkpoint's sample in the present-mode grid (the full 200 elsewhere)


@st.cache_resource(show_spinner="Loading the char-RNN checkpoints...")
def _checkpoints():
    """[(label, model, vocab, meta)] in training order."""
    from models import artefacts
    from models.device import set_threads
    from models.language.charrnn import load_checkpoint

    set_threads("single")
    out = []
    for e in sorted(artefacts.entries("language", "charrnn_"), key=lambda e: e["metrics"]["iteration"]):
        model, vocab, meta = load_checkpoint(artefacts.path_of(e))
        label = f"iteration {meta['iteration']:,} ({meta['epochs']:.2f} epochs) · val loss {meta['val_loss']:.3f}"
        out.append((label, model, vocab, meta))
    return out


@st.cache_resource(show_spinner="Loading the small transformer...")
def _gpt():
    """(model, vocab, meta, manifest entry) of the shipped character GPT, or None."""
    from models import artefacts
    from models.device import set_threads
    from models.language.chargpt import load_gpt

    set_threads("single")
    ents = artefacts.entries("language", "chargpt_")
    if not ents:
        return None
    model, vocab, meta = load_gpt(artefacts.path_of(ents[-1]))
    return model, vocab, meta, ents[-1]


@st.cache_data(show_spinner=False, max_entries=64)
def _gpt_text(prime: str, length: int, temperature: float, seed: int) -> str:
    """The transformer's continuation. Sampling is seeded, so the same settings give the same text:
    kept once per process (1-2 s of CPU per visit otherwise, tens of seconds with a full room)."""
    from models.language.chargpt import sample_gpt

    gm, gv, _, _ = _gpt()
    return "".join(sample_gpt(gm, gv, prime, length=length, temperature=temperature, seed=seed))


@st.cache_data(show_spinner=False, max_entries=64)
def _every_checkpoint(prime: str, temperature: float, seed: int) -> list[str]:
    """200 seeded characters from each checkpoint (same reason as ``_gpt_text``)."""
    from models.language.charrnn import sample

    return ["".join(sample(m, v, prime, length=200, temperature=temperature, seed=seed))
            for _, m, v, _ in _checkpoints()]


# checkpoint: an index into the shipped list, negative from the end; "last" (not a number) is the last one.
OPTIONS = declare(checkpoint=integer(-1), temperature=number(0.8, 0.1, 1.5), prime=text("HAMLET\n"),
                  length=integer(300, 50, 1500), seed=integer(1, 0, 1_000_000), compare=flag(False), gpt=flag(False))


def render(key_prefix: str = "poetry", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the sampled text (streamed as it is sampled) and a one-line
    read-out in ``stage.visual`` (every checkpoint's sample or the transformer's beside ours when those
    are switched on), the temperature in ``stage.controls``, checkpoint, length, seed, prime and the
    two comparisons' switches in ``stage.more``."""
    from deck.stage import default_stage
    from models.language.charrnn import sample

    stage = stage or default_stage()
    o = OPTIONS.parse(options)
    k = lambda name: f"{key_prefix}_{name}"  # noqa: E731
    cks = _checkpoints()
    if not cks:
        stage.visual.error("No char-RNN checkpoints shipped (run python -m models.language.train_charrnn).")
        return
    labels = [c[0] for c in cks]
    start = o.checkpoint % len(cks)
    temp = stage.controls.slider("Temperature", 0.1, 1.5, o.temperature, 0.05, key=k("temp"),
                                 help="Divides the logits: low = safe and repetitive, high = adventurous and misspelt.")
    more = stage.more
    label = more.select_slider("Checkpoint (training progress)", labels, value=labels[start], key=k("ckpt"),
                               help="Saved along one training run: early = gibberish, later = word-like, then verse.")
    c2, c3 = more.columns(2)
    n = c2.slider("Length (characters)", 50, 1500, o.length, 50, key=k("len"),
                  help="How many characters to sample.")
    sd = c3.number_input("Seed", 0, 1_000_000, o.seed, key=k("seed"),
                         help="Same seed + same prime = the same random numbers for every checkpoint.")
    st.session_state.setdefault(k("prime"), o.prime.replace("\\n", "\n"))
    more.text_area("Prime text", key=k("prime"), height=68, max_chars=5000,
                   help="The model reads this first, then continues it. Speaker names in capitals start a speech.")
    compare = more.toggle("Same seed, every checkpoint", value=o.compare, key=k("compare"),
                          help="Sample 200 characters from each checkpoint with the same seed, prime and temperature.")
    gpt = more.toggle("2017 → today: a small transformer on the same text", value=o.gpt, key=k("gpt"),
                      help="A GPT-2-style model (Hugging Face transformers, trained from scratch by our script), "
                           "similar parameter count, same data split.")
    raw = st.session_state[k("prime")]
    _, model, vocab, meta = cks[labels.index(label)]
    prime_txt = raw[-MAX_PRIME:]
    visual = stage.visual
    if len(raw) > MAX_PRIME:
        visual.info(f"Only the last {MAX_PRIME} of {len(raw):,} prime characters are used.")
    dropped = sorted({ch for ch in prime_txt if ch not in vocab.chars})
    if dropped:
        visual.warning("Characters the model never saw are skipped: " + " ".join(repr(c) for c in dropped[:12]))
    if not vocab.encode(prime_txt):
        visual.caption("Empty prime: starting from a new line.")

    # Present mode: the sample wraps (no sideways scrolling on the projector); with the transformer on,
    # ours and its stand side by side; with every checkpoint on, their grid is the visual.
    present = stage.present
    readout = visual.empty()
    if present and gpt:
        ours, theirs = visual.columns(2)
    else:
        ours = theirs = visual
    heads = (ours.empty(), theirs.empty()) if present and gpt else None
    box = ours.empty()
    text, t0 = "", time.perf_counter()
    for i, ch in enumerate(sample(model, vocab, prime_txt, length=n, temperature=temp, seed=int(sd))):
        text += ch
        if i % 25 == 0:
            box.code(prime_txt + text, language=None, wrap_lines=present)
    secs = time.perf_counter() - t0
    if present and compare:
        box.empty()  # the grid below shows this checkpoint's sample too
    else:
        box.code(prime_txt + text, language=None, wrap_lines=present)
    said = (f"{n} characters in {secs:.2f} s ({n / max(secs, 1e-6):,.0f} chars/s) · {label} · "
            f"trained {meta['seconds'] / 60:.1f} min on one shared CPU thread.")
    if present:
        readout.markdown(f"**{n / max(secs, 1e-6):,.0f} chars/s** · {label}")
        more.caption(said)
    else:
        readout.caption(said)

    if compare:
        cols = visual.columns(3)
        for j, ((lab, _, _, _), out) in enumerate(zip(cks, _every_checkpoint(prime_txt, float(temp), int(sd)))):
            cols[j % 3].markdown(f"**{lab.split(' · ')[0] if present else lab}**")
            shown = prime_txt + out
            if present and len(shown) > PRESENT_GRID_CHARS:  # six samples on one projector screen
                shown = shown[:PRESENT_GRID_CHARS] + "…"
            cols[j % 3].code(shown, language=None, wrap_lines=True)

    if gpt:
        got = _gpt()
        if got is None:
            visual.info("No transformer checkpoint shipped (python -m models.language.train_chargpt).")
            return
        gm, gv, gmeta, gentry = got
        rnn_best = cks[-1][3]
        gc = gm.gpt.config
        rnn_model = cks[-1][1]
        (more if present else visual).caption(
            f"2×GRU ({rnn_model.cfg.hidden} units, {sum(p.numel() for p in rnn_model.parameters()):,} "
            f"parameters): val loss {rnn_best['val_loss']:.3f} after {rnn_best['seconds'] / 60:.0f} min · "
            f"GPT ({gc.n_layer} layers, {gc.n_head} heads, {gc.n_embd}-d, "
            f"{sum(p.numel() for p in gm.parameters()):,} parameters): "
            f"val loss {gmeta['val_loss']:.3f} after {gmeta['seconds'] / 60:.0f} min, iteration "
            f"{gmeta['iteration']:,}; both on one shared CPU thread, same validation characters "
            "(the GPT reads them with its 128-character training context).")
        out = _gpt_text(prime_txt, min(n, 300), float(temp), int(sd))
        if heads:
            heads[0].markdown(f"**2×GRU** · val loss **{rnn_best['val_loss']:.3f}**" if label == labels[-1]
                              else "**2×GRU**")
            heads[1].markdown(f"**GPT** · val loss **{gmeta['val_loss']:.3f}**")
        theirs.code(prime_txt + out, language=None, wrap_lines=True)
