"""Self-play training of the Bubble Breaker after-state value net, many games at once.

    python -m models.bubble.train --size small --minutes 3
    python -m models.bubble.train --size full --minutes 14 --resume

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
* Speed (this is where the time goes: the look-ahead runs ~14 after-states per game per tick
  through the net, and a full-board game of the trained agent lasts ~150 moves). The look-ahead
  uses an int8 copy of the net (oneDNN kernels; re-made every 20 Adam steps, so it lags the float32
  net by at most that), and the Adam steps run on a second thread (--learner), one per tick, never
  more than a few ticks behind: the games advance on one core while the net learns on the other.
  Measured on the 2-core CPU: about 2x the float32, learn-between-ticks loop (benchmarks/bubble.py).
  The trainer's targets come from the int8 copy; evaluation and the slides use the float32 net.
* Every --test-every games the greedy agent plays the validation seeds 2000000000+j; the curve
  (games played vs mean score) and the best checkpoint by that validation score are kept. The
  benchmark seeds 1000000000+j are never used for selection.
* --select-games N (the shipped full-board agent: 100): at the end, the two candidates -- that best
  checkpoint and the run's last one -- play N validation games each and the better is kept as the
  checkpoint (``select_checkpoint``). A few periodic validation games are a noisy ranking; N more
  settle it. --select-only runs just this step on a finished run's files.
"""
from __future__ import annotations

import argparse
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import torch

from models.device import add_device_argument, cpu_only, set_threads

from . import agent as A
from . import engine as E

VALID_SEED0 = 2_000_000_000


PLAY_CHOICES = ("int8", "bf16", "fp32")
DEFAULT_PARALLEL = 48  # games side by side (the shipped full-board agent was trained so)
REFRESH_STEPS = 20  # the int8 look-ahead copy is re-made from the float32 net every this many Adam steps


