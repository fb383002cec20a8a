"""The talk's headline: four caption decoders trained on Flickr8k, one real photo, side by side, live.

The photo is a real scene that ships inside the installed packages (scikit-image, scikit-learn,
matplotlib), an upload or the camera (``demos/kit/images.py``); Inception-v3 turns it into the same
features the decoders were trained on (``models/captioning/photos.py``). Options: ``decoder`` (one of
gru, dilated_cnn, glu_cnn, transformer: only that decoder, five sampled captions, as on the "Results : …"
slides), ``untrained=1`` (start with the epoch-0 toggle on), ``photo`` (the sample photo shown first:
astronaut, cat, hopper, coffee, rocket, temple, flower), ``mode`` (greedy | sampled | beam).
"""
from __future__ import annotations

import time

import streamlit as st

from demos.kit import captioning as C
from demos.kit.options import choice, declare, flag
from models.captioning.flickr8k import SIZE

MODES = {"greedy": "Greedy (most likely word)", "sampled": "Sampled (temperature)", "beam": "Beam search"}
PHOTOS = {"astronaut": "astronaut", "cat": "cat (Chelsea)", "hopper": "Grace Hopper", "coffee": "coffee",
          "rocket": "rocket", "temple": "China (temple)", "flower": "flower"}
SAMPLED = 5  # captions drawn on a one-decoder slide
STRIP = 8  # words of the attention strip on the projector
LONG = 10  # words of a caption shown on the projector before it is cut

# The June 2017 talk's five sampled captions per decoder (epoch 50, Flickr30k), of its test photo of a brown dog
# playing with a garden hose: shown beside ours on the one-decoder "Results" slides (and in their notes).
TALK_2017 = {
    "gru": ["a black dog running on a park .", "two big dogs play ball across the grass .",
            "the dog is being blocked by three other men each of it to something .",
            "a dog chases a ball while a man in a vest holding the hand .",
            "a man and a dog are chasing with a frisbee in the grass ."],
    "dilated_cnn": ["the brown dog is standing on a yard .",
                    "one dog bites another baseball player has found behind in the background .",
                    "a dog running in a field leaps onto a field .", "two brown dogs are playing with a ball at a park .",
                    "a brown dog runs his white dog while he is running along in winter grass ."],
    "glu_cnn": ["a gray dog is running on a grass field .", "a dog jumping off over a bush .",
                "a dog on a leash is near a fountain .", "a brown dog is running through the muddy rain .",
                "a one dog with a brown jacket is playing in an enclosed setting ."],
    "transformer": ["two dogs play in the grass .", "two dogs race by the two dogs fight to a grassy yard .",
                    "the brown dogs lead beside two fire .", "two colored dog on a dogs to a metal tunnel .",
                    "one dog chases after a brown dog on the park ."],
}

# mode: greedy, or sampled when one decoder is shown
OPTIONS = declare(decoder=choice(C.photo_decoder_names, None), untrained=flag(False), photo=choice(PHOTOS, "astronaut"),
                  mode=choice(MODES, None))


def _photo(key_prefix: str, default: str):
    """The chosen photo (``LoadedImage``) or None (the upload's message is shown)."""
    from demos.kit.images import image_input

    return image_input(key_prefix, default_sample=default, label="Photo", max_side=640, samples=C.PHOTO_SAMPLES)


def _attention_strip(rgb, words, att, n: int, present: bool) -> None:
    """One small copy of the photo per word, lit where the transformer looked most (its last layer's attention
    over the 4×4 regions, ``C.attention_overlay``); in browse mode the share it gave the whole-photo vector."""
    if att is None or not words:
        return
    n = min(len(words), n)
    cols = st.columns(n, gap="small")
    for k in range(n):
        cols[k].image(C.attention_overlay(rgb, att[k, 1:]), width="stretch",
                      caption=f"{words[k]} · whole {att[k, 0]:.0%}" if not present else words[k])


