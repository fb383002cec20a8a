"""AppTest of the playable board: clicks change the board as the rules say; bad input is refused."""
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from demos.bubble_play import parse_seed
from models.bubble import engine as E

SCRIPT = "from demos.bubble_play import render\nrender(key_prefix='x', size='{size}', seed='{seed}')"


def app(size="small", seed="1"):
    at = AppTest.from_string(SCRIPT.format(size=size, seed=seed), default_timeout=60)
    return at.run()


def cell(at, h, v):
    return next(b for b in at.button if b.key.startswith("x_k") and b.key.endswith(f"_c{h}_{v}"))


def metrics(at):
    return {m.label: m.value for m in at.metric}


def test_parse_seed():
    assert parse_seed(" 42 ") == (42, None)
    for bad in ["abc", "", "1.5", "-3", "٣", "9" * 20]:
        s, err = parse_seed(bad)
        assert s is None and err


def test_click_group_applies_the_rules_then_undo():
    at = app("small", "1")
    assert not at.exception
    g = E.Game.of_size(1, "small")
    (h, v), n = E.find_groups(g.board)[0]
    expected, score, _ = E.after_move(g.board, h, v, rng=g.rng, n_colours=4)
    cell(at, h, v).click().run()
    m = metrics(at)
    assert m["Score"] == str(E.move_score(n)) == str(score) and m["Moves"] == "1"
    assert np.array_equal(at.session_state["x_g"].board, expected)
    assert "Removed" in at.success[0].value
    # every button shows the symbol of the cell the engine has there
    from demos.bubble_play import SYMBOLS
    for hh in range(5):
        for vv in range(8):
            assert cell(at, hh, vv).label == SYMBOLS[int(expected[hh, vv])]
    at.button(key="x_undo").click().run()
    assert metrics(at)["Score"] == "0"
    assert np.array_equal(at.session_state["x_g"].board, E.Game.of_size(1, "small").board)


def test_single_cell_click_says_why_and_changes_nothing():
    at = app("full", "3")
    g = E.Game.of_size(3, "full")
    singles = [(h, v) for h in range(10) for v in range(14) if len(E.group_at(g.board, h, v)) == 1]
    h, v = singles[0]
    cell(at, h, v).click().run()
    assert not at.exception
    assert "no same-coloured neighbour" in at.warning[0].value
    assert metrics(at)["Score"] == "0" and np.array_equal(at.session_state["x_g"].board, g.board)


def test_new_game_by_seed_and_size_and_bad_seed():
    at = app()
    at.text_input(key="x_seed").input("12345").run()
    at.selectbox(key="x_size").select("full").run()
    at.button(key="x_action").click().run()
    assert np.array_equal(at.session_state["x_g"].board, E.Game.of_size(12345, "full").board)
    assert len([b for b in at.button if b.key.startswith("x_k")]) == 140
    at.text_input(key="x_seed").input("banana").run()
    at.button(key="x_action").click().run()
    assert "not a seed" in at.error[0].value and not at.exception
    assert np.array_equal(at.session_state["x_g"].board, E.Game.of_size(12345, "full").board)


def test_play_to_game_over_message():
    at = app("small", "5")
    for _ in range(200):
        g = at.session_state["x_g"]
        legal = g.legal()
        if not legal:
            break
        cell(at, *legal[0]).click().run()
    assert "Game over" in " ".join(i.value for i in at.info) and not at.exception
