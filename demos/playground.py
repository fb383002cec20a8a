"""TensorFlow-Playground-class trainer on the slide: data, features, layers, every neuron's function.

Slide directive: ``::: demo playground data=spiral features=x,y,sinx,siny layers=8,8,4``

Options (all strings): ``data`` (circle | xor | gauss | spiral), ``noise`` (0–50 %), ``split`` (train %,
10–90), ``features`` (comma list of x,y,x2,y2,xy,sinx,siny), ``layers`` (hidden widths, e.g. ``4,2``;
``none`` for no hidden layer), ``act`` (tanh | relu | sigmoid | linear), ``lr``, ``l2``, ``batch``,
``seed``, ``hide`` (comma list of controls to hide), ``autostart`` (1/0), ``max_epochs``, ``url`` (0 stops
mirroring the configuration into the page URL).

The whole configuration is mirrored into the page URL as ``pg_*`` query parameters (``pg<slide>_*``
inside the deck; the prefix keeps them apart from the deck's own ``talk``/``section``/``slide``/``present``/
``view``), so a copied link reproduces the run, seed included; ``…hide`` hides controls for a "teaching
link". URL values win over the slide's options.
"""
from __future__ import annotations

import hashlib
import io
import time
from urllib.parse import urlencode

from deck.demo_runner import slide_place
from demos.kit import mirror
from demos.kit.options import choice, declare, flag, integer, nearest, text
from demos.kit.palette import OKABE_ITO
from demos.kit.fair_share import CLICK_WAIT_S, live_tick, memo, training_slot

LR_CHOICES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
L2_CHOICES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
CONTROLS = ("data", "noise", "split", "upload", "features", "layers", "act", "lr", "l2", "batch", "seed")
ORANGE, WHITE, BLUE = (230, 159, 0), (247, 247, 247), (0, 114, 178)


def _datasets():
    from models.basics.playground import DATASETS

    return DATASETS + ("csv",)


def _activations():
    from models.basics.playground import ACTIVATIONS

    return ACTIVATIONS


# features and layers are comma lists, checked in render; url, autostart and max_epochs come from the slide only.
OPTIONS = declare(data=choice(_datasets, "circle"), noise=integer(0, 0, 50), split=integer(50, 10, 90),
                  features=text("x,y"), layers=text("4,2"), act=choice(_activations, "tanh"),
                  lr=nearest(LR_CHOICES, 0.03), l2=nearest(L2_CHOICES, 0.0), batch=integer(10, 1, 30),
                  seed=integer(0, 0, 9999), hide=text(""), autostart=flag(True), max_epochs=integer(3000, 1, 100_000),
                  url=flag(True))
# What a live room can vote on (deck/polls.py): widget key suffix -> (question, choices); "Apply the winner"
# sets the widget ``<key_prefix>_<suffix>`` in the presenter's session.
POLLS = {"lr": ("Which learning rate?", [0.003, 0.03, 0.3]),
         "act": ("Which activation?", ["tanh", "relu", "sigmoid"])}


def url_prefix(key_prefix: str) -> str:
    """URL parameter prefix: ``pg_`` on its own; ``pg<slide>_`` inside the deck (the demo runner says which
    slide a key prefix belongs to), so two Playground slides keep separate configurations in one URL."""
    place = slide_place(key_prefix)
    if place is None:
        return "pg_"
    index, occurrence = place
    return f"pg{index}_" if occurrence == 0 else f"pg{index}x{occurrence}_"


def colourise(v):
    """Values in [-1, 1] -> RGB uint8 (H, W, 3): orange (-1) .. white (0) .. blue (+1), Playground's palette."""
    import numpy as np

    v = np.clip(v, -1, 1)[..., None]
    o, w, b = (np.array(c, dtype=np.float32) for c in (ORANGE, WHITE, BLUE))
    rgb = np.where(v < 0, w + (o - w) * (-v), w + (b - w) * v)
    return rgb.round().astype(np.uint8)