def _shown(words: list[str], present: bool, cut: bool) -> str:
    """A caption as text; on the projector an untrained decoder's (``cut``: it runs on to the length limit)
    is cut after ``LONG`` words with a count of the rest."""
    if not words:
        return "(empty)"
    if present and cut and len(words) > LONG + 2:
        return " ".join(words[:LONG]) + f" … (+{len(words) - LONG} words)"
    return " ".join(words)


def _figures(name: str, meta: dict, ms: float, present: bool, untrained: bool) -> str:
    """One line under a decoder's captions: its recorded test BLEU-4 (manifest), the time per caption."""
    m = C.photo_manifest_entry(name).get("metrics", {})
    b4 = m.get("test_bleu4")
    score = f"test BLEU-4 {b4:.1f}" if b4 is not None else "test BLEU-4 not recorded yet"
    if untrained:  # the recorded score is the trained decoder's, not these random weights'
        return f"{ms:.0f} ms" + (" per caption on one thread" if not present else "") + " · epoch 0 (random weights)"
    if present:
        return f"{score} · {ms:.0f} ms" + (" · epoch 0" if untrained else "")
    return (f"{score} (Flickr8k test split, coco-caption BLEU) · {ms:.0f} ms per caption on one thread · "
            f"{meta.get('params', 0):,} parameters" + (" · showing epoch 0 (random weights)" if untrained else ""))


