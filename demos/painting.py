"""ConvNetJS-class image painting: an MLP learns (x, y) -> (r, g, b) of a photo, live.

Slide directives, e.g.::

    ::: demo painting preset=simple
    ::: demo painting preset=deep mode=sgd2016 compare=1 b_preset=deep b_mode=adam b_fourier=8
    ::: demo painting preset=deep compare=1 b_preset=wider     (depth vs breadth)

Options: ``preset`` (simple | wider | twoply | deep), ``mode`` (sgd2016 | adam), ``fourier`` (0-10),
``lr``, ``momentum``, ``image`` (chelsea | astronaut | coffee | rocket), ``compare`` (1 shows a second
configuration with options prefixed ``b_``), ``autostart`` (1/0), ``max_seconds`` (stop training after
this many seconds per painter; default 60), ``seed``.
"""
from __future__ import annotations

import hashlib

from demos.kit import mirror
from demos.kit.options import choice, declare, flag, integer, number
from demos.kit.palette import OKABE_ITO
from demos.kit.fair_share import CLICK_WAIT_S, live_tick, memo, training_slot

SIZE = 200
MODES = {"adam": "today: Adam, batches of 4,000 pixels", "sgd2016": "2016: SGD + momentum, batches of 5"}
IMAGES = ["chelsea", "astronaut", "coffee", "rocket", "upload…"]


def _presets():
    from models.basics.painting import PRESETS

    return list(PRESETS)


def _config_options(pre: str, preset: str) -> dict:
    """The options of one configuration: A's plain, B's prefixed ``b_``."""
    return {pre + "preset": choice(_presets, preset), pre + "mode": choice(MODES, "adam"),
            pre + "lr": number(0.01, 1e-5, 1.0), pre + "momentum": number(0.9, 0.0, 0.99),
            pre + "fourier": integer(0, 0, 10)}


OPTIONS = declare(image=choice(IMAGES, "chelsea"), compare=flag(False), seed=integer(0, 0, 10_000),
                  autostart=flag(True), max_seconds=number(60.0, 1.0, 3600.0),
                  **_config_options("", "deep"), **_config_options("b_", "wider"))
# What a live room can vote on (deck/polls.py): widget key suffix -> (question, choices) of painter A.
POLLS = {"A_preset": ("Which network should paint?", _presets), "A_mode": ("Which training?", list(MODES))}


def _cached_sample(name: str):
    import streamlit as st

    @st.cache_data(show_spinner=False)
    def load(name: str, size: int):
        from models.basics.painting import sample_image

        return sample_image(name, size)

    return load(name, SIZE)


def _cached_upload(up):
    """(size×size×3 float photo or None, notices, error message or None) for an uploaded file, decoded by the
    deck's one upload decoder (``demos.kit.images``), then centre-cropped and resized."""
    import streamlit as st

    from demos.kit.images import decode_upload

    @st.cache_data(show_spinner=False, max_entries=8)
    def square(rgb, size: int):
        import numpy as np

        from models.basics.painting import square_resize

        return square_resize(rgb.astype(np.float32) / 255.0, size)

    img, err = decode_upload(up)
    if err:
        return None, [], err
    return square(img.array, SIZE), img.notices, None


def _config_controls(kp: str, tag: str, o, pre: str):
    """One column of controls for configuration `tag` (A or B); returns a PaintConfig."""
    import streamlit as st

    from models.basics.painting import PRESET_LABELS, PRESETS, PaintConfig

    names = list(PRESETS)
    preset = st.radio(f"network {tag}", names, format_func=PRESET_LABELS.get, horizontal=True,
                      index=names.index(o[pre + "preset"]),
                      key=f"{kp}_{tag}_preset",
                      help="The four nets of the 2016 slides: hidden layers × units, all ReLU.")
    modes = list(MODES)
    mode = st.radio(f"training {tag}", modes, format_func=MODES.get, horizontal=True,
                    index=modes.index(o[pre + "mode"]), key=f"{kp}_{tag}_mode",
                    help="2016: ConvNetJS's own settings (many tiny steps). Today: large batches and Adam.")
    c = st.expander(f"optimiser and input features {tag}", expanded=False).columns(3)
    lr = c[0].number_input("learning rate", 1e-5, 1.0, o[pre + "lr"], 0.001,
                           format="%.4f", key=f"{kp}_{tag}_lr",
                           help="ConvNetJS used 0.01 with SGD; 0.01 is also a good Adam rate here.")
    mom = c[1].slider("momentum", 0.0, 0.99, o[pre + "momentum"], 0.01,
                      key=f"{kp}_{tag}_mom", disabled=mode != "sgd2016",
                      help="SGD momentum (ConvNetJS: 0.9). Adam keeps its own running averages.")
    ff = c[2].slider("Fourier freqs", 0, 10, o[pre + "fourier"], 1, key=f"{kp}_{tag}_ff",
                     help="0 = raw (x, y). k > 0 adds sin/cos of the coordinates at k octave frequencies: "
                          "sharp edges become easy for a small ReLU net.")
    return PaintConfig.from_preset(preset, mode, ff, lr=lr, momentum=mom)