def network_picture(run, n: int = 40, thumb: int = 46):
    """One PNG: a column of thumbnails per layer (inputs, hidden layers, output), links coloured by weight."""
    import numpy as np
    from PIL import Image, ImageDraw

    from models.basics.playground import FEATURE_LABELS

    _, feats, layers, out = run.grid_outputs(n)
    cols = [list(feats)] + [list(h) for h in layers] + [[out * 2 - 1]]
    names = [[FEATURE_LABELS[f] for f in run.cfg.features]] + [[""] * len(h) for h in layers] + [["output"]]
    gap_y, gap_x, top, left = 10, 70, 18, 40
    height = top + max(len(c) for c in cols) * (thumb + gap_y) + 4
    width = left + len(cols) * thumb + (len(cols) - 1) * gap_x + 8
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)

    def pos(c, i):
        x = left + c * (thumb + gap_x)
        y0 = top + (height - top - len(cols[c]) * (thumb + gap_y)) // 2
        return x, y0 + i * (thumb + gap_y)

    weights = [lin.weight.detach().numpy() for lin in run.net.linears]  # (out, in) per link layer
    wmax = max(float(np.abs(w).max()) for w in weights) or 1.0
    for c, w in enumerate(weights):
        for j in range(w.shape[0]):
            for i in range(w.shape[1]):
                x0, y0 = pos(c, i)
                x1, y1 = pos(c + 1, j)
                colour = BLUE if w[j, i] > 0 else ORANGE
                draw.line([(x0 + thumb, y0 + thumb // 2), (x1, y1 + thumb // 2)], fill=colour,
                          width=max(1, int(round(5 * abs(w[j, i]) / wmax))))
    for c, col in enumerate(cols):
        for i, v in enumerate(col):
            scale = float(np.abs(v).max()) or 1.0
            if c == len(cols) - 1 or (c > 0 and run.cfg.activation in ("tanh",)):
                scale = 1.0  # bounded outputs keep their absolute scale
            img = Image.fromarray(colourise(v[::-1] / scale)).resize((thumb, thumb), Image.Resampling.NEAREST)
            x, y = pos(c, i)
            canvas.paste(img, (x, y))
            draw.rectangle([x - 1, y - 1, x + thumb, y + thumb], outline=(120, 120, 120))
            if names[c][i] and c == 0:
                draw.text((4, y + thumb // 2 - 5), names[c][i], fill=(0, 0, 0))
    labels = ["inputs"] + [f"hidden {k + 1}" for k in range(len(layers))] + ["output"]
    for c, lab in enumerate(labels):
        draw.text((pos(c, 0)[0], 2), lab, fill=(0, 0, 0))
    buf = io.BytesIO()
    canvas.save(buf, format="PNG")
    return buf.getvalue()


def boundary_picture(run, n: int = 64, scale: int = 4):
    """The decision map as an RGB array (n·scale px square, y up) with the training points as dots: what a
    live room's audience pages show of this demo (``demos/kit/mirror.py``). About a millisecond: the
    colours come from a 256-entry table, not :func:`colourise` per pixel."""
    import numpy as np

    xs, _, _, out = run.grid_outputs(n)
    lut = colourise(np.linspace(-1.0, 1.0, 256, dtype=np.float32))
    img = lut[np.clip(out[::-1] * 255.0, 0, 255).astype(np.uint8)]
    img = np.repeat(np.repeat(img, scale, 0), scale, 1)
    size, span = n * scale, float(xs[-1] - xs[0])
    px = np.clip(((run.train_pts[:, 0] - xs[0]) / span * (size - 1)).round().astype(int), 2, size - 3)
    py = np.clip(((xs[-1] - run.train_pts[:, 1]) / span * (size - 1)).round().astype(int), 2, size - 3)
    dots = np.where((run.train_y == 1)[:, None], np.array(BLUE), np.array(ORANGE))
    for r, colour in ((2, (60, 60, 60)), (1, dots)):  # a dark ring round each training point's class colour
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                img[py + dy, px + dx] = colour
    return img


def boundary_figure(run, discretize: bool = False, height: int = 380):
    import numpy as np
    import plotly.graph_objects as go

    from demos.kit.palette import DIVERGING

    xs, _, _, out = run.grid_outputs(100)  # the 100×100 decision map, as Playground's DENSITY
    z = (out > 0.5).astype(float) if discretize else out
    fig = go.Figure(go.Heatmap(z=z, x=xs, y=xs, zmin=0, zmax=1, colorscale=DIVERGING, showscale=False,
                               hovertemplate="x=%{x:.1f} y=%{y:.1f} p=%{z:.2f}<extra></extra>", name="p(class 1)"))
    for pts, ys, name, line in ((run.train_pts, run.train_y, "train", "white"),
                                (run.test_pts, run.test_y, "test", "black")):
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=name,
                                 marker=dict(size=6, color=np.where(ys == 1, OKABE_ITO[4], OKABE_ITO[0]),
                                             line=dict(color=line, width=1))))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), title="output (decision map, 100×100)",
                      xaxis=dict(range=[-6, 6], constrain="domain"), yaxis=dict(range=[-6, 6], scaleanchor="x"),
                      legend=dict(orientation="h", y=-0.08))
    return fig


