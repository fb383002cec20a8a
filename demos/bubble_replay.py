"""Replay Bubble Breaker games move by move, compare players, and watch the agent learn.

Options (strings):
  view = "all" (tabs) | "replay" | "compare" | "live" | "features" (the 9 input planes)
  size = "full" | "small";  player = "agent" | "greedy" | "random" | "own";  seed = game seed
  play_key = key_prefix of the bubble_play demo whose game "own" replays (default: the board
             clicked most recently, wherever it is in the deck)

Replay: the board at each move, the value the agent gives every legal move as a heat map over
its group (Q = columns cleared + 0.95 * V(after-state)), the chosen move outlined, reward
and running score; scrubber, step, play/pause with speed.
"""
from __future__ import annotations

import copy
import time

import streamlit as st

from demos.kit import mirror
from demos.kit.fair_share import CLICK_WAIT_S, RUN_SECONDS, live_tick, memo
from demos.kit.options import choice, declare, text

STEP_SECONDS = 15.0  # "Step" trains towards the next validation point for at most this long per press
TICK_WAIT_S = 1.2  # a live tick (every 1.5 s) waits this long for its training slot before skipping

PLAYERS = ["agent", "greedy", "random", "own"]
PLAYER_HELP = ("agent: the shipped value network, always its best move. greedy: always the "
               "largest group. random: the 2016 random player (uniform over groups). own: the game "
               "you played on the 'Bubble Breaker : You' slide.")
SAFE = {"agent": "#0072B2", "greedy": "#E69F00", "random": "#999999", "own": "#CC79A7"}
# seed: checked by parse_seed; play_key: see the module's docstring
OPTIONS = declare(view=choice(("all", "replay", "compare", "live", "features"), "all"),
                  size=choice(("full", "small"), "full"), player=choice(PLAYERS, "agent"), seed=text("1000000000"),
                  play_key=text(""))


@st.cache_resource(show_spinner=False)
def _net(size):
    from models.bubble import agent as A
    from models.device import set_threads

    set_threads()
    return A.load_checkpoint(size)


@st.cache_data(show_spinner=False, max_entries=32)
def _record(seed, size, player, moves):
    from models.bubble import agent as A

    net, _ = _net(size)
    return A.record_game(seed, size, player if player != "own" else "agent", net,
                         moves=list(moves) if moves is not None else None)


def _recorded(size, seed0, n):
    """Per-seed scores that models.bubble.evaluate recorded for the shipped checkpoint, or None."""
    import pandas as pd

    from models import artefacts

    entry = artefacts.entry("bubble", f"bubble_{size}")
    m = entry and entry["metrics"]
    if not m or seed0 != 1_000_000_000 or n > len(m.get("greedy_scores", [])):
        return None
    rows = {"seed": list(range(seed0, seed0 + n))}
    for p in ("random", "greedy", "agent"):
        rows[p], rows[p + "_moves"] = m[p + "_scores"][:n], m[p + "_moves"][:n]
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False, max_entries=16)
def _compare(size, seed0, n):
    import pandas as pd

    from models.bubble import agent as A

    net, _ = _net(size)
    seeds = list(range(seed0, seed0 + n))
    rows = {"seed": seeds}
    for p in ("random", "greedy", "agent"):
        res = A.play_batch(seeds, size, p, net if p == "agent" else None)
        rows[p] = [r["score"] for r in res]
        rows[p + "_moves"] = [r["moves"] for r in res]
    return pd.DataFrame(rows)


