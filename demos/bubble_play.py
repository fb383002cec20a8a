"""Play Bubble Breaker on the slide: click a group of two or more same-coloured bubbles.

Options (strings): ``size`` = "small" (5x8, 4 colours) | "full" (10x14, 5 colours), ``seed``.
The board is a grid of small buttons (so a click works the same in AppTest and a browser);
colours are Okabe-Ito and each colour also has its own symbol, for colour-blind viewers.
Hovering a bubble outlines its whole group (CSS :has, no JavaScript).
"""
from __future__ import annotations

import streamlit as st

from demos.kit.options import choice, declare, text

# Okabe-Ito colours + a distinct symbol per colour (index = cell value; 0 empty, -1 unknown)
COLOURS = {1: "#0072B2", 2: "#E69F00", 3: "#009E73", 4: "#CC79A7", 5: "#F0E442", 0: "#FFFFFF", -1: "#BBBBBB"}
SYMBOLS = {1: "●", 2: "▲", 3: "■", 4: "◆", 5: "★", 0: " ", -1: "?"}
INK = {1: "#FFFFFF", 2: "#000000", 3: "#FFFFFF", 4: "#000000", 5: "#000000", 0: "#000000", -1: "#000000"}
COLOUR_NAMES = {1: "blue", 2: "orange", 3: "green", 4: "pink", 5: "yellow"}
MAX_SEED = 2**32 - 1
OPTIONS = declare(size=choice(("small", "full"), "small"), seed=text("1"))  # seed: checked by parse_seed


def parse_seed(text) -> tuple[int | None, str | None]:
    """A board seed from user text: (seed, None) or (None, why not)."""
    t = str(text).strip()
    if not t:
        return None, "Type a seed: a whole number such as 1 or 2016."
    if not (t.isascii() and t.isdigit()):
        shown = "".join(ch for ch in t if ch.isprintable())[:20]  # no control or bidi characters echoed
        return None, f"'{shown}' is not a seed: use a whole number from 0 to {MAX_SEED:,}."
    s = int(t)
    if s > MAX_SEED:
        return None, f"Seed too large: use a whole number from 0 to {MAX_SEED:,}."
    return s, None


def board_figure(board, labels=None, values=None, chosen=None, title="", cell: int | None = None):
    """Plotly picture of a board in screen orientation (h leftward, v upward).

    ``values``: optional {(h, v) first cell: number} drawn as a heat map over each group
    (cells of groups get their group's value; other cells only their colour symbol). ``cell``: px per
    cell (default 34 on the small board, 30 on the full one).
    """
    import numpy as np
    import plotly.graph_objects as go

    W, H = board.shape
    xs, ys, cols, syms, text = [], [], [], [], []
    for h in range(W):
        for v in range(H):
            c = int(board[h, v])
            if c == 0:
                continue
            xs.append(W - 1 - h); ys.append(v)
            cols.append(COLOURS[c]); syms.append(SYMBOLS[c])
            text.append(f"h={h} v={v} colour={COLOUR_NAMES.get(c, 'unknown')}")
    fig = go.Figure()
    if values is not None and labels is not None:
        z = np.full((H, W), np.nan)
        for (h, v), val in values.items():
            mask = labels == h * H + v
            for hh, vv in zip(*np.nonzero(mask)):
                z[vv, W - 1 - hh] = val
        z = [[None if np.isnan(a) else float(a) for a in row] for row in z]   # plain JSON
        fig.add_trace(go.Heatmap(z=z, x=list(range(W)), y=list(range(H)), colorscale="Cividis",
                                 colorbar=dict(title="Q", thickness=10), hoverinfo="skip",
                                 xgap=1, ygap=1, name="value"))
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers+text", text=syms, textfont=dict(size=11, color="black"),
        marker=dict(size=17 if W <= 5 else 14, color=cols, line=dict(width=1, color="#333")),
        hovertext=text, hoverinfo="text", name="bubbles", showlegend=False))
    if chosen is not None and labels is not None:
        h, v = chosen
        mask = labels == h * H + v
        hh, vv = np.nonzero(mask)
        fig.add_trace(go.Scatter(x=[W - 1 - a for a in hh], y=list(vv), mode="markers",
                                 marker=dict(size=25 if W <= 5 else 22, color="rgba(0,0,0,0)",
                                             line=dict(width=3, color="#D55E00")),
                                 name="chosen move", hoverinfo="skip", showlegend=False))
    fig.update_xaxes(range=[-0.6, W - 0.4], showgrid=False, zeroline=False, visible=False)
    fig.update_yaxes(range=[-0.6, H - 0.4], showgrid=False, zeroline=False, visible=False,
                     scaleanchor="x", scaleratio=1)
    cell = cell or (34 if W <= 5 else 30)
    fig.update_layout(title=title, height=60 + cell * H, width=(140 if values is not None else 40) + cell * W,
                      margin=dict(l=5, r=5, t=40 if title else 5, b=5),
                      plot_bgcolor="white", showlegend=False)
    return fig