def render(key_prefix: str = "caption_compare", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the photo and our decoders' captions (and the transformer's
    attention, word by word) in ``stage.visual``; "Next photo" (and "Sample again" while sampling) in
    ``stage.controls``; the photo source (sample / upload / camera), decoding settings and the untrained
    toggle in ``stage.more``."""
    from deck.stage import default_stage

    stage = stage or default_stage()
    o = OPTIONS.parse(options)
    only = o.decoder
    names = [only] if only else C.photo_decoder_names()
    labels = C.photo_labels()
    for name in ("sample", "seed", "source"):  # a button's choice, applied before the widget is drawn
        nxt = st.session_state.pop(f"{key_prefix}_{name}_next", None)
        if nxt is not None:
            st.session_state[f"{key_prefix}_{name}"] = nxt
    with stage.more:
        img = _photo(key_prefix, PHOTOS[o.photo])
        c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
        mode = c1.radio("Decoding", list(MODES), format_func=MODES.get, horizontal=True, key=f"{key_prefix}_mode",
                        index=list(MODES).index(o.mode or ("sampled" if only else "greedy")))
        untrained = c2.toggle("Untrained (epoch 0)", value=o.untrained, key=f"{key_prefix}_untrained",
                              help="The same networks with their random starting weights, before any training: "
                                   "\"uninitialised model is terrible\".")
        c1, c2, c3 = st.columns(3)
        temperature = c1.slider("Temperature", 0.1, 2.0, 0.8, 0.1, key=f"{key_prefix}_temp", disabled=mode != "sampled",
                                help="Below 1: safer, repetitive words. Above 1: more adventurous, more mistakes.")
        width = c2.slider("Beam width", 2, 8, 3, key=f"{key_prefix}_beam", disabled=mode != "beam")
        seed = c3.number_input("Seed", 0, 9999, 0, key=f"{key_prefix}_seed", disabled=mode != "sampled")
    with stage.controls:
        b = st.container(horizontal=True)
        if b.button("Next photo", key=f"{key_prefix}_action", type="primary",
                    help="The next built-in photo (none of them is in Flickr8k)."):
            cur = st.session_state.get(f"{key_prefix}_sample", PHOTOS[o.photo])
            k = C.PHOTO_SAMPLES.index(cur) if cur in C.PHOTO_SAMPLES else -1
            st.session_state[f"{key_prefix}_sample_next"] = C.PHOTO_SAMPLES[(k + 1) % len(C.PHOTO_SAMPLES)]
            st.session_state[f"{key_prefix}_source_next"] = "Sample photo"
            st.rerun()
        if mode == "sampled" and b.button("Sample again", key=f"{key_prefix}_resample",
                                          help="New random draws: the next seed."):
            st.session_state[f"{key_prefix}_seed_next"] = (int(seed) + 1) % 10_000
            st.rerun()
    if img is None:  # an upload that is not a readable picture: its message is in More settings, said here too
        stage.visual.warning("That upload is not a picture we can read (see More settings for why): upload another, "
                             "or pick a sample photo.")
        return
    present = stage.present
    shipped = set(C.photos_shipped())
    with stage.visual:
        left, right = st.columns([1, 1.9] if present else [1, 2.2])
    left.image(img.array, caption=f"{img.name} (the decoders see it at {SIZE}×{SIZE})", width="stretch")
    if not shipped & set(names):
        with right:
            for name in names:
                st.caption(C.not_shipped_note(name))  # (no decoder to show: the full note, even on the projector)
        return
    rgb = img.array
    feats = C.photo_features(rgb)
    with right:
        if only:
            cells = [st.container(border=True)]
        else:
            r1, r2 = st.columns(2), st.columns(2)
            cells = [c.container(border=True) for c in (*r1, *r2)]
    trans = None
    kind = {"sampled": "sample"}.get(mode, mode)
    for name, cell in zip(names, cells):
        with cell:
            if name not in shipped:
                st.markdown(f"**{labels[name]}**")
                st.caption(C.not_shipped_note(name, short=present, labelled=False))
                continue
            _, meta = C.photo_decoder(name, untrained)  # loaded (once) before the clock starts
            n = SAMPLED if only else 1
            t0 = time.perf_counter()
            outs = [C.photo_caption(feats, name, kind, beam=width, seed=int(seed) * 100 + k, temperature=temperature,
                                    untrained=untrained) for k in range(n if kind == "sample" else 1)]
            ms = (time.perf_counter() - t0) * 1000 / len(outs)
            lines = [f"“{_shown(o_['words'], present, untrained)}”" for o_ in outs]
            if only:
                st.markdown(f"**Ours · {labels[name]}** · {MODES[mode].split(' (')[0].lower()}, trained on Flickr8k"
                            + (" · epoch 0" if untrained else "") + "\n" + "\n".join(f"- **{t}**" for t in lines))
            else:
                st.markdown(f"**{labels[name]}**{' · epoch 0' if untrained else ''}  \n**{lines[0]}**")
            st.caption(_figures(name, meta, ms, present, untrained))
        if name == "transformer":
            trans = outs[0]
    if only and not untrained:  # the Results slides: the 2017 talk's captions of its own test photo, beside ours
        with stage.visual.container(border=True):
            st.markdown(f"**2017 talk · {labels[only]}** · epoch 50, Flickr30k, its test photo: a dog with a garden hose")
            if present:  # one paragraph on the projector: the strip of attention must fit under it
                st.caption(" · ".join(f"“{t}”" for t in TALK_2017[only]))
            else:
                st.caption("\n".join(f"- “{t}”" for t in TALK_2017[only]))
    if trans is not None and trans["attention"] is not None:
        with stage.visual:
            st.caption("Where the transformer looked, word by word (lit: regions given more than a fair share of its "
                       "attention)" if present else
                       "Where the transformer looked while writing each word (last layer's attention over a 4×4 grid of "
                       "the photo; lit = regions given more than a fair share; 'whole' = the share given to the "
                       "whole-photo vector)")
            _attention_strip(rgb, trans["words"], trans["attention"], STRIP if present else 16, present)
    if not present:
        stage.more.caption(f"Captions of the photo by the decoders trained on Flickr8k's 6,000 training photos "
                   f"({mode}); shipped now: {', '.join(labels[n] for n in C.photo_decoder_names() if n in shipped) or 'none'}.")