def _replay(kp, size, player, seed, play_key, sg, budget):
    """Replay on stage ``sg``: board, scrubber and read-out in the visual (``budget`` px tall in present
    mode), Record / Step / Play in the controls, board size, player, seed and speed in more."""
    from demos.bubble_play import COLOURS, board_figure, own_game, parse_seed

    with sg.more:
        c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
        size = c1.selectbox("Board", ["full", "small"], index=["full", "small"].index(size), key=f"{kp}_size",
                            help="Each board size has its own trained agent.")
        player = c2.selectbox("Player", PLAYERS, index=PLAYERS.index(player), key=f"{kp}_player", help=PLAYER_HELP)
        seed_txt = c3.text_input("Seed", value=str(seed), key=f"{kp}_seed", help="Game seed (whole number).",
                                 disabled=player == "own")
    bar = sg.controls.container(horizontal=True)
    bar.button("Record", key=f"{kp}_action", help="Play and record this game (also happens on any change).")

    moves = None
    if player == "own":
        own = own_game(play_key)
        if own is None:
            sg.visual.info("No game of yours yet: play a few moves on the 'Bubble Breaker : You' slide, "
                    "then come back. Meanwhile, here is the agent's game.")
            player = "agent"
        else:
            g, moves = own
            s, size = g.seed, "small" if g.board.shape[0] == 5 else "full"
    if moves is None:
        s, err = parse_seed(seed_txt)
        if err:
            sg.visual.error(err)
            return
    with sg.visual, st.spinner("Recording the game..."):
        turns = _record(s, size, player, moves)
    T = len(turns) - 1
    idx_key = f"{kp}_idx"
    rec_id = (s, size, player, moves)
    if st.session_state.get(f"{kp}_rec") != rec_id:      # a new recording starts at move 0
        st.session_state[f"{kp}_rec"] = rec_id
        st.session_state[idx_key] = 0
        st.session_state[f"{kp}_playing"] = False
    about = f"{player} on the {size} board, seed {s}: {T} moves, final score {turns[-1]['score']}."

    def step(d):
        st.session_state[idx_key] = min(max(st.session_state[idx_key] + d, 0), T)

    bar.button("◀ Step", key=f"{kp}_back", on_click=step, args=(-1,), help="One move back.")
    bar.button("Step ▶", key=f"{kp}_fwd", on_click=step, args=(1,), help="One move forward.")
    playing = st.session_state.get(f"{kp}_playing", False)

    def toggle():
        if not st.session_state.get(f"{kp}_playing") and st.session_state[idx_key] >= T:
            st.session_state[idx_key] = 0
        st.session_state[f"{kp}_playing"] = not st.session_state.get(f"{kp}_playing", False)

    bar.button("Pause" if playing else "Play", key=f"{kp}_playpause", on_click=toggle,
              icon=":material/pause:" if playing else ":material/play_arrow:",
              help="Animate the game move by move.")
    speed = sg.more.select_slider("Speed", ["slow", "normal", "fast"], value="normal", key=f"{kp}_speed",
                             help="Seconds per move: slow 1.5, normal 0.8, fast 0.4.")
    every = {"slow": 1.5, "normal": 0.8, "fast": 0.4}[speed]

    @st.fragment(run_every=every if playing else None)
    def viewer():
        with live_tick(train=False) as tick:  # nothing to train: an animation, paused after each frame
            if st.session_state.get(f"{kp}_playing"):
                if st.session_state.get(f"{kp}_tick_seen"):
                    st.session_state[idx_key] = min(st.session_state[idx_key] + 1, T)
                st.session_state[f"{kp}_tick_seen"] = True
                if st.session_state[idx_key] >= T:
                    st.session_state[f"{kp}_playing"] = False
                    st.session_state[f"{kp}_tick_seen"] = False
                    st.rerun(scope="app")
            else:
                st.session_state[f"{kp}_tick_seen"] = False
            i = st.slider("Move", 0, max(T, 1), key=idx_key, disabled=T == 0,
                          help="Scrub through the recorded game.")
            i = min(i, T)
            t = turns[i]
            values = dict(zip(t["moves"], t["q"])) if t["q"] is not None else None
            chosen = t["moves"][t["chosen"]] if t["chosen"] is not None else None
            left, right = st.columns([3, 2])
            title = f"move {i} of {T}" + (" (final board)" if chosen is None else "")
            mirror.publish(kp, image=lambda: mirror.grid_picture(t["board"].T[::-1, ::-1], COLOURS, 24),
                           text=f"{title} · score {t['score']}", data={"move": i, "moves": T, "score": t["score"]})
            H = t["board"].shape[1]
            # Present mode: cells sized so board + scrubber fit ``budget`` px; elsewhere the default size.
            cell = min(44, (budget - 170) // H) if sg.present else None
            left.plotly_chart(board_figure(t["board"], t["labels"], values, chosen, title, cell=cell),
                              key=f"{kp}_board", config={"displayModeBar": False}, width="content")
            if sg.present:
                lines = [about, f"Score so far **{t['score']}** · legal moves **{len(t['moves'])}**"]
                if chosen is not None:
                    j = t["chosen"]
                    lines.append(f"Chosen group (outlined) **{t['sizes'][j]}** bubbles: **+{t['gained']}** points, "
                                 f"reward (columns cleared) **{t['cleared']}**")
                    if t["q"] is not None:
                        best = max(t["q"])
                        lines.append(f"Agent's Q of this move **{t['q'][j]:.2f}**"
                                     + ("" if t["q"][j] >= best - 1e-6 else f" ({t['q'][j] - best:.2f} vs best)"))
                else:
                    lines.append(f"Game over after {T} moves: final score **{t['score']}**.")
                right.markdown("  \n".join(lines))
                right.caption("Heat map: the agent's Q for each legal group (brighter = it likes it more).")
                tick.pause = bool(st.session_state.get(f"{kp}_playing"))
                return
            with right:
                st.caption(about)
                m1, m2 = st.columns(2)
                m1.metric("Score so far", t["score"])
                m2.metric("Legal moves", len(t["moves"]))
                if chosen is not None:
                    j = t["chosen"]
                    m1.metric("Chosen group", f"{t['sizes'][j]} bubbles", help="Outlined in vermilion on the board.")
                    m2.metric("Points for it", f"+{t['gained']}")
                    m1.metric("Reward (columns cleared)", t["cleared"])
                    if t["q"] is not None:
                        best = max(t["q"])
                        m2.metric("Agent's Q of this move", f"{t['q'][j]:.2f}",
                                  delta=None if t["q"][j] >= best - 1e-6 else f"{t['q'][j] - best:.2f} vs best",
                                  help="Q = columns cleared + 0.95 × V(board after the move, new columns unknown).")
                else:
                    st.success(f"Game over after {T} moves: final score {t['score']}.")
                st.caption("Heat map: the agent's Q for each legal group (brighter = it likes it more). "
                           "Singles have no value: they are not moves.")
            tick.pause = bool(st.session_state.get(f"{kp}_playing"))

    with sg.visual:
        viewer()


def _comparison(kp, size, sg, budget):
    """Scores of three players on stage ``sg``: the box plot, training curve and summary in the visual,
    the board size, number of games, "play them now", notes and per-game scores in more."""
    import plotly.graph_objects as go

    more = sg.more.container()
    c1, c2, c3 = more.columns(3, vertical_alignment="bottom")
    size = c1.selectbox("Board", ["full", "small"], index=["full", "small"].index(size), key=f"{kp}_csize",
                        help="Board size for all three players.")
    n = c2.select_slider("Games", [10, 20, 50, 100], value=20, key=f"{kp}_cn",
                         help="Same seeds for every player (the 2016 test seeds 1,000,000,000 + j); "
                              "the benchmark uses 100.")
    live = c3.toggle("Play them now", key=f"{kp}_clive",
                     help="Off: the scores models.bubble.evaluate recorded for the shipped checkpoint "
                          "(instant). On: play all the games again here (full board: several seconds).")
    df = None if live else _recorded(size, 1_000_000_000, n)
    if df is None:
        with sg.visual, st.spinner(f"Playing {3 * n} games..."):
            df = _compare(size, 1_000_000_000, n)
        more.caption(f"Played just now: {n} games per player on seeds 1,000,000,000 …")
    else:
        more.caption(f"Recorded by `python -m models.bubble.evaluate --size {size}` for the shipped "
                   "checkpoint; switch on 'Play them now' to replay them live.")
    players = ["random", "greedy", "agent"]
    fig = go.Figure()
    for p in players:
        fig.add_trace(go.Box(y=df[p].tolist(), name=p, boxmean=True, marker_color=SAFE[p], boxpoints="all",
                             jitter=0.4, pointpos=0, hovertext=[f"seed {s}" for s in df["seed"]]))
    short = sg.present  # a half-width chart on the projector: short labels
    if size == "full":
        fig.add_hline(y=1226.8, line_dash="dot", line_color="#D55E00",
                      annotation_text="2016 log 1226.8" if short else
                      "2016 log: last 1,000 training games (10 % random moves) 1226.8")
        fig.add_hline(y=451.6, line_dash="dot", annotation_text="2016 random 451.6" if short else
                      "2016 random mean 451.6", annotation_position="bottom right", line_color="#999999")
    chart_px = sg.height(max(260, budget - 250), 380)
    fig.update_layout(title=(f"Score per game, {n} games" if short else
                             f"Score per game, {n} games on the {size} board"), yaxis_title="score",
                      height=chart_px, margin=dict(l=10, r=10, t=50, b=10), showlegend=False)
    left, right = sg.visual.columns(2) if sg.present else (sg.visual, sg.visual)
    left.plotly_chart(fig, key=f"{kp}_cmp_chart")
    if size == "full":
        more.caption(_like_for_like())
    summary = {p: {"mean score": round(float(df[p].mean()), 1), "median": float(df[p].median()),
                   "max": int(df[p].max()), "mean moves": round(float(df[p + "_moves"].mean()), 1),
                   "wins vs random": int((df[p] > df["random"]).sum())} for p in players}
    sg.visual.dataframe(summary, key=f"{kp}_cmp_table")
    more.markdown("**Per-game scores**")
    more.dataframe(df[["seed"] + players], hide_index=True, height=200)
    _training_curve(kp, size, right, more, chart_px, short)


def _like_for_like() -> str:
    """The 2016 figure beside ours measured the same way, and the test-seed figure labelled apart (recorded)."""
    from models import artefacts
    from models.bubble import train_window as W

    rec = W.load_record("full")
    entry = artefacts.entry("bubble", "bubble_full")
    text = ("**Like for like:** the 2016 log's best, 1226.8, is the mean of its last 1,000 *training* games, "
            "one move in ten random. ")
    if rec:
        text += (f"Our agent played that way ({rec['games']:,} games, {rec['epsilon'] * 100:.0f} % random moves, "
                 f"seeds {int(rec['seeds'].split('..')[0]):,}+, `{rec['command']}`): **{rec['mean_score']:.1f}**. ")
    if entry:
        text += (f"A different measurement: our agent on the 100 test seeds taking its best move every time "
                 f"(the blue box): **{entry['metrics']['agent_mean_score']:.1f}**.")
    return text


def _training_curve(kp, size, where, notes, height=340, short=False):
    """The shipped checkpoint's own training curve, from the manifest: the chart in ``where``, its
    caption in ``notes``; ``short`` labels for a half-width chart."""
    import plotly.graph_objects as go

    from models import artefacts

    entry = artefacts.entry("bubble", f"bubble_{size}")
    if not entry or not entry.get("curve"):
        return
    c = entry["curve"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[p["games"] for p in c], y=[p["mean_score"] for p in c], mode="lines+markers",
                             name="validation (greedy, seeds 2,000,000,000+)", line=dict(color="#0072B2")))
    fig.add_trace(go.Scatter(x=[p["games"] for p in c[1:]], y=[p["train_mean_score"] for p in c[1:]],
                             mode="lines", name="training games (ε = 0.1)", line=dict(color="#E69F00", dash="dot")))
    if size == "full":
        fig.add_hline(y=1226.8, line_dash="dot", line_color="#D55E00",
                      annotation_text="2016 log 1226.8" if short else
                      "2016 log: last 1,000 training games (ε = 0.1) 1226.8")
    m = entry["metrics"]
    title = (f"How the agent learnt ({entry['games']:,} games)" if short else
             f"How the shipped {size}-board agent learnt: {entry['games']:,} games, "
             f"{entry['train_seconds'] / 60:.0f} min wall clock")
    fig.update_layout(title=title, xaxis_title="training games", yaxis_title="mean score", height=height,
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.3))
    where.plotly_chart(fig, key=f"{kp}_curve_chart")
    notes.caption(f"Test seeds 1,000,000,000–099 (100 games): agent {m['agent_mean_score']:.1f}, "
               f"greedy {m['greedy_mean_score']:.1f}, random {m['random_mean_score']:.1f}. "
               f"Trained on: {entry.get('trained_on', 'a shared 2-core CPU')}. Command: `{entry['command']}`")


