"""Bubble Breaker: the rules of the 2016 workshop game, in plain numpy.

The board is stored on its side, as the 2016 code did: ``board[h, v]`` with shape
(horizontal, vertical) = (10, 14) for the full game (5 colours) and (5, 8) for the small
training board (4 colours). Cell (0, 0) is the bottom-right cell on screen; ``v`` grows upward
and ``h`` grows to the LEFT on screen. Values: 1..n_colours, 0 = empty, -1 = unknown (only in
look-ahead boards, where the refill columns are not known yet).

Rules
* A move names one cell; its 4-connected same-colour group is removed if it has >= 2 cells.
* Score for removing n cells: n*(n-1) for n >= 3, and 4 for a pair.
* Gravity: inside each column the cells fall to low v. Then empty columns close up toward
  h = 0 (to the right on screen), and the k vacated columns at the high-h end are refilled with
  k new random full columns (the "shifter" variant that keeps a game going).
* The game is over when no group of >= 2 cells is left.

Reproducibility (the 2016 protocol, kept exactly so that the published random-play log can be
re-checked): a game uses ONE ``numpy.random.RandomState(seed)``, drawing in this order
  1. the board: ``randint(1, n_colours + 1, size=(H, V))``
  2. each turn, the random player's pick ``legal[randint(len(legal))]`` (only for random play)
  3. that move's refill columns ``randint(1, n_colours + 1, size=(k, V))`` placed at h = H-k .. H-1.
Legal moves are listed by each group's first cell in h-major scan order (h, then v).

Two implementations live here:
* a readable reference (``find_groups``, ``after_move``, ``Game``): stack flood fill, one board;
* a vectorised batch path (``label_batch``, ``after_states``) used by training, which labels
  the groups of many boards at once and builds every after-state in a handful of array ops.
Tests check the two agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FULL = dict(width=10, height=14, n_colours=5)
SMALL = dict(width=5, height=8, n_colours=4)
SIZES = {"full": FULL, "small": SMALL}


def move_score(n: int) -> int:
    """Points for removing a group of n cells (0 if it is not a legal group)."""
    if n < 2:
        return 0
    return 4 if n == 2 else n * (n - 1)


def new_board(rng: np.random.RandomState, width=10, height=14, n_colours=5) -> np.ndarray:
    """A fresh random board[h, v] of shape (width, height), colours 1..n_colours."""
    return rng.randint(1, n_colours + 1, size=(width, height)).astype(np.int8)


# ----------------------------------------------------------------------------- reference path

def group_at(board: np.ndarray, h: int, v: int) -> list[tuple[int, int]]:
    """All cells of the 4-connected same-colour group containing (h, v) (stack flood fill)."""
    colour = board[h, v]
    if colour <= 0:
        return []
    W, H = board.shape
    seen = {(h, v)}
    stack = [(h, v)]
    while stack:
        a, b = stack.pop()
        for da, db in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            na, nb = a + da, b + db
            if 0 <= na < W and 0 <= nb < H and (na, nb) not in seen and board[na, nb] == colour:
                seen.add((na, nb))
                stack.append((na, nb))
    return sorted(seen)


def find_groups(board: np.ndarray) -> list[tuple[tuple[int, int], int]]:
    """Every group of >= 2 cells as (first cell in h-major order, size), in that scan order."""
    W, H = board.shape
    done = np.zeros(board.shape, dtype=bool)
    groups = []
    for h in range(W):
        for v in range(H):
            if done[h, v] or board[h, v] <= 0:
                continue
            cells = group_at(board, h, v)
            for c in cells:
                done[c] = True
            if len(cells) >= 2:
                groups.append(((h, v), len(cells)))
    return groups


def legal_moves(board: np.ndarray) -> list[tuple[int, int]]:
    """One move per removable group: the group's first cell in h-major scan order."""
    return [cell for cell, _ in find_groups(board)]


def collapse(board: np.ndarray) -> tuple[np.ndarray, int]:
    """Gravity in every column, then close up empty columns toward h = 0.

    Returns (new board, k) where the last k columns (h = W-k .. W-1) are now empty.
    """
    W, H = board.shape
    out = np.zeros_like(board)
    h_out = 0
    for h in range(W):
        col = board[h][board[h] != 0]          # cells fall to low v, order kept
        if len(col):
            out[h_out, : len(col)] = col
            h_out += 1
    return out, W - h_out