class Trainer:
    """Holds the net, optimiser, live games and memory; ``tick()`` advances every game one move.

    ``play`` is the arithmetic of the self-play look-ahead: "fp32"; "bf16" (bfloat16 where the CPU
    has it natively, else float32); "int8" (an ``Int8ValueNet`` copy re-made every ``REFRESH_STEPS``
    Adam steps, where the oneDNN int8 kernels exist, else float32). Learning is always float32.
    ``start_learner()`` moves the Adam steps to a second thread (the other CPU core): the games
    then advance while the net learns, kept within ``max_lag`` steps of one step per tick.
    """

    def __init__(self, size="small", parallel=32, epsilon=0.1, lr=1e-3, batch=128,
                 memory=8192, seed=0, net=None, play="bf16"):
        if play not in PLAY_CHOICES:
            raise ValueError(f"play must be one of {PLAY_CHOICES}, not {play!r}")
        self.size, self.cfg = size, E.SIZES[size]
        self.W, self.H = self.cfg["width"], self.cfg["height"]
        torch.manual_seed(seed)
        self.net = net if net is not None else A.ValueNet(self.W, self.H)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=lr, fused=True)  # one kernel per step, little GIL
        self.epsilon, self.batch, self.capacity = epsilon, batch, memory
        self.play = "int8" if play == "int8" and A.int8_available() else \
            "bf16" if play == "bf16" and A.CPU_HAS_BF16 else "fp32"
        self.play_net = None                           # int8 copy (made on the first tick)
        self.rng = np.random.RandomState(seed)         # games' exploration
        self.learn_rng = np.random.RandomState(seed + 1)   # minibatches
        self.lock = threading.RLock()                  # memory and counters, between the two threads
        self.learned = threading.Condition(self.lock)  # a step was taken / a tick was played
        self.net_lock = threading.RLock()              # the float32 net and its optimiser
        self._learner, self._stop, self.max_lag = None, False, 8
        self.next_game = seed * 10_000_000            # game ids (= board seeds) used for training
        self.games = [self._new_game() for _ in range(parallel)]
        self.mem_boards = np.zeros((memory, self.W, self.H), dtype=np.int8)
        self.mem_target = np.zeros(memory, dtype=np.float32)
        self.mem_n = 0                                 # samples written so far (ring index = n % cap)
        self.games_done, self.ticks, self.train_steps, self.losses = 0, 0, 0, []
        self.learned_ticks = 0                         # ticks whose learning turn is done (a step, or
        #                                                nothing to learn yet): the two threads pace on it
        self.train_scores = []

    def _new_game(self):
        g = E.Game(self.next_game, **self.cfg)
        self.next_game += 1
        return g

    def _remember(self, boards, targets):
        with self.lock:
            for b, t in zip(boards, targets):
                i = self.mem_n % self.capacity
                self.mem_boards[i], self.mem_target[i] = b, t
                self.mem_n += 1

    def _refresh_play_net(self, calibration):
        with self.net_lock:
            self.play_net = A.Int8ValueNet.from_float(self.net, calibration)

    def tick(self):
        """One move in every live game, then one Adam step (or, with the learner thread running, wait
        until it is at most ``max_lag`` steps behind). Returns games finished this tick."""
        boards = np.stack([g.board for g in self.games])
        if self.play == "int8":
            if self.play_net is None:  # calibrated on the current boards; later copies on minibatches
                self._refresh_play_net(boards)
            mv = A.move_values(self.play_net, boards)
        else:
            with self.net_lock:
                self.net.eval()
                mv = A.move_values(self.net, boards, bf16=self.play == "bf16")
        game, q = mv["game"], mv["q"]
        best = A.segment_argmax(q, game, len(self.games))
        after, size, cleared = mv["after"], mv["size"], mv["reward"]
        counts = np.bincount(game, minlength=len(self.games))      # moves of a game are contiguous
        starts = np.cumsum(counts) - counts
        store_b, store_t, finished = [], [], 0
        for j, g in enumerate(self.games):
            if counts[j] == 0:                         # game over: terminal board is worth 0
                store_b.append(g.board.copy()); store_t.append(0.0)
                self.train_scores.append(g.score)
                self.games[j] = self._new_game()
                finished += 1
                continue
            if self.rng.rand() < self.epsilon:
                pick = starts[j] + self.rng.randint(counts[j])
            else:
                pick = best[j]
                store_b.append(g.board.copy()); store_t.append(float(q[pick]))
            g.play_after(after[pick], size[pick], cleared[pick])
        self._remember(store_b, store_t)
        with self.lock:
            self.games_done += finished
            self.ticks += 1
            self.learned.notify_all()
            if self._learner is None:
                self.learn()
            else:
                while self.ticks - self.learned_ticks > self.max_lag and self._learner.is_alive():
                    self.learned.wait(1.0)
        return finished

    def learn(self):
        """One Adam step on a random minibatch of the memory (float32). With int8 play, the look-ahead
        copy is re-made every ``REFRESH_STEPS`` steps, calibrated on the minibatch's boards."""
        with self.lock:
            n = min(self.mem_n, self.capacity)
            if n < self.batch:
                self.learned_ticks += 1                # nothing to learn yet: the tick's turn is done
                self.learned.notify_all()
                return None
            i = self.learn_rng.randint(n, size=self.batch)
            boards, y = self.mem_boards[i], torch.from_numpy(self.mem_target[i])
        x = torch.from_numpy(A.features(boards))
        with self.net_lock:
            self.net.train()
            loss = torch.mean((self.net(x) - y) ** 2)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            self.net.eval()
        with self.lock:
            self.train_steps += 1
            self.learned_ticks += 1
            self.losses.append(loss.item())
            refresh = self.play == "int8" and self.train_steps % REFRESH_STEPS == 0
            self.learned.notify_all()
        if refresh:
            self._refresh_play_net(boards)
        return self.losses[-1]

    # -- the learner thread
    def start_learner(self):
        """Run the Adam steps on a second thread (one step per tick, at most ``max_lag`` behind)."""
        if self._learner is not None:
            return
        self._stop = False

        def loop():
            set_threads("single")
            while True:
                with self.lock:
                    while not self._stop and self.learned_ticks >= self.ticks:
                        self.learned.wait(1.0)
                    if self._stop:
                        return
                self.learn()

        self._learner = threading.Thread(target=loop, name="bubble-learner", daemon=True)
        self._learner.start()

    def stop_learner(self):
        """Finish the steps owed to the ticks played, then stop the thread."""
        if self._learner is None:
            return
        with self.lock:
            while self.learned_ticks < self.ticks and self._learner.is_alive():
                self.learned.wait(1.0)
            self._stop = True
            self.learned.notify_all()
        self._learner.join()
        self._learner = None

    def evaluate(self, n_games=20, seed0=VALID_SEED0):
        """The float32 net, greedy, on validation seeds (the learner thread waits meanwhile)."""
        with self.net_lock:
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
        self.learned_ticks = self.ticks
        self.next_game = s["next_game"]
        self.rng.set_state(s["rng"])
        self.games = [self._new_game() for _ in self.games]
        if opt_state is not None:
            self.opt.load_state_dict(opt_state)