def _convnetjs_caption() -> str:
    """The three recorded ConvNetJS comparisons (``benchmarks/painting.py --record``), each labelled."""
    from models import artefacts

    e = artefacts.entry("basics", "painting_vs_convnetjs")
    m = e and e["metrics"]
    if not m or None in (m.get("ratio_adam_no_fourier"), m.get("ratio_modern_recipe")):
        return ("ConvNetJS's own settings take many tiny steps; large batches with Adam reach its picture far "
                "sooner. Run both to see it.")
    return (f"Against ConvNetJS itself, same 7×20 net and picture (`{e['command']}`): "
            f"**same net and optimiser** (SGD, batches of 5): {m['ratio_same_net_same_optimiser']:.2f}× its pixels "
            f"per second; **same net, Adam on batches of 4,000**: {m['ratio_adam_no_fourier']:.1f}× faster to its "
            f"20-second picture; **today's recipe** (+ Fourier features): {m['ratio_modern_recipe']:.1f}× faster. "
            "The speed comes from the method, not the hardware.")


def _loss_figure(painters, labels, height: int = 330):
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (p, lab) in enumerate(zip(painters, labels)):
        h = p.history
        fig.add_trace(go.Scatter(x=[r[2] for r in h], y=[r[3] for r in h], mode="lines+markers", name=lab,
                                 marker=dict(size=3), line=dict(color=OKABE_ITO[[4, 5][i % 2]], width=2)))
    fig.update_layout(title="full-image loss (MSE) vs training time", height=height, xaxis_title="training seconds",
                      yaxis=dict(title="MSE", type="log"), margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.3))
    return fig