def loss_figure(run, height: int = 220):
    import plotly.graph_objects as go

    h = run.history
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[r[0] for r in h], y=[r[1] for r in h], name="train loss",
                             line=dict(color=OKABE_ITO[4])))
    fig.add_trace(go.Scatter(x=[r[0] for r in h], y=[r[2] for r in h], name="test loss",
                             line=dict(color=OKABE_ITO[5], dash="dash")))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), title="loss (cross-entropy)",
                      xaxis_title="epoch", legend=dict(orientation="h", y=-0.35))
    return fig


def render(key_prefix: str = "playground", stage=None, **options: str) -> None:
    """Draw the trainer on ``stage`` (``deck/stage.py``; a stacked default outside the deck): the network
    picture, decision map and loss curves in ``stage.visual``, Play/Pause, Step and Reset in
    ``stage.controls``, the data, features, layers and hyper-parameters in ``stage.more``."""
    import streamlit as st

    from deck.stage import default_stage

    from models.basics.playground import (ACTIVATIONS, DATASETS, FEATURE_LABELS, FEATURES, MAX_LAYERS,
                                            MAX_WIDTH, PlaygroundConfig, PlaygroundRun, parse_csv)

    stage = stage or default_stage()
    kp = key_prefix
    pfx = url_prefix(kp)
    slide = OPTIONS.parse(options)
    use_url = slide.url
    url_opts = {k[len(pfx):]: v for k, v in st.query_params.items() if k.startswith(pfx)} if use_url else {}
    o = OPTIONS.parse({**options, **url_opts})  # a shared link wins over the slide's defaults
    hide = {h.strip() for h in o.hide.split(",") if h.strip() in CONTROLS}

    def control(name, make, default):
        return default if name in hide else make()

    # ---------------------------------------------------------------- defaults (from slide/URL)
    d_data = o.data
    d_feats = [f for f in o.features.split(",") if f in FEATURES] or ["x", "y"]
    raw_layers = o.layers.strip().lower()
    try:
        d_layers = [] if raw_layers in ("", "none", "0") else [int(w) for w in raw_layers.split(",")][:MAX_LAYERS]
    except ValueError:
        d_layers = [4, 2]
    d_layers = [min(max(w, 1), MAX_WIDTH) for w in d_layers]
    d_lr, d_l2 = o.lr, o.l2

    # ---------------------------------------------------------------- settings (stage.more)
    c_data, c_feat, c_net, c_hyper = stage.more.columns([1.3, 1, 1.8, 1.6])
    with c_data:
        data_opts = list(DATASETS) + ["csv"]
        data = control("data", lambda: st.radio("data", data_opts, index=data_opts.index(d_data), horizontal=True,
                                                key=f"{kp}_data", format_func=lambda v: "your CSV" if v == "csv" else v,
                                                help="Playground's four classification sets, or upload your own."),
                       d_data)
        noise = control("noise", lambda: st.slider("noise %", 0, 50, o.noise, 5, key=f"{kp}_noise",
                                                   help="Jitter the points; some cross into the other class."),
                        o.noise)
        split_pct = control("split", lambda: st.slider("training data %", 10, 90, o.split, 10,
                                                       key=f"{kp}_split", help="The rest is held out as test data."),
                            o.split)
        user_pts = user_lab = None
        if data == "csv":
            up = st.file_uploader("CSV: x, y, label", type=None, key=f"{kp}_csv",
                                  help="Two numeric columns for the coordinates and a label column with two "
                                       "values (named 'label', or the third column).")
            if up is None:
                st.info("Upload a CSV of points (x, y, label). Showing the circle meanwhile.")
                data = "circle"
            else:
                try:
                    user_pts, user_lab, note = parse_csv(up.getvalue())
                    st.caption(f"{len(user_lab)} points from {up.name}" + (f" ({note})" if note else ""))
                except ValueError as e:
                    st.error(f"Cannot use “{up.name}”: {e}. Showing the circle instead.")
                    data = "circle"
    with c_feat:
        def feat_boxes():
            st.markdown("**features**", help="Which inputs the net sees. With x² and y² the circle needs no hidden "
                                             "layer; the spiral likes sin x and sin y.")
            return [f for f in FEATURES if st.checkbox(FEATURE_LABELS[f], f in d_feats, key=f"{kp}_f_{f}")]
        feats = control("features", feat_boxes, d_feats) or ["x"]
    with c_net:
        def layer_controls():
            n = st.slider("hidden layers", 0, MAX_LAYERS, len(d_layers), key=f"{kp}_nlayers",
                          help="Up to 6 hidden layers of up to 8 neurons, as in Playground.")
            if n == 0:
                return []
            cc = st.columns(n)
            return [cc[i].number_input(f"L{i + 1}", 1, MAX_WIDTH, d_layers[i] if i < len(d_layers) else 4,
                                       key=f"{kp}_w{i}", help=f"neurons in hidden layer {i + 1}") for i in range(n)]
        layers = control("layers", layer_controls, d_layers)
        act = control("act", lambda: st.selectbox("activation", ACTIVATIONS,
                                                   index=ACTIVATIONS.index(o.act),
                                                   key=f"{kp}_act", help="Of every hidden neuron."),
                      o.act)
    with c_hyper:
        lr = control("lr", lambda: st.select_slider("learning rate", LR_CHOICES, d_lr, key=f"{kp}_lr",
                                                     help="Step size of SGD. Too big and the loss jumps about."), d_lr)
        l2 = control("l2", lambda: st.select_slider("L2 regularisation", L2_CHOICES, d_l2, key=f"{kp}_l2",
                                                     help="Penalty on large weights: smoother boundaries."), d_l2)
        hc = st.columns(2)
        with hc[0]:
            batch = control("batch", lambda: st.number_input("batch size", 1, 30, o.batch,
                                                             key=f"{kp}_batch", help="Points per SGD step."),
                            o.batch)
        with hc[1]:
            seed = control("seed", lambda: st.number_input("seed", 0, 9999, o.seed,
                                                           key=f"{kp}_seed", help="Data and initial weights."),
                           o.seed)

    cfg = PlaygroundConfig(data if data != "csv" else "circle", noise / 100.0, split_pct / 100.0, tuple(feats),
                           tuple(int(w) for w in layers), act, float(lr), float(l2), int(batch), int(seed)).validate()

    # ---------------------------------------------------------------- URL mirror
    params = {"data": data, "noise": noise, "split": split_pct, "features": ",".join(cfg.features),
              "layers": ",".join(map(str, cfg.layers)) or "none", "act": cfg.activation, "lr": f"{cfg.lr:g}",
              "l2": f"{cfg.l2:g}", "batch": cfg.batch, "seed": cfg.seed}
    if hide:
        params["hide"] = ",".join(sorted(hide))
    if use_url:
        for k, v in params.items():
            if st.query_params.get(pfx + k) != str(v):
                st.query_params[pfx + k] = str(v)

    # ---------------------------------------------------------------- the run
    data_sig = "" if user_pts is None else hashlib.sha1(user_pts.tobytes() + user_lab.tobytes()).hexdigest()
    sig = repr((cfg.data, cfg.noise, cfg.train_frac, cfg.features, cfg.layers, cfg.activation, cfg.seed, data_sig))
    run_key, sig_key = f"{kp}_run", f"{kp}_sig"
    if st.session_state.get(sig_key) != sig or run_key not in st.session_state:
        st.session_state[run_key] = PlaygroundRun(cfg, user_pts, user_lab)
        st.session_state[sig_key] = sig
    run = st.session_state[run_key]
    run.set_hyper(cfg.lr, cfg.l2, cfg.batch)

    playing = f"{kp}_playing"
    if playing not in st.session_state:
        st.session_state[playing] = slide.autostart
    max_epochs = slide.max_epochs
    with stage.controls:
        b = st.container(horizontal=True)
        if b.button("Pause" if st.session_state[playing] else "Play", key=f"{kp}_action", type="primary",
                    help="Train live: as many epochs per refresh as fit in about 0.2 s."):
            st.session_state[playing] = not st.session_state[playing]
            st.rerun()
        if b.button("Step", key=f"{kp}_step", help="One epoch, then pause."):
            st.session_state[playing] = False
            with training_slot(run, wait=CLICK_WAIT_S) as slot:
                if slot:
                    run.train_epochs(1)
            if slot.note:
                st.caption(slot.note)
        if b.button("Reset", key=f"{kp}_reset", help="Fresh weights from the same seed; epoch 0."):
            st.session_state[run_key] = run = PlaygroundRun(cfg, user_pts, user_lab)
    b = stage.more.container(horizontal=True, vertical_alignment="center")
    discretize = b.toggle("discretize output", False, key=f"{kp}_disc", help="Show only the predicted class.")
    with b.popover("teaching link", help="A link to this exact run with the controls you pick hidden."):
        hidden = st.multiselect("hide these controls", CONTROLS, sorted(hide), key=f"{kp}_hidepick")
        q = {k: v for k, v in st.query_params.items() if not k.startswith(pfx)}
        q.update({pfx + k: str(v) for k, v in params.items() if k != "hide"})
        if hidden:
            q[pfx + "hide"] = ",".join(hidden)
        base = str(getattr(st.context, "url", "") or "").split("?")[0]
        st.code(f"{base}?{urlencode(q)}", language=None)

    running = st.session_state[playing] and run.epoch < max_epochs

    @st.fragment(run_every=0.3 if running else None)
    def live():
        r = st.session_state[run_key]
        training = bool(st.session_state.get(playing)) and r.epoch < max_epochs
        # One of the process's training slots, or skip this tick: many visitors, few cores. The drawing
        # happens inside the slot too, so only a slot's worth of ticks compete with slide changes for the
        # interpreter; a skipped tick redraws from the figures it kept (``memo``).
        with live_tick(r, train=training) as tick:
            if tick:
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < 0.2 and r.epoch < max_epochs:
                    r.train_epochs(1)
            draw(r, tick.note)

    # Present mode (the projector): a one-line read-out over the network picture, and a decision map and
    # loss curve sized to fit the window beside it. Elsewhere: four metrics and roomier charts.
    present = stage.present
    map_px, loss_px = stage.height(330, 380), stage.height(190, 220)

    def draw(r, note: str):
        store = st.session_state.setdefault(f"{kp}_memo", {})
        version = (r.epoch, len(r.history))
        ep, tr, te = r.history[-1]
        mirror.publish(kp, image=lambda: memo(store, "mirror", r, version, lambda: boundary_picture(r)),
                       text=f"epoch {ep:,} · train loss {tr:.3f} · test loss {te:.3f}",
                       data=lambda: {"epoch": ep, "loss": [[e, round(a, 3), round(b, 3)]
                                                            for e, a, b in mirror.thin(r.history, 50)]})
        left, right = st.columns([1.25, 1])
        with left:
            if present:
                st.markdown(f"epoch **{ep:,}** · train loss **{tr:.3f}** · test loss **{te:.3f}** · "
                            f"test accuracy **{r.accuracy('test'):.0%}**")
            else:
                m = st.columns(4)
                m[0].metric("epoch", f"{ep:,}")
                m[1].metric("train loss", f"{tr:.3f}")
                m[2].metric("test loss", f"{te:.3f}")
                m[3].metric("test accuracy", f"{r.accuracy('test'):.0%}")
            st.image(memo(store, "net", r, version, lambda: network_picture(r)),
                     caption="every neuron's function over the plane (orange −, blue +); "
                             "links: blue positive, orange negative weights, thicker = larger")
        with right:
            st.plotly_chart(memo(store, "boundary", r, version + (discretize, map_px),
                                 lambda: boundary_figure(r, discretize, map_px)),
                            key=f"{kp}_boundary", width="stretch")
            st.plotly_chart(memo(store, "loss", r, version + (loss_px,), lambda: loss_figure(r, loss_px)),
                            key=f"{kp}_loss", width="stretch")
        if st.session_state.get(playing) and r.epoch >= max_epochs:
            st.caption(f"Stopped at {max_epochs} epochs.")
        if note:
            st.caption(note)

    # The live fragment draws inside stage.visual (a fragment keeps to the container it is called in).
    with stage.visual:
        live()