def use_learner_thread(choice: str) -> bool:
    """--learner auto: a second thread where there is a second core."""
    return choice == "thread" or (choice == "auto" and (os.cpu_count() or 1) >= 2)


def measure_speed(size="full", seconds=20.0, parallel=DEFAULT_PARALLEL, threads=1, play="int8", learner="auto",
                  details=False):
    """Training games finished per second (from the shipped checkpoint if any, else scratch).

    With ``details`` returns a dict: games_per_s, ticks_per_s, steps_per_tick, play, learner."""
    set_threads(threads)
    net = None
    if A.checkpoint_path(size).exists():
        net, _ = A.load_checkpoint(size)
    tr = Trainer(size, parallel=parallel, net=net, play=play)
    threaded = use_learner_thread(learner)
    if threaded:
        tr.start_learner()
    try:
        t0 = time.time()
        while time.time() - t0 < 5.0:  # warm-up: games in flight at start; oneDNN makes its kernels for each
            tr.tick()                  # new batch size (the first seconds ran ~25% slower)
        done0, ticks0, steps0, t0 = tr.games_done, tr.ticks, tr.train_steps, time.time()
        while time.time() - t0 < seconds:
            tr.tick()
        el = time.time() - t0
        out = dict(games_per_s=(tr.games_done - done0) / el, ticks_per_s=(tr.ticks - ticks0) / el,
                   steps_per_tick=(tr.train_steps - steps0) / max(1, tr.ticks - ticks0), play=tr.play,
                   learner="thread" if threaded else "serial")
    finally:
        tr.stop_learner()
    return out if details else out["games_per_s"]


def validation_mean(net, size: str, n_games: int, seed0: int = VALID_SEED0) -> float:
    """Mean score of the float32 net, greedy, on validation seeds seed0 .. seed0 + n_games - 1."""
    res = A.play_batch(range(seed0, seed0 + n_games), size, "agent", net)
    return float(np.mean([r["score"] for r in res]))


def candidate_paths(out) -> dict:
    """The selection's candidates for checkpoint ``out``: {"best": <stem>.best.pt, "last": <stem>.last.pt}.

    Training writes the best checkpoint by the periodic validation to ``out`` itself; the selection
    first keeps it as ``.best.pt`` (an ``out`` that already carries a selection is the previous pick,
    and the ``.best.pt`` beside it is then the candidate)."""
    out = Path(out)
    return {"best": out.with_suffix(".best.pt"), "last": out.with_suffix(".last.pt")}


def selection_sentence(fig: dict, validation_games) -> str:
    """The selection in words, for the manifest's "data" (``validation_games``: the periodic
    validation's size, which picked the best candidate)."""
    seed0 = int(fig["seeds"].split("..")[0])
    seeds = f"seeds {seed0}-{(seed0 + fig['n_games'] - 1) % 1000:03d}"
    against = f"on {fig['n_games']} validation games, {seeds}: mean {fig['chosen_valid_mean']:.1f} " \
              f"against {fig['other_valid_mean']:.1f}"
    if fig["chosen"] == "last":
        return (f"the run's last one: picked between it and the best by the {validation_games}-game validation "
                f"({fig['other_games']:,} games) {against}")
    return (f"the best by the {validation_games}-game validation: picked between it and the run's last one "
            f"({fig['other_games']:,} games) {against}")