def render(key_prefix: str = "painting", stage=None, **options: str) -> None:
    """Draw the demo on ``stage`` (``deck/stage.py``; a stacked default outside the deck): the
    pictures and the loss curve in ``stage.visual``, Start/Pause, Step and Reset in ``stage.controls``,
    the photo, the configurations and the seed in ``stage.more``."""
    import streamlit as st

    from deck.stage import default_stage

    stage = stage or default_stage()
    kp = key_prefix
    o = OPTIONS.parse(options)
    images = IMAGES
    with stage.more:
        top = st.columns([1, 1])
        photo = top[0].selectbox("photo", images, index=images.index(o.image),
                                 key=f"{kp}_image", help="Built-in scikit-image photos, or your own.")
        compare = top[1].toggle("compare two configurations", o.compare, key=f"{kp}_compare",
                                help="Train a second net side by side: breadth vs depth, or 2016 vs today.")
        seed = top[1].number_input("seed", 0, 10_000, o.seed, key=f"{kp}_seed",
                                   help="Same seed, same initial weights and pixel order: a run can be repeated.")
        img, img_id = None, photo
        if photo == "upload…":
            up = st.file_uploader("your photo (PNG/JPEG, centre-cropped to 200×200)", key=f"{kp}_upload",
                                  help="Any photo; it is centre-cropped to a square and resized to 200×200.")
            if up is not None:
                img, notices, err = _cached_upload(up)
                if err:  # the message names the file and says what is wrong
                    st.error(f"{err} Showing the cat instead.")
                else:
                    img_id = "upload-" + hashlib.sha1(up.getvalue()).hexdigest()[:12]
                    for note in notices:
                        st.info(note, icon="ℹ️")
            if img is None:
                photo, img_id = "chelsea", "chelsea"
        if img is None:
            img = _cached_sample(photo)
        cols = st.columns(2 if compare else 1)
        with cols[0]:
            cfgs = [_config_controls(kp, "A", o, "")]
        if compare:
            with cols[1]:
                cfgs.append(_config_controls(kp, "B", o, "b_"))
        st.caption(_convnetjs_caption())
    for c in cfgs:
        c.seed = int(seed)

    # One Painter per configuration, rebuilt when its configuration, the photo or the seed changes.
    from models.basics.painting import Painter

    state_key = f"{kp}_painters"
    old = st.session_state.get(state_key, {})
    painters = {}
    for i, c in enumerate(cfgs):
        sig = (img_id, repr(c))
        painters[sig] = old.get(sig) or Painter(img, c)
    st.session_state[state_key] = painters
    plist = list(painters.values())

    run_key = f"{kp}_running"
    if run_key not in st.session_state:
        st.session_state[run_key] = o.autostart
    max_seconds = o.max_seconds

    with stage.controls:
        b = st.container(horizontal=True)
        if b.button("Pause" if st.session_state[run_key] else "Start", key=f"{kp}_action",
                    help="Train live; the preview refreshes several times a second.", type="primary"):
            st.session_state[run_key] = not st.session_state[run_key]
            for p in plist:  # Start after the time limit: allow another stretch
                p.limit = p.train_seconds + max_seconds
            st.rerun()
        step = b.button("Step", key=f"{kp}_step", help="One refresh worth of training (about 0.1 s), then stop.")
        if b.button("Reset", key=f"{kp}_reset", help="New random weights (same seed), counters to zero."):
            st.session_state[state_key] = {}
            st.rerun()
        if step:
            from models.basics.painting import preview_tick

            st.session_state[run_key] = False
            with training_slot(plist, wait=CLICK_WAIT_S) as slot:
                if slot:
                    preview_tick(plist)
            if slot.note:
                st.caption(slot.note)

    running = st.session_state[run_key]
    labels = [f"{chr(65 + i)}: {c.label()}" for i, c in enumerate(cfgs)]

    @st.fragment(run_every=0.12 if running else None)
    def live():
        from models.basics.painting import preview_tick

        still = [p for p in plist if p.train_seconds < getattr(p, "limit", max_seconds)]
        training = bool(st.session_state.get(run_key)) and bool(still)
        # One of the process's training slots, or skip this tick: many visitors, few cores. The drawing
        # happens inside the slot too; a skipped tick shows the pictures it kept.
        with live_tick(still, train=training, pause=running) as tick:
            pngs = dict(zip(map(id, still), preview_tick(still))) if tick else {}
            draw(pngs, tick.note)

    # Present mode (the projector): one painter shows its painting large, the photo small above the curve
    # beside it; two painters show the three pictures in a row over a shorter curve. Elsewhere: pictures | curve.
    present, two = stage.present, len(plist) > 1
    photo_aside = present and not two

    def original_png():
        from models.basics.painting import to_png

        orig_key = f"{kp}_orig_png"
        if st.session_state.get(orig_key, (None,))[0] != img_id:
            st.session_state[orig_key] = (img_id, to_png(img))
        return st.session_state[orig_key][1]

    def draw(pngs, note):
        from models.basics.painting import to_png

        if st.session_state.get(run_key) and all(p.train_seconds >= getattr(p, "limit", max_seconds) for p in plist):
            st.caption(f"Stopped after {max_seconds:g} s of training per net (press Start for more).")
        if note:
            st.caption(note)
        # The last picture of each painter, kept while it has not moved: a skipped tick (or a paused
        # demo) redraws it without running the net over every pixel again.
        shown_key = f"{kp}_shown_png"
        shown, kept = st.session_state.get(shown_key, {}), {}
        pcols = st.columns(len(plist) + (0 if photo_aside else 1))
        if not photo_aside:
            pcols[0].image(original_png(), caption="original", width="stretch")
        for i, p in enumerate(plist):
            png = pngs.get(id(p))
            if png is None:
                last = shown.get(id(p))
                fresh = last is not None and last[0] is p and last[1] == p.iterations
                png = last[2] if fresh else to_png(p.predict())
            kept[id(p)] = (p, p.iterations, png)
            it, samples, secs, mse = p.history[-1]
            where = pcols[i + (0 if photo_aside else 1)]
            where.image(png, caption=labels[i], width="stretch")
            rate = f"{samples / secs:,.0f}" if secs > 0 else "–"
            where.markdown(f"**{p.iterations:,}** iterations · **{rate}** samples/s · "
                           f"image MSE **{mse:.4f}** after {secs:.1f} s")
        st.session_state[shown_key] = kept
        # a live room's audience pages see the first painter's picture as painted (no-op outside a room)
        mirror.publish(kp, image=kept[id(plist[0])][2], text=f"{labels[0]} · {plist[0].iterations:,} iterations",
                       data={"iterations": plist[0].iterations, "mse": plist[0].history[-1][3]})

    chart_px = stage.height(236 if two else 300, 330)

    # The loss chart redraws once a second in its own fragment: re-rendering Plotly every preview tick
    # would cost the browser more than painting the image.
    @st.fragment(run_every=1.0 if running else None)
    def curve():
        store = st.session_state.setdefault(f"{kp}_memo", {})
        version = tuple((p.iterations, len(p.history)) for p in plist)
        st.plotly_chart(memo(store, "loss", plist, version + (chart_px,),
                             lambda: _loss_figure(plist, labels, chart_px)), key=f"{kp}_loss", width="stretch")

    # Both fragments draw inside stage.visual (a fragment keeps to the container it is called in).
    with stage.visual:
        if present and two:
            pics, chart = st.container(), st.container()
        else:
            pics, chart = st.columns([1.45, 1] if present else [1 + len(plist), 2.2])
        with pics:
            live()
        with chart:
            if photo_aside:
                st.image(original_png(), caption="original", width=170)
            curve()