def after_move(board: np.ndarray, h: int, v: int, rng=None, n_colours: int = 5):
    """Play the move at (h, v). Returns (new board, score, columns cleared).

    With ``rng`` (a RandomState) the vacated columns are refilled with new random columns,
    drawn as ``rng.randint(1, n_colours+1, size=(k, V))``; with ``rng=None`` they are filled
    with -1 (unknown), as the look-ahead of the agent sees them. A cell that is empty or not
    part of a group of >= 2 is not a move: the board comes back unchanged, score 0.
    """
    cells = group_at(board, h, v)
    if len(cells) < 2:
        return board.copy(), 0, 0
    b = board.copy()
    for c in cells:
        b[c] = 0
    b, k = collapse(b)
    if k:
        W, H = b.shape
        if rng is None:
            b[W - k:, :] = -1
        else:
            b[W - k:, :] = rng.randint(1, n_colours + 1, size=(k, H))
    return b, move_score(len(cells)), k


@dataclass
class Game:
    """One game driven by one RandomState(seed): the 2016 protocol (see module docstring)."""

    seed: int
    width: int = 10
    height: int = 14
    n_colours: int = 5
    board: np.ndarray = field(init=False)
    score: int = field(init=False, default=0)
    moves: int = field(init=False, default=0)
    new_columns: int = field(init=False, default=0)

    def __post_init__(self):
        self.rng = np.random.RandomState(self.seed)
        self.board = new_board(self.rng, self.width, self.height, self.n_colours)

    @classmethod
    def of_size(cls, seed: int, size: str = "full") -> "Game":
        return cls(seed, **SIZES[size])

    def legal(self) -> list[tuple[int, int]]:
        return legal_moves(self.board)

    def over(self) -> bool:
        return not self.legal()

    def play(self, h: int, v: int) -> tuple[int, int]:
        """Play (h, v); returns (score gained, columns cleared). Illegal cells change nothing."""
        board, s, k = after_move(self.board, h, v, rng=self.rng, n_colours=self.n_colours)
        if s:
            self.board = board
            self.score += s
            self.moves += 1
            self.new_columns += k
        return s, k

    def play_after(self, after: np.ndarray, size: int, k: int) -> tuple[int, int]:
        """Play a move whose after-state the batch path already made (``after_states``: cells
        removed, gravity, columns closed up, the k vacated columns -1): only the refill is drawn, from
        the game's RandomState exactly as ``play`` draws it. Same board, score and RNG state as
        ``play`` on that move; saves finding the group and settling the board again."""
        b = after.astype(self.board.dtype)
        if k:
            b[self.width - k:, :] = self.rng.randint(1, self.n_colours + 1, size=(k, self.height))
        s = move_score(int(size))
        self.board = b
        self.score += s
        self.moves += 1
        self.new_columns += int(k)
        return s, int(k)

    def random_move(self) -> tuple[int, int] | None:
        """The 2016 random player's pick, drawn from the game's own RandomState."""
        legal = self.legal()
        if not legal:
            return None
        return legal[self.rng.randint(len(legal))]


def play_random_game(seed: int, size: str = "full") -> dict:
    """Random play under the exact 2016 protocol. Returns the per-game statistics."""
    g = Game.of_size(seed, size)
    n_legal = []
    while True:
        legal = g.legal()
        if not legal:
            break
        n_legal.append(len(legal))
        h, v = legal[g.rng.randint(len(legal))]
        g.play(h, v)
    return dict(seed=seed, moves=g.moves, score=g.score, new_columns=g.new_columns,
                mean_legal=float(np.mean(n_legal)) if n_legal else 0.0)


def random_play_stats(seeds, size: str = "full") -> dict:
    """Random-play figures as the 2016 log printed them (legal moves: per-game mean, then mean)."""
    games = [play_random_game(s, size) for s in seeds]
    scores = np.array([g["score"] for g in games])
    return dict(
        games=len(games),
        mean_moves=float(np.mean([g["moves"] for g in games])),
        mean_legal_moves=float(np.mean([g["mean_legal"] for g in games])),
        mean_new_columns=float(np.mean([g["new_columns"] for g in games])),
        mean_score=float(scores.mean()),
        min_score=int(scores.min()),
        max_score=int(scores.max()),
    )


