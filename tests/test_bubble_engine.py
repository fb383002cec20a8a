"""Rules of the Bubble Breaker engine on hand-made boards, the batch path, and the 2016 log."""
import numpy as np
import pytest

from models.bubble import engine as E


def B(rows):
    """Hand-made board from screen rows (top row first, left column first) -> board[h, v].

    On screen h grows to the LEFT and v grows UP, so the bottom-right screen cell is (0, 0).
    """
    a = np.array(rows, dtype=np.int8)           # (V, W) screen
    return np.ascontiguousarray(a[::-1, ::-1].T)  # -> (W, V) with h leftward, v upward


def test_screen_helper_orientation():
    b = B([[1, 2],
           [3, 4]])
    assert b[0, 0] == 4 and b[1, 0] == 3 and b[0, 1] == 2 and b[1, 1] == 1


def test_score_rule():
    assert [E.move_score(n) for n in range(1, 6)] == [0, 4, 6, 12, 20]


def test_one_legal_move_per_group_in_h_major_order():
    b = B([[1, 1, 2],
           [3, 2, 2],
           [3, 1, 4]])
    # groups: {1,1} top-left (h=2,1 at v=2); {2,2,2}; {3,3} left column; singles 1 and 4
    groups = E.find_groups(b)
    assert [g[1] for g in groups] == [3, 2, 2]
    assert E.legal_moves(b) == [(0, 1), (1, 2), (2, 0)]
    assert len(E.legal_moves(b)) == len(groups)


def test_single_and_empty_cells_are_not_moves():
    b = B([[0, 0, 0],
           [1, 2, 1],
           [2, 1, 2]])
    assert E.legal_moves(b) == []
    nb, s, k = E.after_move(b, 1, 0)
    assert s == 0 and k == 0 and np.array_equal(nb, b)
    nb, s, k = E.after_move(b, 0, 2)           # an empty cell
    assert s == 0 and np.array_equal(nb, b)


def test_gravity_within_column():
    b = B([[2, 3],
           [1, 4],
           [1, 3]])
    # remove the pair of 1s in the left column: the 2 on top falls to the bottom
    nb, s, k = E.after_move(b, 1, 0, rng=None)
    assert s == 4 and k == 0
    assert np.array_equal(nb, B([[0, 3],
                                 [0, 4],
                                 [2, 3]]))


def test_empty_column_closes_up_to_the_right_and_refills_left():
    b = B([[2, 1, 3],
           [2, 1, 3],
           [4, 1, 4]])
    # clearing the middle column (three 1s): left column slides right, one column vacated
    nb, s, k = E.after_move(b, 1, 0, rng=None)
    assert s == 6 and k == 1
    assert np.array_equal(nb, B([[-1, 2, 3],
                                 [-1, 2, 3],
                                 [-1, 4, 4]]))
    # with a RandomState the vacated column is refilled exactly as randint(1, 6, size=(1, 3))
    rng = np.random.RandomState(7)
    nb, s, k = E.after_move(b, 1, 0, rng=rng, n_colours=5)
    fresh = np.random.RandomState(7).randint(1, 6, size=(1, 3))
    assert np.array_equal(nb[2], fresh[0]) and set(nb[2]) <= {1, 2, 3, 4, 5}


def test_two_columns_cleared_refill_two():
    b = B([[1, 1, 2],
           [1, 1, 3]])
    nb, s, k = E.after_move(b, 1, 0, rng=np.random.RandomState(0))
    assert s == 12 and k == 2
    assert np.array_equal(nb[0], [3, 2])       # the right column stays put
    assert (nb[1:] > 0).all()


def test_game_over_and_game_reproducible_from_seed():
    assert E.Game(0).over() is False
    g = E.Game(0, width=3, height=1, n_colours=3)
    g.board = np.array([[1], [2], [3]], dtype=np.int8)
    assert g.over()
    a, b = E.play_random_game(123), E.play_random_game(123)
    assert a == b
    assert E.play_random_game(124) != a


def test_fidelity_with_the_2016_random_play_log():
    """Game ids 0-99, the 2016 protocol: the logged 52.7 / 11.7 / 3.0 / 451.6 / 246 / 1152."""
    st = E.random_play_stats(range(100))
    assert f"{st['mean_moves']:.1f}" == "52.7"
    assert f"{st['mean_legal_moves']:.1f}" == "11.7"
    assert f"{st['mean_new_columns']:.1f}" == "3.0"
    assert f"{st['mean_score']:.1f}" == "451.6"
    assert (st["min_score"], st["max_score"]) == (246, 1152)


@pytest.mark.parametrize("size", ["full", "small"])
def test_batch_path_matches_reference(size):
    cfg = E.SIZES[size]
    rng = np.random.RandomState(5)
    boards = []
    for i in range(40):                        # boards in mid-game states, holes and -1 included
        g = E.Game(i, **cfg)
        for _ in range(rng.randint(0, 15)):
            m = g.legal()
            if not m:
                break
            g.play(*m[rng.randint(len(m))])
        boards.append(g.board)
    boards = np.stack(boards)
    labels, game, first, size_ = E.batch_moves(boards)
    W, H = boards.shape[1:]
    after, k = E.after_states(boards, labels, game, first)
    j = 0
    for i, b in enumerate(boards):
        groups = E.find_groups(b)
        assert [(f // H, f % H) for f in first[game == i]] == [c for c, _ in groups]
        assert list(size_[game == i]) == [n for _, n in groups]
        for (h, v), _ in groups:
            ref, s, kk = E.after_move(b, h, v, rng=None)
            assert np.array_equal(after[j], ref) and k[j] == kk
            j += 1
    assert j == len(first)


def test_label_batch_long_snake():
    # a spiral-ish snake of one colour must end up as one group
    b = np.full((6, 6), 2, dtype=np.int8)
    b[1, 0:5] = 1; b[1:5, 4] = 1; b[4, 1:5] = 1; b[3, 1] = 1; b[2, 1:3] = 1
    lab = E.label_batch(b[None])[0]
    ones = lab[b == 1]
    assert (ones == ones[0]).all()
    _, _, first, sizes = E.batch_moves(b[None])
    assert [(f // 6, f % 6) for f in first] == [c for c, _ in E.find_groups(b)] == [(0, 0), (1, 0), (2, 3)]
    assert list(sizes) == [19, 14, 3]
