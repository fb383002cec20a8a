"""The 2016 log's Bubble Breaker figure, measured the same way for our agent.

    python -m models.bubble.train_window --size full            # 1,000 games, epsilon 0.1, prints the mean
    python -m models.bubble.train_window --size full --write    # ... and records it under models/artefacts/bubble/

The best figure in the 2016 log, 1226.8, is the mean score of the last 1,000 *training* games: the
agent played with 10 % random moves (epsilon = 0.1). Our test-seed figure (greedy, the 100 test
seeds) is a different measurement, so this module plays the shipped agent under the training
protocol: 1,000 games, each move random with probability 0.1, otherwise the agent's best move.

Differences that remain, stated: the 2016 games were played while the net was still learning; ours
are played by the frozen shipped checkpoint. Seeds are 3,000,000,000 + j (never used for training,
validation or the test seeds), and each game draws its exploration from its own generator (seeded
from the game seed), so any subset of the games replays exactly, whatever the batch size.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from models import artefacts
from models.device import set_threads

from . import agent as A
from . import engine as E

WINDOW_SEED0 = 3_000_000_000
WINDOW_GAMES = 1_000
EPSILON = 0.1
LOG_2016 = 1226.8  # the 2016 log's best mean of the last 1,000 training games


def explore_rng(seed: int) -> np.random.RandomState:
    """The exploration draws of game ``seed`` (a generator of its own, apart from the board's)."""
    return np.random.RandomState([int(seed) % 2**32, 20160])


def play_eps(seeds, size: str = "full", net=None, epsilon: float = EPSILON) -> list[dict]:
    """Play one game per seed, all at once: each move random with probability ``epsilon``, else the agent's
    best (Q = columns cleared + 0.95 V(after)). Returns dicts seed, score, moves, random_moves."""
    cfg = E.SIZES[size]
    games = [E.Game(int(s), **cfg) for s in seeds]
    rngs = [explore_rng(s) for s in seeds]
    randoms = [0] * len(games)
    alive = list(range(len(games)))
    while alive:
        boards = np.stack([games[i].board for i in alive])
        mv = A.move_values(net, boards)
        best = A.segment_argmax(mv["q"], mv["game"], len(alive))
        counts = np.bincount(mv["game"], minlength=len(alive))   # a game's moves are contiguous
        starts = np.cumsum(counts) - counts
        still = []
        for j, i in enumerate(alive):
            if counts[j] == 0:
                continue                                   # game over
            r = rngs[i]
            if r.rand() < epsilon:
                pick = starts[j] + r.randint(counts[j])
                randoms[i] += 1
            else:
                pick = best[j]
            games[i].play_after(mv["after"][pick], mv["size"][pick], mv["reward"][pick])
            still.append(i)
        alive = still
    return [dict(seed=g.seed, score=int(g.score), moves=int(g.moves), random_moves=randoms[k])
            for k, g in enumerate(games)]


def measure(size: str = "full", n_games: int = WINDOW_GAMES, net=None, chunk: int = 100,
            seed0: int = WINDOW_SEED0, epsilon: float = EPSILON, progress=None) -> dict:
    """The shipped agent over ``n_games`` games with ``epsilon`` random moves, ``chunk`` games at a time."""
    if net is None:
        net, _ = A.load_checkpoint(size)
    t0, res = time.time(), []
    for a in range(seed0, seed0 + n_games, chunk):
        res += play_eps(range(a, min(a + chunk, seed0 + n_games)), size, net, epsilon)
        if progress:
            progress(len(res), float(np.mean([r["score"] for r in res])))
    scores = np.array([r["score"] for r in res])
    return dict(mean_score=round(float(scores.mean()), 2), games=len(res), epsilon=epsilon,
                seeds=f"{seed0}..{seed0 + n_games - 1}",
                mean_moves=round(float(np.mean([r["moves"] for r in res])), 2),
                random_move_share=round(sum(r["random_moves"] for r in res) / max(1, sum(r["moves"] for r in res)), 4),
                seconds=round(time.time() - t0, 1), scores=[int(s) for s in scores])


def record_path(size: str):
    return A.ART_DIR / f"bubble_{size}_eps10.json"


def load_record(size: str = "full") -> dict | None:
    """The recorded measurement (``--write``), or None if there is none."""
    p = record_path(size)
    return json.loads(p.read_text()) if p.exists() else None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=list(E.SIZES), default="full")
    ap.add_argument("--games", type=int, default=WINDOW_GAMES)
    ap.add_argument("--chunk", type=int, default=100, help="games played side by side")
    ap.add_argument("--write", action="store_true",
                    help="write models/artefacts/bubble/bubble_<size>_eps10.json and list it in the manifest")
    args = ap.parse_args(argv)
    if args.games < 1 or args.chunk < 1:
        ap.error("--games and --chunk must be at least 1")
    set_threads("single")
    net, meta = A.load_checkpoint(args.size)
    m = measure(args.size, args.games, net, args.chunk,
                progress=lambda n, s: print(f"{n:5d} games  mean score {s:7.1f}", flush=True))
    print(json.dumps({k: v for k, v in m.items() if k != "scores"}, indent=1))
    if not args.write:
        return
    name = f"bubble_{args.size}_eps10"
    cmd = f"python -m models.bubble.train_window --size {args.size} --games {args.games} --write"
    rec = dict(name=name, checkpoint=f"models/artefacts/bubble/bubble_{args.size}.pt",
               checkpoint_games=meta["games"], command=cmd, **m)
    path = record_path(args.size)
    path.write_text(json.dumps(rec, indent=1) + "\n")
    entry = dict(name=name, path=f"models/artefacts/bubble/{path.name}", command=cmd,
                 data=f"the shipped bubble_{args.size} checkpoint playing {m['games']} games on seeds {m['seeds']} "
                      f"with {EPSILON:g} random moves (the protocol of the 2016 log's 'last 1,000 training games' "
                      f"mean, {LOG_2016}); not a training run",
                 metrics=dict(agent_train_window_mean_eps10=m["mean_score"], games=m["games"], epsilon=EPSILON,
                              seeds=m["seeds"]))
    artefacts.record("bubble", entry)
    print(f"wrote {path} and its manifest entry")


if __name__ == "__main__":
    main()