# ----------------------------------------------------------------------------- batch path

def label_batch(boards: np.ndarray) -> np.ndarray:
    """Label the same-colour 4-connected groups of many boards at once.

    boards: (B, W, H) ints. Returns labels (B, W, H) int32: every cell of a group gets the flat
    index h*H + v of the group's FIRST cell in h-major scan order (the smallest index in it);
    empty and unknown cells get -1. Works by repeated min-propagation between same-colour
    neighbours until nothing changes (a few tens of cheap array ops per batch).
    """
    B, W, H = boards.shape
    big = W * H
    idx = np.broadcast_to(np.arange(big, dtype=np.int32).reshape(1, W, H), boards.shape)
    valid = boards > 0
    lab = np.where(valid, idx, big).astype(np.int32)
    same_h = valid[:, 1:, :] & (boards[:, 1:, :] == boards[:, :-1, :])   # (B, W-1, H)
    same_v = valid[:, :, 1:] & (boards[:, :, 1:] == boards[:, :, :-1])   # (B, W, H-1)
    while True:
        new = lab.copy()
        np.minimum(new[:, 1:, :], np.where(same_h, lab[:, :-1, :], big), out=new[:, 1:, :])
        np.minimum(new[:, :-1, :], np.where(same_h, lab[:, 1:, :], big), out=new[:, :-1, :])
        np.minimum(new[:, :, 1:], np.where(same_v, lab[:, :, :-1], big), out=new[:, :, 1:])
        np.minimum(new[:, :, :-1], np.where(same_v, lab[:, :, 1:], big), out=new[:, :, :-1])
        # pointer jumping: a cell may adopt its label's label (shortens long snakes)
        flat = new.reshape(B, -1)
        safe = np.minimum(flat, big - 1)
        jumped = np.take_along_axis(flat, safe, axis=1)
        flat = np.where(flat < big, np.minimum(flat, jumped), flat)
        new = flat.reshape(B, W, H)
        if np.array_equal(new, lab):
            break
        lab = new
    return np.where(valid, lab, -1).astype(np.int32)


def batch_moves(boards: np.ndarray, labels: np.ndarray | None = None):
    """Legal moves of many boards in the 2016 order.

    Returns (labels, game index per move, first-cell flat index per move, group size per move);
    moves of one board are contiguous and sorted by first cell (h-major scan order).
    """
    if labels is None:
        labels = label_batch(boards)
    B, W, H = boards.shape
    n = W * H
    flat = labels.reshape(B, -1)
    key = (np.arange(B)[:, None] * n + flat)[flat >= 0]
    counts = np.bincount(key, minlength=B * n)
    movekeys = np.nonzero(counts >= 2)[0]
    return labels, movekeys // n, (movekeys % n).astype(np.int32), counts[movekeys]


def settle(boards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batch gravity + column close-up. boards (N, W, H) with holes = 0.

    Returns (settled boards, k per board = number of empty columns now at the high-h end).
    """
    empty = boards == 0
    order = np.argsort(empty, axis=2, kind="stable")          # non-empty cells first, order kept
    b = np.take_along_axis(boards, order, axis=2)
    col_empty = b[:, :, 0] == 0                               # (N, W)
    order = np.argsort(col_empty, axis=1, kind="stable")      # non-empty columns first
    b = np.take_along_axis(b, order[:, :, None], axis=1)
    return b, col_empty.sum(axis=1)


def after_states(boards, labels, game, first):
    """Every after-state at once, vacated columns unknown (-1), as the agent's look-ahead sees.

    boards/labels (B, W, H); game, first: per-move arrays from ``batch_moves``.
    Returns (after boards (M, W, H), columns cleared (M,)).
    """
    B, W, H = boards.shape
    src = boards[game]                                        # (M, W, H)
    removed = labels[game] == first[:, None, None]
    b, k = settle(np.where(removed, 0, src))
    b = np.where(b == 0, np.where(np.arange(W)[None, :, None] >= (W - k)[:, None, None], -1, 0), b)
    return b.astype(np.int8), k
