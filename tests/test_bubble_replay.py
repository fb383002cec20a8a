"""AppTest of replay (scrubbing shows the recorded board), the comparison, and live learning."""
import json

import numpy as np
from streamlit.testing.v1 import AppTest

from models import artefacts
from models.bubble import agent as A
from models.bubble import engine as E

SEED = 1_000_000_003


def app(view, **opts):
    extra = "".join(f", {k}='{v}'" for k, v in opts.items())
    at = AppTest.from_string(f"from demos.bubble_replay import render\nrender(key_prefix='r', view='{view}'{extra})",
                             default_timeout=90)
    return at.run()


def shown_board(at, W, H):
    """Rebuild board colours from the Plotly bubble trace: {(h, v): marker colour}."""
    from demos.bubble_play import COLOURS

    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    tr = next(t for t in fig["data"] if t.get("name") == "bubbles")
    inv = {c.lower(): k for k, c in COLOURS.items()}
    b = np.zeros((W, H), dtype=int)
    for x, y, c in zip(tr["x"], tr["y"], tr["marker"]["color"]):
        b[W - 1 - x, y] = inv[c.lower()]
    return b, fig


def test_replay_scrub_and_step_show_the_recorded_board():
    at = app("replay", size="small", player="agent", seed=str(SEED))
    assert not at.exception
    net, _ = A.load_checkpoint("small")
    turns = A.record_game(SEED, "small", "agent", net)
    b, fig = shown_board(at, 5, 8)
    assert np.array_equal(b, turns[0]["board"])
    heat = next(t for t in fig["data"] if t["type"] == "heatmap")
    zs = [a for row in heat["z"] for a in row if a is not None]
    assert abs(max(zs) - max(turns[0]["q"])) < 1e-4 and abs(min(zs) - min(turns[0]["q"])) < 1e-4
    i = min(5, len(turns) - 1)
    at.slider(key="r_idx").set_value(i).run()
    b, _ = shown_board(at, 5, 8)
    assert np.array_equal(b, turns[i]["board"])
    m = {x.label: x.value for x in at.metric}
    assert m["Score so far"] == str(turns[i]["score"])
    at.button(key="r_fwd").click().run()
    assert at.slider(key="r_idx").value == i + 1
    b, _ = shown_board(at, 5, 8)
    assert np.array_equal(b, turns[i + 1]["board"])
    at.button(key="r_back").click().run().button(key="r_back").click().run()
    assert at.slider(key="r_idx").value == i - 1


def test_replay_play_pause_advances_and_bad_seed_is_refused():
    at = app("replay", size="small", player="greedy", seed="5")
    at.button(key="r_playpause").click().run()
    assert at.session_state["r_playing"] is True
    at.run(); at.run()                          # each run = one fragment tick in AppTest
    assert at.slider(key="r_idx").value >= 1
    at.button(key="r_playpause").click().run()
    assert at.session_state["r_playing"] is False
    at.text_input(key="r_seed").input("twelve").run()
    assert "not a seed" in at.error[0].value and not at.exception


def test_replay_of_own_game_from_the_play_demo():
    at = AppTest.from_string(
        "import streamlit as st\nfrom deck.stage import _stacked\n"  # two demos, two stages (as on two slides)
        "from demos.bubble_play import render as p\nfrom demos.bubble_replay import render as r\n"
        "p(key_prefix='bp_slide7', size='small', seed='9', stage=_stacked(st.container(), 1))\n"
        "r(key_prefix='r', view='replay', player='own', stage=_stacked(st.container(), 2))",
        default_timeout=90).run()
    g = E.Game.of_size(9, "small")
    for _ in range(3):
        h, v = g.legal()[0]
        g.play(h, v)
        next(b for b in at.button if b.key.startswith("bp_slide7_k") and b.key.endswith(f"_c{h}_{v}")).click().run()
    assert not at.exception
    assert any("seed 9: 3 moves" in c.value for c in at.caption)
    at.slider(key="r_idx").set_value(3).run()
    b, _ = shown_board(at, 5, 8)
    assert np.array_equal(b, g.board)


def test_comparison_table_and_chart_match_the_players():
    at = app("compare", size="small")
    assert not at.exception
    df = next(d.value for d in at.dataframe if "mean score" in d.value.index)  # the summary, not the per-game table
    net, _ = A.load_checkpoint("small")
    seeds = range(1_000_000_000, 1_000_000_020)
    for p in ("random", "greedy", "agent"):
        sc = [r["score"] for r in A.play_batch(seeds, "small", p, net if p == "agent" else None)]
        assert df.loc["mean score", p] == round(float(np.mean(sc)), 1)
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in fig["data"]] == ["random", "greedy", "agent"]
    at.select_slider(key="r_cn").set_value(10).run()
    assert len(json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"]) == 10


def test_live_learning_step_and_reset():
    at = app("live")
    assert not at.exception
    assert at.session_state["r_trainer"].games_done == 0
    at.button(key="r_lstep").click().run()
    tr = at.session_state["r_trainer"]
    assert tr.games_done >= 100 and len(at.session_state["r_curve"]) == 2
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(fig["data"][0]["x"]) == 2
    at.selectbox(key="r_lstart").select("checkpoint").run()
    at.button(key="r_lreset").click().run()
    assert at.session_state["r_trainer"].games_done == 0
    net, _ = A.load_checkpoint("small")
    p0 = next(iter(at.session_state["r_trainer"].net.parameters()))
    assert np.allclose(p0.detach().numpy(), next(iter(net.parameters())).detach().numpy())


def test_feature_planes_view_is_colour_symmetric():
    at = app("features", size="small", seed="4")
    assert not at.exception
    planes = lambda: [t["z"] for t in json.loads(at.get("plotly_chart")[1].proto.spec)["data"]]
    board = lambda: json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["marker"]["color"]
    p0, b0 = planes(), board()
    assert len(p0) == 9
    at.toggle(key="r_fswap").set_value(True).run()
    assert planes() == p0 and board() != b0                 # colours changed, features did not
    at.text_input(key="r_fseed").input("5").run()
    assert planes() != p0


def test_training_curve_of_shipped_checkpoint_is_shown():
    at = app("compare", size="small")
    fig = json.loads(at.get("plotly_chart")[1].proto.spec)
    entry = artefacts.entry("bubble", "bubble_small")
    assert fig["data"][0]["y"] == [c["mean_score"] for c in entry["curve"]]
