"""Self-play training of the Bubble Breaker after-state value net, many games at once.

    nice -n 10 python -m models.bubble.train --size small --minutes 3
    nice -n 10 python -m models.bubble.train --size full --minutes 12 --resume

The 2016 loop, batched:
* P games run side by side (game id = seed, 2016 board/refill protocol). Each tick, every legal
  move of every live game is simulated (refill unknown), all after-states go through the net in
  one batch, and each game picks  argmax_move [columns cleared + 0.95 * V(after)].
* epsilon-greedy: with probability epsilon a random move and nothing stored; otherwise the
  greedy move, and the pair (current board, best Q) is stored as a training target. A finished
  game stores (final board, 0). (As 2016.)
* Memory: a rolling window of the most recent positions. Changed from 2016 (one Adam step per
  game on the last 512 positions, in order): one Adam step per tick on a RANDOM minibatch of the
  window, which de-correlates the samples of a single game.
* Every --test-every games the greedy agent plays the validation seeds 2000000000+j; the curve
  (games played vs mean score) and the best checkpoint by that validation score are kept. The
  benchmark seeds 1000000000+j are never used for selection.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from . import agent as A
from . import engine as E

VALID_SEED0 = 2_000_000_000


class Trainer:
    """Holds the net, optimiser, live games and memory; ``tick()`` advances every game one move."""

    def __init__(self, size="small", parallel=32, epsilon=0.1, lr=1e-3, batch=128,
                 memory=8192, seed=0, net=None, bf16=True):
        self.size, self.cfg = size, E.SIZES[size]
        self.W, self.H = self.cfg["width"], self.cfg["height"]
        torch.manual_seed(seed)
        self.net = net if net is not None else A.ValueNet(self.W, self.H)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.epsilon, self.batch, self.capacity = epsilon, batch, memory
        self.bf16 = bf16                               # bfloat16 look-ahead during self-play
        self.rng = np.random.RandomState(seed)
        self.next_game = seed * 10_000_000            # game ids (= board seeds) used for training
        self.games = [self._new_game() for _ in range(parallel)]
        self.mem_boards = np.zeros((memory, self.W, self.H), dtype=np.int8)
        self.mem_target = np.zeros(memory, dtype=np.float32)
        self.mem_n = 0                                 # samples written so far (ring index = n % cap)
        self.games_done, self.ticks, self.train_steps, self.losses = 0, 0, 0, []
        self.train_scores = []

    def _new_game(self):
        g = E.Game(self.next_game, **self.cfg)
        self.next_game += 1
        return g

    def _remember(self, boards, targets):
        for b, t in zip(boards, targets):
            i = self.mem_n % self.capacity
            self.mem_boards[i], self.mem_target[i] = b, t
            self.mem_n += 1

    def tick(self):
        """One move in every live game, then one Adam step. Returns games finished this tick."""
        self.net.eval()
        boards = np.stack([g.board for g in self.games])
        mv = A.move_values(self.net, boards, bf16=self.bf16)
        game, first, q = mv["game"], mv["first"], mv["q"]
        best = A.segment_argmax(q, game, len(self.games))
        store_b, store_t, finished = [], [], 0
        for j, g in enumerate(self.games):
            idx = np.nonzero(game == j)[0]
            if len(idx) == 0:                          # game over: terminal board is worth 0
                store_b.append(g.board.copy()); store_t.append(0.0)
                self.train_scores.append(g.score)
                self.games[j] = self._new_game()
                finished += 1
                continue
            if self.rng.rand() < self.epsilon:
                pick = idx[self.rng.randint(len(idx))]
            else:
                pick = best[j]
                store_b.append(g.board.copy()); store_t.append(float(q[pick]))
            g.play(*divmod(int(first[pick]), self.H))
        self._remember(store_b, store_t)
        self.games_done += finished
        self.ticks += 1
        self.learn()
        return finished

    def learn(self):
        n = min(self.mem_n, self.capacity)
        if n < self.batch:
            return None
        self.net.train()
        i = self.rng.randint(n, size=self.batch)
        x = torch.from_numpy(A.features(self.mem_boards[i]))
        y = torch.from_numpy(self.mem_target[i])
        loss = torch.mean((self.net(x) - y) ** 2)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.net.eval()
        self.train_steps += 1
        self.losses.append(loss.item())
        return self.losses[-1]

    def evaluate(self, n_games=20, seed0=VALID_SEED0):
        res = A.play_batch(range(seed0, seed0 + n_games), self.size, "agent", self.net)
        return dict(games=self.games_done,
                    mean_score=float(np.mean([r["score"] for r in res])),
                    mean_moves=float(np.mean([r["moves"] for r in res])),
                    mean_new_columns=float(np.mean([r["new_columns"] for r in res])))

    # -- resume support
    def state(self):
        return dict(games_done=self.games_done, ticks=self.ticks, train_steps=self.train_steps,
                    next_game=self.next_game, rng=self.rng.get_state())

    def load_state(self, s, opt_state=None):
        self.games_done, self.ticks, self.train_steps = s["games_done"], s["ticks"], s["train_steps"]
        self.next_game = s["next_game"]
        self.rng.set_state(s["rng"])
        self.games = [self._new_game() for _ in self.games]
        if opt_state is not None:
            self.opt.load_state_dict(opt_state)


def measure_speed(size="full", seconds=20.0, parallel=32, threads=1):
    """Training games finished per second (from the shipped checkpoint if any, else scratch)."""
    torch.set_num_threads(threads)
    net = None
    if A.checkpoint_path(size).exists():
        net, _ = A.load_checkpoint(size)
    tr = Trainer(size, parallel=parallel, net=net)
    t0 = time.time()
    while time.time() - t0 < 2.0:                      # warm-up; games in flight at start
        tr.tick()
    done0, t0 = tr.games_done, time.time()
    while time.time() - t0 < seconds:
        tr.tick()
    return (tr.games_done - done0) / (time.time() - t0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=list(E.SIZES), default="small")
    ap.add_argument("--games", type=int, default=100_000, help="stop after this many training games")
    ap.add_argument("--minutes", type=float, default=10.0, help="stop after this much wall time")
    ap.add_argument("--parallel", type=int, default=32, help="games played side by side")
    ap.add_argument("--epsilon", type=float, default=0.1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=128, help="Adam minibatch (random from memory)")
    ap.add_argument("--memory", type=int, default=8192, help="rolling memory of positions")
    ap.add_argument("--test-every", type=int, default=500, help="validation every N games")
    ap.add_argument("--test-games", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="checkpoint path (default: shipped artefact)")
    ap.add_argument("--resume", action="store_true", help="continue from --out's .last.pt")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--fp32-play", action="store_true", help="self-play look-ahead in float32 (slower)")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    out = Path(args.out) if args.out else A.checkpoint_path(args.size)
    last = out.with_suffix(".last.pt")                  # full resumable state
    tr = Trainer(args.size, args.parallel, args.epsilon, args.lr, args.batch, args.memory, args.seed,
                 bf16=not args.fp32_play)
    curve, best, spent, commands = [], -1.0, 0.0, []
    if args.resume and last.exists():
        net, meta, opt_state = A.load_checkpoint(last, with_optimizer=True)
        tr.net.load_state_dict(net.state_dict())
        tr.load_state(meta["trainer"], opt_state)
        curve, best, spent = meta["curve"], meta["best_valid_score"], meta["train_seconds"]
        commands = meta.get("commands", [meta["command"]])
        print(f"resumed at {tr.games_done} games, best validation mean {best:.1f}")
    if not curve:
        curve.append(tr.evaluate(args.test_games))
        print(f"games {0:6d}  valid mean score {curve[-1]['mean_score']:7.1f}")

    cmd = "python -m models.bubble.train " + " ".join(argv if argv is not None else os.sys.argv[1:])
    commands = commands + [cmd]
    t0, games0 = time.time(), tr.games_done
    next_test = (tr.games_done // args.test_every + 1) * args.test_every
    while tr.games_done < args.games and time.time() - t0 < args.minutes * 60:
        tr.tick()
        if tr.games_done >= next_test:
            next_test += args.test_every
            ev = tr.evaluate(args.test_games)
            ev["seconds"] = spent + time.time() - t0
            ev["train_mean_score"] = float(np.mean(tr.train_scores[-args.test_every:]))
            ev["loss"] = float(np.mean(tr.losses[-200:]))
            curve.append(ev)
            el = time.time() - t0
            print(f"games {tr.games_done:6d}  valid mean score {ev['mean_score']:7.1f}  moves "
                  f"{ev['mean_moves']:5.1f}  train mean {ev['train_mean_score']:7.1f}  "
                  f"loss {ev['loss']:.3f}  {(tr.games_done - games0) / max(el, 1e-9):.1f} games/s(run)", flush=True)
            meta = dict(size=args.size, games=tr.games_done, curve=curve, command=" && ".join(commands),
                        commands=commands,
                        train_seconds=spent + time.time() - t0, trainer=tr.state(),
                        best_valid_score=max(best, ev["mean_score"]), args=vars(args))
            if ev["mean_score"] > best:
                best = ev["mean_score"]
                A.save_checkpoint(out, tr.net, dict(meta, valid=ev))
            A.save_checkpoint(last, tr.net, meta, tr.opt)
    print(f"done: {tr.games_done} games, best validation mean score {best:.1f} -> {out}")


if __name__ == "__main__":
    main()
