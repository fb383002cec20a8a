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

import copy
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from models import artefacts

from . import engine as E

GAMMA = 0.95
# torch 2.13 says quantized tensors will go in a future release; int8_available() then turns int8 off
warnings.filterwarnings("ignore", message="torch.quantize_per_tensor, torch.quantize_per_channel")
ART_DIR = artefacts.folder("bubble")


def features(boards: np.ndarray) -> np.ndarray:
    """Boards (N, W, H) -> feature planes (N, 9, W, H) float32.

    plane 0      : silhouette (cell > 0)
    planes 1..5  : board[h, v] == board[h, v+k]   (the cell k above; 0 past the top)
    planes 6..8  : board[h, v] == board[h+k, v]   (the cell k columns over; 0 past the edge)
    Empty == empty and unknown == unknown count as "same", as in 2016.
    """
    # planes-last, returned as a (N, 9, W, H) view: torch sees it channels-last already, the layout
    # the convolutions use, so no copy is made before them (a copy was 1 ms of a 16 ms tick)
    return feature_bits(boards).astype(np.float32).transpose(0, 3, 1, 2)


def feature_bits(boards: np.ndarray) -> np.ndarray:
    """The same planes as ``features``, as booleans stored planes-last: (N, W, H, 9)."""
    N, W, H = boards.shape
    f = np.zeros((9, N, W, H), dtype=bool)
    f[0] = boards > 0
    for k in range(1, min(6, H)):
        np.equal(boards[:, :, : H - k], boards[:, :, k:], out=f[k, :, :, : H - k])
    for k in range(1, min(4, W)):
        np.equal(boards[:, : W - k, :], boards[:, k:, :], out=f[5 + k, :, : W - k, :])
    return np.ascontiguousarray(f.transpose(1, 2, 3, 0))


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
INT8_ENGINE = "onednn"  # the quantized backend that was fastest here (6.9 vs 16 ms fp32 for 440 boards; fbgemm 12)


_INT8_OK = None


def int8_available() -> bool:
    """Whether this torch has the oneDNN int8 kernels (checked once by quantizing a tiny net)."""
    global _INT8_OK
    if _INT8_OK is None:
        try:
            net = ValueNet(5, 8)
            board = np.ones((1, 5, 8), dtype=np.int8)
            _INT8_OK = bool(INT8_ENGINE in torch.backends.quantized.supported_engines and
                            np.isfinite(value(Int8ValueNet.from_float(net, board), board)).all())
        except (RuntimeError, AttributeError, NotImplementedError):
            _INT8_OK = False
    return _INT8_OK


class Int8ValueNet(nn.Module):
    """An int8 copy of a ValueNet for the self-play look-ahead: weights per output channel and
    activations in 8 bits (oneDNN kernels, about 2.3x faster than float32 on an AVX2 core).

    Values differ from the float32 net by a few hundredths (max 0.2 on values of 1-13 for 440
    after-states of the shipped agent), so it only chooses self-play moves; every evaluation,
    the slides and the benchmark scores use the float32 net. Build it with ``from_float``."""

    def __init__(self, net: ValueNet):
        from torch.ao import quantization as tq

        super().__init__()
        self.width, self.height = net.width, net.height
        self.quant, self.dequant = tq.QuantStub(), tq.DeQuantStub()
        self.conv1, self.conv2 = copy.deepcopy(net.conv1), copy.deepcopy(net.conv2)
        self.fc1, self.out = copy.deepcopy(net.fc1), copy.deepcopy(net.out)
        self.r1, self.r2, self.r3 = nn.ReLU(), nn.ReLU(), nn.ReLU()

    def forward(self, x):
        return self._rest(self.quant(x.contiguous(memory_format=torch.channels_last)))

    def forward_bits(self, bits: np.ndarray):
        """V for ``feature_bits`` planes: the 0/1 bytes are already the quantized input (scale 1,
        zero point 0), so no float planes are made at all."""
        t = torch.from_numpy(bits.view(np.uint8)).permute(0, 3, 1, 2)
        return self._rest(torch._make_per_tensor_quantized_tensor(t, 1.0, 0))

    def _rest(self, x):
        x = self.r2(self.conv2(self.r1(self.conv1(x))))
        x = self.r3(self.fc1(x.reshape(x.shape[0], -1)))
        return self.dequant(self.out(x)).squeeze(1)

    @classmethod
    @torch.no_grad()
    def from_float(cls, net: ValueNet, calibration: np.ndarray) -> "Int8ValueNet":
        """Quantize ``net``; activation ranges come from the feature planes of ``calibration`` boards
        (a few hundred after-states of current games)."""
        from torch.ao import quantization as tq

        torch.backends.quantized.engine = INT8_ENGINE
        q = cls(net).eval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # torch.ao eager-mode quantization notices
            # min/max ranges (the default histogram observer took ~1 s per copy; this takes milliseconds)
            q.qconfig = tq.QConfig(activation=tq.MinMaxObserver.with_args(dtype=torch.quint8),
                                   weight=tq.PerChannelMinMaxObserver.with_args(
                                       dtype=torch.qint8, qscheme=torch.per_channel_symmetric))
            q.quant.qconfig = tq.QConfig(  # the 0/1 planes, exactly: scale 1, zero point 0
                activation=tq.FixedQParamsObserver.with_args(scale=1.0, zero_point=0, dtype=torch.quint8,
                                                             quant_min=0, quant_max=255),
                weight=tq.PerChannelMinMaxObserver)
            tq.fuse_modules(q, [["conv1", "r1"], ["conv2", "r2"], ["fc1", "r3"]], inplace=True)
            tq.prepare(q, inplace=True)
            q(torch.from_numpy(features(calibration)))
            tq.convert(q, inplace=True)
        return q


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
    if isinstance(net, Int8ValueNet):
        return net.forward_bits(feature_bits(boards)).numpy()
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
    return dict(labels=labels, game=game, first=first, size=size, reward=k, q=q, after=after)


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
            if record:
                h, v = divmod(int(first[pick]), H)
                turns[i].append(dict(
                    board=g.board.copy(), score=g.score,
                    moves=[(int(first[m]) // H, int(first[m]) % H) for m in idx],
                    sizes=[int(sz[m]) for m in idx], rewards=[int(mv["reward"][m]) for m in idx],
                    q=[float(mv["q"][m]) for m in idx] if policy == "agent" else None,
                    chosen=int(np.nonzero(idx == pick)[0][0]), labels=mv["labels"][j].copy()))
            gained, k = g.play_after(mv["after"][pick], sz[pick], mv["reward"][pick])
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