def _live(kp, sg, budget):
    """Live learning on stage ``sg``: the learning curve in the visual, Start / Step / Reset in the
    controls, the start point, seed and explanation in more."""
    import numpy as np

    from demos.bubble_play import parse_seed
    from models.bubble import train as T
    from models.device import set_threads

    set_threads()
    sg.more.caption("The small board (5×8, 4 colours). Each refresh plays a few ticks of 32 games at once "
                    "and takes one Adam step per tick; every 100 games it plays 20 validation games greedily.")
    c1, c2 = sg.more.columns(2, vertical_alignment="bottom")
    start = c1.selectbox("Start from", ["scratch", "checkpoint"], key=f"{kp}_lstart",
                         help="scratch: random weights. checkpoint: the shipped small-board agent.")
    seed_txt = c2.text_input("Seed", "0", key=f"{kp}_lseed", help="Seeds the weights and exploration.")
    sk = f"{kp}_trainer"

    def reset():
        s, err = parse_seed(st.session_state.get(f"{kp}_lseed", "0"))
        if err:
            st.session_state[f"{kp}_lerr"] = err
            return
        st.session_state[f"{kp}_lerr"] = None
        net = None
        if st.session_state.get(f"{kp}_lstart") == "checkpoint":
            net = copy.deepcopy(_net("small")[0])
        tr = T.Trainer("small", parallel=32, seed=s % 1000, net=net)
        st.session_state[sk] = tr
        st.session_state[f"{kp}_curve"] = [dict(tr.evaluate(20), train_mean=None)]
        st.session_state[f"{kp}_running"] = False

    if sk not in st.session_state:
        reset()
    bar = sg.controls.container(horizontal=True)
    b1 = b2 = b3 = bar
    running = st.session_state.get(f"{kp}_running", False)

    def toggle():
        st.session_state[f"{kp}_running"] = not st.session_state.get(f"{kp}_running", False)
        st.session_state[f"{kp}_spent"] = 0.0  # Start: at most RUN_SECONDS of training per press
        st.session_state[f"{kp}_capped"] = False

    b1.button("Pause" if running else "Start", key=f"{kp}_laction", on_click=toggle,
              help="Train live (at most a minute per press); the chart updates about once a second.")
    do_step = b2.button("Step", key=f"{kp}_lstep",
                        help=f"Train up to the next validation point (100 more games), at most "
                             f"{STEP_SECONDS:g} s per press.")
    b3.button("Reset", key=f"{kp}_lreset", on_click=reset, help="New network (scratch or checkpoint) from the seed.")
    if st.session_state.get(f"{kp}_lerr"):
        sg.visual.error(st.session_state[f"{kp}_lerr"])
    chart_px = sg.height(max(300, budget - 100), 340)  # room for a 'waiting for a slot' line under it

    @st.fragment(run_every=1.5 if running else None)
    def trainer():
        tr = st.session_state.get(sk)
        if tr is None:
            return

        curve = st.session_state[f"{kp}_curve"]
        note = ""
        training = bool(st.session_state.get(f"{kp}_running") or do_step)
        target = (tr.games_done // 100 + 1) * 100
        # One of the process's training slots, or skip this tick: many visitors, few cores. The drawing
        # happens inside the slot too; a skipped tick redraws the chart it kept (``memo``).
        with live_tick(tr, train=training, wait=CLICK_WAIT_S if do_step else TICK_WAIT_S) as tick:
            if tick:
                t0 = time.time()
                budget = STEP_SECONDS if do_step else 0.8  # Step: up to the next validation point
                while tr.games_done < target and time.time() - t0 < budget:
                    tr.tick()
                if tr.games_done >= target:
                    ev = tr.evaluate(20)
                    ev["train_mean"] = float(np.mean(tr.train_scores[-100:]))
                    curve.append(ev)
                if not do_step:
                    st.session_state[f"{kp}_spent"] = st.session_state.get(f"{kp}_spent", 0.0) + time.time() - t0
            if training:
                note = tick.note
            if st.session_state.get(f"{kp}_running") and st.session_state.get(f"{kp}_spent", 0.0) >= RUN_SECONDS:
                st.session_state[f"{kp}_running"] = False  # the per-press cap: other visitors get the CPU back
                st.session_state[f"{kp}_capped"] = True
                st.rerun()  # a full rerun re-declares the fragment without its timer
            if note:
                st.caption(note)
            if st.session_state.get(f"{kp}_capped") and not st.session_state.get(f"{kp}_running"):
                st.caption(f"Stopped after {RUN_SECONDS:g} s of training (press Start for more).")
            store = st.session_state.setdefault(f"{kp}_memo", {})
            fig = memo(store, "live", tr, (tr.games_done, tr.train_steps, len(curve), chart_px),
                       lambda: _live_figure(tr, curve, chart_px))
            st.plotly_chart(fig, key=f"{kp}_live_chart")
            st.caption(f"Last validation: mean score {curve[-1]['mean_score']:.1f}, "
                       f"mean moves {curve[-1]['mean_moves']:.1f}.")

    with sg.visual:
        trainer()


def _live_figure(tr, curve, height=340):
    import plotly.graph_objects as go

    g = [c["games"] for c in curve]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=g, y=[c["mean_score"] for c in curve], mode="lines+markers",
                             name="validation mean (greedy, 20 games)", line=dict(color="#0072B2")))
    fig.add_trace(go.Scatter(x=g[1:], y=[c["train_mean"] for c in curve[1:]], mode="lines",
                             name="training games (with ε = 0.1)", line=dict(color="#E69F00", dash="dot")))
    fig.add_hline(y=201.3, line_dash="dot", line_color="#999999",
                  annotation_text="greedy (largest group) 201")
    fig.update_layout(title=f"{tr.games_done} games, {tr.train_steps} Adam steps", height=height,
                      xaxis_title="training games", yaxis_title="mean score",
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.25))
    return fig