def own_game(play_key: str = ""):
    """The game a visitor is playing on a ``bubble_play`` board, for replaying elsewhere in the deck:
    ``(game, moves)`` with ``moves`` the (h, v) of every move so far, or None before the first move.
    ``play_key`` is that board's key prefix; empty means the board clicked most recently."""
    play_key = play_key or st.session_state.get("bubble_last_own", "bubble_play")
    game = st.session_state.get(f"{play_key}_g")
    log = st.session_state.get(f"{play_key}_log") or []
    if game is None or not log:
        return None
    return game, tuple(log)


def _new(kp, seed, size):
    from models.bubble import engine as E

    g = E.Game.of_size(seed, size)
    st.session_state[f"{kp}_g"] = g
    st.session_state[f"{kp}_hist"] = []
    st.session_state[f"{kp}_msg"] = ("info", f"New {size} board, seed {seed}. Click a group of 2 or more.")
    st.session_state[f"{kp}_log"] = []            # (h, v) of every move, for replay


def _click(kp, h, v):
    from models.bubble import engine as E

    g = st.session_state[f"{kp}_g"]
    c = int(g.board[h, v])
    if c <= 0:
        st.session_state[f"{kp}_msg"] = ("warning", "That cell is empty: nothing to remove there.")
        return
    n = len(E.group_at(g.board, h, v))
    if n < 2:
        st.session_state[f"{kp}_msg"] = (
            "warning", f"That {COLOUR_NAMES[c]} {SYMBOLS[c]} bubble has no same-coloured neighbour: "
                       "a move needs a group of 2 or more touching bubbles. Nothing happened.")
        return
    st.session_state[f"{kp}_hist"].append((g.board.copy(), g.score, g.moves, g.new_columns, g.rng.get_state()))
    gained, k = g.play(h, v)
    st.session_state[f"{kp}_log"].append((h, v))
    st.session_state["bubble_last_own"] = kp          # bubble_replay's "own" finds this game
    msg = f"Removed {n} bubbles: +{gained} points" + (f", {k} column(s) cleared and refilled." if k else ".")
    if g.over():
        msg += f" Game over: no group of 2 left. Final score {g.score} in {g.moves} moves."
    st.session_state[f"{kp}_msg"] = ("success", msg)


def _undo(kp):
    hist = st.session_state[f"{kp}_hist"]
    if not hist:
        st.session_state[f"{kp}_msg"] = ("warning", "Nothing to undo yet.")
        return
    g = st.session_state[f"{kp}_g"]
    g.board, g.score, g.moves, g.new_columns, rs = hist.pop()
    g.rng.set_state(rs)                               # the refills replay identically after undo
    st.session_state[f"{kp}_log"].pop()
    st.session_state[f"{kp}_msg"] = ("info", "Undone: back one move.")


def _board_css(kp, board, labels, H, size: str = "30px"):
    """Square coloured buttons (``size`` wide, a CSS length), tight grid, and an outline on the hovered group."""
    css = [f""".st-key-{kp}_board [data-testid="stHorizontalBlock"], .st-key-{kp}_board .stHorizontalBlock {{gap:2px!important}}
.st-key-{kp}_board, .st-key-{kp}_board [data-testid="stVerticalBlock"] {{gap:2px!important}}
.st-key-{kp}_board button {{width:{size};min-width:{size};height:{size};min-height:{size};padding:0;border-radius:50%;
  font-size:calc({size} / 2);line-height:1;border:1px solid #444}}
.st-key-{kp}_board button p {{font-size:calc({size} / 2)}}"""]
    for c, col in COLOURS.items():
        css.append(f'.st-key-{kp}_board [class*="{kp}_k{c + 1}_"] button {{background:{col};color:{INK[c]}}}')
    css.append(f'.st-key-{kp}_board [class*="{kp}_k1_"] button {{background:transparent;border:1px dashed #ccc}}')
    groups = {int(x) for x in labels[labels >= 0].ravel()}
    for gid in groups:
        if (labels == gid).sum() >= 2:
            sel = f'[class*="_g{gid}_c"]'
            css.append(f".st-key-{kp}_board:has({sel}:hover) {sel} button "
                       f"{{outline:3px solid #D55E00;outline-offset:1px}}")
    st.html("<style>" + "\n".join(css) + "</style>")


