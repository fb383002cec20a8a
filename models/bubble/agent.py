"""The 2016 after-state value agent for Bubble Breaker, in PyTorch.

What: a small conv net V(board) scores a board; to choose a move the engine simulates every
legal move (refill columns unknown, -1), and the move value is

    Q(board, move) = reward(move) + gamma * V(after-state),   reward = columns cleared, gamma = 0.95

The agent plays the move with the highest Q (exploit) or, with probability epsilon, a random
one (explore).

Why these choices (the 2016 slides):
* Features throw colour identity away: swapping two colours never changes what a board is
  worth, so the net sees only "is there a cell", "same colour as the cell k above" (k = 1..5)
  and "same colour as the cell k columns over" (k = 1..3): 9 planes of 0/1.
* Reward = columns cleared, not change in score: the score of a move grows as n^2 and is
  dominated by rare huge groups, a noisy target that made 2016 runs "de-optimise"; a cleared
  column means new cells and a longer game, which is what leads to big scores in the end.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from . import engine as E

GAMMA = 0.95
ART_DIR = Path(__file__).resolve().parents[1] / "artefacts" / "bubble"


def features(boards: np.ndarray) -> np.ndarray:
    """Boards (N, W, H) -> feature planes (N, 9, W, H) float32.

    plane 0      : silhouette (cell > 0)
    planes 1..5  : board[h, v] == board[h, v+k]   (the cell k above; 0 past the top)
    planes 6..8  : board[h, v] == board[h+k, v]   (the cell k columns over; 0 past the edge)
    Empty == empty and unknown == unknown count as "same", as in 2016.
    """
    N, W, H = boards.shape
    f = np.zeros((N, 9, W, H), dtype=np.float32)
    f[:, 0] = boards > 0
    for k in range(1, min(6, H)):
        f[:, k, :, : H - k] = boards[:, :, : H - k] == boards[:, :, k:]
    for k in range(1, min(4, W)):
        f[:, 5 + k, : W - k, :] = boards[:, : W - k, :] == boards[:, k:, :]
    return f


class ValueNet(nn.Module):
    """9 x W x H -> conv3x3(32) -> conv3x3(16) -> dense 32 -> 1 (valid convs, ReLU, no pooling).

    38,033 parameters on the 10x14 board, 9,361 on 5x8: the 2016 network.
    """

    def __init__(self, width: int = 10, height: int = 14):
        super().__init__()
        self.width, self.height = width, height
        self.conv1 = nn.Conv2d(9, 32, 3)
        self.conv2 = nn.Conv2d(32, 16, 3)
        self.fc1 = nn.Linear(16 * (width - 4) * (height - 4), 32)
        self.out = nn.Linear(32, 1)
        for m in (self.conv1, self.conv2, self.fc1, self.out):     # Glorot uniform, as Lasagne
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
        # channels-last convolutions: 3.4x faster on an AVX2 CPU for a batch of after-states (measured
        # 25 vs 86 ms for 640 boards, one thread); same numbers (load_state_dict keeps the layout)
        self.to(memory_format=torch.channels_last)

    def forward(self, x):                       # x: (N, 9, W, H)
        x = x.contiguous(memory_format=torch.channels_last)
        x = torch.relu(self.conv1(x))           # (N, 32, W-2, H-2)
        x = torch.relu(self.conv2(x))           # (N, 16, W-4, H-4)
        x = torch.relu(self.fc1(x.flatten(1)))  # (N, 32)
        return self.out(x).squeeze(1)           # (N,)


def _cpu_has_bf16() -> bool:
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


CPU_HAS_BF16 = _cpu_has_bf16()


@torch.no_grad()
def value(net: ValueNet, boards: np.ndarray, bf16: bool = False) -> np.ndarray:
    """V(board) for many boards (N, W, H) -> (N,) numpy.

    bf16=True runs the convolutions in bfloat16 (CPU autocast): about 2x faster on CPUs with native
    bfloat16 (AVX512-BF16 / AMX), values good to ~3 digits, but ~7x *slower* where it is emulated (an
    AVX2-only CPU: 594 vs 86 ms for 640 boards), so it is used only where the CPU has it. Training
    self-play asks for it; evaluation does not.
    """
    if len(boards) == 0:
        return np.zeros(0, dtype=np.float32)
    x = torch.from_numpy(features(boards))
    if bf16 and CPU_HAS_BF16:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return net(x).float().numpy()
    return net(x).numpy()


def segment_argmax(values: np.ndarray, game: np.ndarray, n_games: int):
    """Index (into the flat move list) of the best move of each game; -1 for games with none.

    Ties go to the first move in scan order.
    """
    best = np.full(n_games, -1, dtype=np.int64)
    if len(values) == 0:
        return best
    order = np.lexsort((np.arange(len(values)), -values, game))   # by game, value desc, index
    first = np.ones(len(order), dtype=bool)
    first[1:] = game[order][1:] != game[order][:-1]
    best[game[order][first]] = order[first]
    return best


def move_values(net, boards, labels=None, bf16=False):
    """All legal moves of many boards with their Q = reward + gamma * V(after).

    Returns dict of flat per-move arrays: game, first (flat cell index), size, reward, q.
    """
    labels, game, first, size = E.batch_moves(boards, labels)
    after, k = E.after_states(boards, labels, game, first)
    q = k + GAMMA * value(net, after, bf16) if net is not None else np.zeros(len(k), np.float32)
    return dict(labels=labels, game=game, first=first, size=size, reward=k, q=q)


def play_batch(seeds, size="full", policy="agent", net=None, epsilon=0.0, record=False,
               explore_rng=None):
    """Play one game per seed, all at once. policy: 'agent' | 'greedy' (largest group) | 'random'.

    Boards and refills follow the 2016 protocol (RandomState(seed)); the random player here
    draws from the game's own RandomState exactly as in 2016, so 'random' reproduces the log.
    With record=True each result carries a list of turns for replay: board, every legal move
    (cell, size, reward, Q) and the chosen one.
    """
    cfg = E.SIZES[size]
    W, H = cfg["width"], cfg["height"]
    games = [E.Game(int(s), **cfg) for s in seeds]
    turns = [[] for _ in games]
    alive = list(range(len(games)))
    explore_rng = explore_rng or np.random.RandomState(0)
    while alive:
        boards = np.stack([games[i].board for i in alive])
        mv = move_values(net if policy == "agent" else None, boards)
        game, first, sz, q = mv["game"], mv["first"], mv["size"], mv["q"]
        if policy == "greedy":
            q = sz.astype(np.float32)
        best = segment_argmax(q, game, len(alive))
        still = []
        for j, i in enumerate(alive):
            g = games[i]
            idx = np.nonzero(game == j)[0]
            if len(idx) == 0:
                continue                              # game over
            if policy == "random":
                pick = idx[g.rng.randint(len(idx))]
            elif epsilon and explore_rng.rand() < epsilon:
                pick = idx[explore_rng.randint(len(idx))]
            else:
                pick = best[j]
            h, v = divmod(int(first[pick]), H)
            if record:
                turns[i].append(dict(
                    board=g.board.copy(), score=g.score,
                    moves=[(int(first[m]) // H, int(first[m]) % H) for m in idx],
                    sizes=[int(sz[m]) for m in idx], rewards=[int(mv["reward"][m]) for m in idx],
                    q=[float(mv["q"][m]) for m in idx] if policy == "agent" else None,
                    chosen=int(np.nonzero(idx == pick)[0][0]), labels=mv["labels"][j].copy()))
            gained, k = g.play(h, v)
            if record:
                turns[i][-1].update(gained=gained, cleared=k)
            still.append(i)
        alive = still
    out = []
    for g, t in zip(games, turns):
        r = dict(seed=g.seed, score=g.score, moves=g.moves, new_columns=g.new_columns)
        if record:
            r.update(turns=t, final_board=g.board.copy())
        out.append(r)
    return out


def record_game(seed: int, size="full", policy="agent", net=None, moves=None):
    """Record one game for replay, with the agent's view of every turn.

    policy: 'agent' | 'greedy' | 'random' (the 2016 random player), or moves=[(h, v), ...] to
    re-play a human game. Returns a list of turns (one per move, plus the final board) with:
    board, labels, score (before the move), moves (legal first cells), sizes, rewards,
    q (agent's Q per legal move, if a net is given), chosen (index into moves, None at the end),
    gained, cleared. The net's Q values are computed for every turn, whoever played.
    """
    cfg = E.SIZES[size]
    H = cfg["height"]
    if moves is None:
        res = play_batch([seed], size, policy, net if policy == "agent" else None, record=True)[0]
        boards = [t["board"] for t in res["turns"]] + [res["final_board"]]
        chosen_cells = [t["moves"][t["chosen"]] for t in res["turns"]]
    else:
        g = E.Game(int(seed), **cfg)
        boards, chosen_cells = [g.board.copy()], []
        for h, v in moves:
            gained, _ = g.play(h, v)
            if not gained:
                raise ValueError(f"move {(h, v)} is not legal in game {seed}")
            boards.append(g.board.copy()); chosen_cells.append((h, v))
    stack = np.stack(boards)
    mv = move_values(net, stack)
    turns, score = [], 0
    for i, b in enumerate(boards):
        idx = np.nonzero(mv["game"] == i)[0]
        cells = [(int(mv["first"][m]) // H, int(mv["first"][m]) % H) for m in idx]
        t = dict(board=b, labels=mv["labels"][i], score=score, moves=cells,
                 sizes=[int(mv["size"][m]) for m in idx], rewards=[int(mv["reward"][m]) for m in idx],
                 q=[float(mv["q"][m]) for m in idx] if net is not None else None,
                 chosen=None, gained=0, cleared=0)
        if i < len(chosen_cells):
            h, v = chosen_cells[i]
            lab = mv["labels"][i][h, v]
            t["chosen"] = cells.index((int(lab) // H, int(lab) % H))
            n = t["sizes"][t["chosen"]]
            t["gained"], t["cleared"] = E.move_score(n), t["rewards"][t["chosen"]]
            score += t["gained"]
        turns.append(t)
    return turns


def checkpoint_path(size: str) -> Path:
    return ART_DIR / f"bubble_{size}.pt"


def save_checkpoint(path, net, meta: dict, optimizer=None):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = dict(state_dict=net.state_dict(), meta=meta)
    if optimizer is not None:
        blob["optimizer"] = optimizer.state_dict()
    torch.save(blob, path)


def load_checkpoint(size_or_path="full", with_optimizer=False):
    """Load a shipped checkpoint ('full' / 'small') or a path. Returns (net, meta[, opt state])."""
    path = checkpoint_path(size_or_path) if size_or_path in E.SIZES else Path(size_or_path)
    blob = torch.load(path, map_location="cpu", weights_only=False)
    meta = blob["meta"]
    cfg = E.SIZES[meta["size"]]
    net = ValueNet(cfg["width"], cfg["height"])
    net.load_state_dict(blob["state_dict"])
    net.eval()
    if with_optimizer:
        return net, meta, blob.get("optimizer")
    return net, meta


def load_manifest() -> dict:
    p = ART_DIR / "manifest.json"
    return json.loads(p.read_text()) if p.exists() else {"artefacts": []}