def _features(kp, size, seed, sg, budget):
    """The 9 feature planes the network sees, for a board (why: colour symmetry), on stage ``sg``: board
    and planes in the visual, "Swap colours" in the controls, board size, seed and the why in more."""
    import numpy as np
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    from demos.bubble_play import board_figure, parse_seed
    from models.bubble import agent as A
    from models.bubble import engine as E

    c1, c2 = sg.more.columns(2, vertical_alignment="bottom")
    size = c1.selectbox("Board", ["small", "full"], index=["small", "full"].index(size), key=f"{kp}_fsize",
                        help="Board size.")
    seed_txt = c2.text_input("Seed", str(seed), key=f"{kp}_fseed", help="Board seed (whole number).")
    swap = sg.controls.toggle("Swap colours", key=f"{kp}_fswap",
                     help="Permute the colours: the board looks different, the features do not change.")
    s, err = parse_seed(seed_txt)
    if err:
        sg.visual.error(err)
        return
    b = E.Game.of_size(s, size).board
    if swap:
        n = E.SIZES[size]["n_colours"]
        perm = np.concatenate([[0], np.roll(np.arange(1, n + 1), 1)]).astype(np.int8)
        b = perm[b]
    f = A.features(b[None])[0]                                      # (9, W, H)
    W, H = b.shape
    names = ["silhouette"] + [f"same as {k} above" for k in range(1, 6)] + \
            [f"same as {k} column{'s' if k > 1 else ''} over" for k in range(1, 4)]
    # Present mode: a small board beside the planes in a 3×3 grid, all within ``budget`` px; elsewhere 2×5.
    present = sg.present
    left, right = sg.visual.columns([1, 2.3] if present else [1, 3])
    left.plotly_chart(board_figure(b, title=f"board, seed {s}", cell=(22 if W > 5 else 30) if present else None),
                      key=f"{kp}_fboard", config={"displayModeBar": False}, width="content")
    rows, cols = (3, 3) if present else (2, 5)
    if present:
        names = ["silhouette"] + [f"{k} above" for k in range(1, 6)] + [f"{k} col{'s' if k > 1 else ''} over"
                                                                         for k in range(1, 4)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.03,
                        vertical_spacing=0.08 if present else 0.12)
    for i in range(9):
        z = f[i][::-1].T.tolist()                                   # screen orientation (v up, h left)
        fig.add_trace(go.Heatmap(z=z, colorscale=[[0, "#FFFFFF"], [1, "#0072B2"]], zmin=0, zmax=1,
                                 showscale=False, xgap=1, ygap=1), row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=sg.height(budget - 30, 520 if size == "full" else 380),
                      margin=dict(l=5, r=5, t=55 if present else 30, b=5),
                      title="9 feature planes (blue = 1)" if present else
                      "9 feature planes (blue = 1): colour identity is thrown away")
    fig.update_annotations(font_size=13 if present else 11)
    right.plotly_chart(fig, key=f"{kp}_fplanes", config={"displayModeBar": False})
    sg.more.caption("Why not feed the colours? A board with red and blue swapped is worth exactly the same, "
               "so the net would have to learn every colour permutation separately (5! = 120 on the "
               "full board). Why reward = columns cleared and not the change in score? A move's score "
               "grows as n², so the target is dominated by rare big groups (noisy), and the 2016 runs "
               "trained on score 'de-optimised themselves'; cleared columns bring new bubbles and longer "
               "games, and the long games are where big scores come from.")