def select_checkpoint(out, n_games: int = 100, seed0: int = VALID_SEED0) -> dict:
    """Keep the better of the run's two candidates on ``n_games`` validation games, as ``out``.

    Candidates: the best checkpoint by the periodic validation and the run's last one (see
    ``candidate_paths``). Each plays the same validation seeds greedily with its float32 net; the higher
    mean wins (a tie goes to the last one, which trained longer). The winner is written to ``out``
    with ``selection`` (a sentence), ``selection_figures`` and ``valid`` in its meta. Returns the figures.
    """
    out = Path(out)
    paths = candidate_paths(out)
    if out.exists() and "selection" not in A.load_checkpoint(out)[1]:
        shutil.copyfile(out, paths["best"])             # a fresh best-by-validation checkpoint
    missing = [f"{k} ({p})" for k, p in paths.items() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"cannot select for {out}: no {' and no '.join(missing)}; "
                                "the selection needs the training run's files")
    cand = {k: A.load_checkpoint(p) for k, p in paths.items()}
    means = {k: validation_mean(net, meta["size"], n_games, seed0) for k, (net, meta) in cand.items()}
    chosen = "last" if means["last"] >= means["best"] else "best"
    other = "best" if chosen == "last" else "last"
    figures = dict(n_games=n_games, seeds=f"{seed0}..{seed0 + n_games - 1}", chosen=chosen,
                   chosen_games=cand[chosen][1]["games"], chosen_valid_mean=round(means[chosen], 2),
                   other=other, other_games=cand[other][1]["games"], other_valid_mean=round(means[other], 2))
    k = cand["best"][1].get("args", {}).get("test_games", "?")
    net, meta = cand[chosen]
    meta = dict(meta, selection=selection_sentence(figures, k), selection_figures=figures,
                valid=dict(games=meta["games"], mean_score=means[chosen], n_games=n_games))
    A.save_checkpoint(out, net, meta)
    return figures


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=list(E.SIZES), default="small")
    ap.add_argument("--games", type=int, default=100_000, help="stop after this many training games")
    ap.add_argument("--minutes", type=float, default=10.0, help="stop after this much wall time")
    ap.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL, help="games played side by side")
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
    ap.add_argument("--play", choices=PLAY_CHOICES, default="int8",
                    help="arithmetic of the self-play look-ahead (int8 falls back to fp32 without oneDNN int8)")
    ap.add_argument("--learner", choices=["auto", "thread", "serial"], default="auto",
                    help="Adam steps on a second thread (auto: if there are 2+ cores) or between ticks")
    ap.add_argument("--select-games", type=int, default=0,
                    help="at the end keep the better of the best-by-validation and the last checkpoint on "
                         "this many validation games (0: keep the best by the periodic validation)")
    ap.add_argument("--select-only", action="store_true",
                    help="no training: run only the selection on --out's candidates (--select-games, default 100)")
    add_device_argument(ap, "Bubble training always runs on the CPU: its int8 player is CPU-only by design and "
                            "the float32 learner is a small net trained on batches of 128 boards")
    args = ap.parse_args(argv)
    cpu_only(args.device, "bubble.train", "the int8 player is CPU-only by design, and the float32 learner "
                                          "(small, batches of 128) stays with it so each tick shares weights in memory")
    if args.select_games < 0:
        ap.error("--select-games must be 0 or more")
    if args.select_only:
        return _select(Path(args.out) if args.out else A.checkpoint_path(args.size), args.select_games or 100, ap)

    set_threads(args.threads)
    out = Path(args.out) if args.out else A.checkpoint_path(args.size)
    last = out.with_suffix(".last.pt")                  # full resumable state
    tr = Trainer(args.size, args.parallel, args.epsilon, args.lr, args.batch, args.memory, args.seed,
                 play=args.play)
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
    if use_learner_thread(args.learner):
        tr.start_learner()
    print(f"self-play look-ahead: {tr.play}; Adam steps: {'second thread' if tr._learner else 'between ticks'}")
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
            with tr.net_lock:                          # the learner thread waits while we save
                if ev["mean_score"] > best:
                    best = ev["mean_score"]
                    A.save_checkpoint(out, tr.net, dict(meta, valid=ev))
                A.save_checkpoint(last, tr.net, meta, tr.opt)
    tr.stop_learner()
    print(f"done: {tr.games_done} games, best validation mean score {best:.1f} -> {out}")
    if args.select_games:
        _select(out, args.select_games, ap)


def _select(out: Path, n_games: int, ap) -> dict:
    try:
        fig = select_checkpoint(out, n_games)
    except FileNotFoundError as e:
        ap.exit(2, f"{e}\n")
    print(f"selection on {n_games} validation games: kept the {fig['chosen']} checkpoint "
          f"({fig['chosen_games']} games, mean {fig['chosen_valid_mean']:.1f}) over the {fig['other']} one "
          f"({fig['other_games']} games, mean {fig['other_valid_mean']:.1f}) -> {out}")
    return fig


if __name__ == "__main__":
    main()