def render(key_prefix: str = "bubble_play", stage=None, **options: str) -> None:
    """Playable board with score, moves, undo, new game by seed and board size, drawn on ``stage``
    (``deck/stage.py``): the board, a one-line read-out and the last move's message in ``stage.visual``,
    New game and Undo in ``stage.controls``, seed, board size and the scoring rules in ``stage.more``."""
    from deck.stage import default_stage
    from models.bubble import engine as E

    stage = stage or default_stage()
    kp = key_prefix
    o = OPTIONS.parse(options)
    size, seed = o.size, o.seed
    if f"{kp}_g" not in st.session_state:
        s, err = parse_seed(seed)
        _new(kp, s if err is None else 1, size)

    with stage.more:
        c1, c2 = st.columns(2)
        seed_txt = c1.text_input("Seed", value=str(seed), key=f"{kp}_seed",
                                 help="Every game is reproducible from its seed (a whole number).")
        size_sel = c2.selectbox("Board", ["small", "full"], index=["small", "full"].index(size),
                                key=f"{kp}_size", format_func=lambda s: {"small": "small 5×8, 4 colours",
                                                                       "full": "full 10×14, 5 colours"}[s],
                                help="The small board is the one the 2016 agent learnt on first.")
        st.caption("Score for a group of n: n·(n−1), a pair scores 4. Emptied columns close up to the "
                   "right and new random columns arrive from the left. Colours: Okabe-Ito, each with "
                   "its own symbol (● ▲ ■ ◆ ★). New game uses this seed and board.")
    with stage.controls:
        b = st.container(horizontal=True)
        if b.button("New game", key=f"{kp}_action", type="primary",
                    help="Start a new board from the seed and size in More settings."):
            s, err = parse_seed(seed_txt)
            if err:
                st.session_state[f"{kp}_msg"] = ("error", err)
            else:
                _new(kp, s, size_sel)
        b.button("Undo", key=f"{kp}_undo", on_click=_undo, args=(kp,), help="Take back the last move.",
                 disabled=not st.session_state[f"{kp}_hist"])

    g = st.session_state[f"{kp}_g"]
    legal = g.legal()
    W, H = g.board.shape
    labels = E.label_batch(g.board[None])[0]
    # Present mode: bubbles sized to the window's height, so the whole board, the read-out and the message
    # fit at 1280×720 (32 px on the full board, room for a two-line message) and grow on a 1080p projector; elsewhere 30 px.
    size = ("4.4vh" if H > 8 else "7.5vh") if stage.present else "30px"
    with stage.visual:
        if stage.present:
            st.markdown(f"Score **{g.score}** · moves **{g.moves}** · groups you can remove **{len(legal)}** · "
                        f"bubbles left **{int((g.board > 0).sum())}**")
        else:
            m1, m2, m3, m4 = st.columns(4)
            m1.metric("Score", g.score)
            m2.metric("Moves", g.moves)
            m3.metric("Groups you can remove", len(legal))
            m4.metric("Bubbles left", int((g.board > 0).sum()))
        kind, msg = st.session_state[f"{kp}_msg"]
        getattr(st, kind)(msg)
        if not legal:
            st.info("Game over. Pick a seed and press **New game** to play again (or Undo).")
        _board_css(kp, g.board, labels, H, size)
        with st.container(key=f"{kp}_board"):
            for v in range(H - 1, -1, -1):                 # top screen row first
                with st.container(horizontal=True, gap=None):
                    for h in range(W - 1, -1, -1):         # h grows leftward on screen
                        c = int(g.board[h, v])
                        st.button(SYMBOLS[c], key=f"{kp}_k{c + 1}_g{labels[h, v]}_c{h}_{v}",
                                  on_click=_click, args=(kp, h, v),
                                  )