def _tab_stage(stage, where, n):
    """A stage inside one tab of the "all" view: the tab's own controls and settings stay with the tab."""
    from deck.stage import Stage

    with where:
        if stage.present:  # buttons and the Settings popover in one row
            row = st.container(horizontal=True, key=f"bubble_tab_controls_{n}")
            controls, more = row.container(horizontal=True), row.popover("Settings", icon=":material/tune:")
        else:
            controls = st.container(horizontal=True, key=f"bubble_tab_controls_{n}")
            more = st.expander("Settings", icon=":material/tune:")
        visual = st.container()
    return Stage(visual=visual, controls=controls, more=more, present=stage.present)


def render(key_prefix: str = "bubble_replay", stage=None, **options: str) -> None:
    """Replay / comparison / live learning for the Bubble Breaker agent, drawn on ``stage``
    (``deck/stage.py``): the board or charts in ``stage.visual``, the buttons in ``stage.controls``,
    the settings and long notes in ``stage.more``. The "all" view puts three tabs in the visual, each
    with its own buttons and a Settings popover."""
    from deck.stage import PRESENT_VISUAL_PX, default_stage

    stage = stage or default_stage()
    kp = key_prefix
    o = OPTIONS.parse(options)
    view, size, player, seed, play_key = o.view, o.size, o.player, o.seed, o.play_key
    budget = PRESENT_VISUAL_PX
    if view == "replay":
        _replay(kp, size, player, seed, play_key, stage, budget)
    elif view == "compare":
        _comparison(kp, size, stage, budget)
    elif view == "live":
        _live(kp, stage, budget)
    elif view == "features":
        _features(kp, size if size == "full" else "small", seed if seed != "1000000000" else "1", stage, budget)
    else:
        budget -= 110  # the tab bar and each tab's button row
        stage.more.caption("Each tab has its own buttons and Settings.")
        with stage.visual:
            t1, t2, t3 = st.tabs(["Replay a game", "Agent vs greedy vs random", "Learn live (small board)"])
        _replay(kp, size, player, seed, play_key, _tab_stage(stage, t1, 1), budget)
        _comparison(kp, size, _tab_stage(stage, t2, 2), budget)
        _live(kp, _tab_stage(stage, t3, 3), budget)
