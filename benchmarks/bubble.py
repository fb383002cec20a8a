"""Bubble Breaker benchmarks: one `name value unit` line per figure.

    python benchmarks/bubble.py            # everything
    python benchmarks/bubble.py --random   # only the random-play figures (fast)

random_*  : random play over game ids 0-99 on the full board under the 2016 RNG protocol; the
            2016 log printed 52.7 moves, 11.7 legal moves/turn, 3.0 new columns, score 451.6
            (min 246, max 1152).
train_games_per_s : full-board self-play training speed of models.bubble.train with its defaults,
            from the shipped agent (long games): 48 games side by side, the look-ahead in int8 (oneDNN),
            the Adam steps (one per tick, float32) on a second thread, one torch thread each. Also
            printed: ticks/s, Adam steps per tick (1.0 = the learner kept up), and the same loop in
            float32 with learning between ticks on one core (train_games_per_s_fp32_serial), as
            before these changes.
agent_mean_score / greedy_mean_score : the shipped full-board agent (always its best move) and the
            "largest group" player over test seeds 1000000000-1000000099.
agent_train_window_mean_eps10 : the shipped full-board agent measured as the 2016 log's best figure
            (1226.8) was: the mean of 1,000 games with 10 % random moves (models.bubble.train_window,
            seeds 3000000000+; the 2016 games were its last 1,000 training games, ours are played by the
            frozen checkpoint). The slides read the recorded value (bubble_full_eps10.json); this
            plays the games again. --no-eps10 skips it (about 2 minutes on one core).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from models.bubble import engine as E  # noqa: E402

TEST_SEEDS = range(1_000_000_000, 1_000_000_100)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--random", action="store_true", help="only the random-play figures")
    ap.add_argument("--train-seconds", type=float, default=20.0, help="how long to time training")
    ap.add_argument("--no-eps10", action="store_true", help="skip the 1,000 games with 10%% random moves")
    args = ap.parse_args()

    st = E.random_play_stats(range(100), "full")
    print(f"random_mean_moves {st['mean_moves']:.2f} moves")
    print(f"random_mean_legal_moves {st['mean_legal_moves']:.2f} moves_per_turn")
    print(f"random_mean_new_columns {st['mean_new_columns']:.2f} columns_per_game")
    print(f"random_mean_score {st['mean_score']:.2f} points")
    print(f"random_min_score {st['min_score']} points")
    print(f"random_max_score {st['max_score']} points")
    if args.random:
        return

    import numpy as np

    from models.bubble import agent as A
    from models.bubble import train as T
    from models.device import set_threads

    set_threads()
    d = T.measure_speed("full", seconds=args.train_seconds, details=True)
    print(f"train_games_per_s {d['games_per_s']:.1f} games_per_s")
    print(f"train_ticks_per_s {d['ticks_per_s']:.1f} ticks_per_s  # {T.DEFAULT_PARALLEL} games move per tick")
    print(f"train_steps_per_tick {d['steps_per_tick']:.2f} steps  # look-ahead {d['play']}, learner {d['learner']}")
    d = T.measure_speed("full", seconds=args.train_seconds, play="fp32", learner="serial", details=True)
    print(f"train_games_per_s_fp32_serial {d['games_per_s']:.1f} games_per_s")

    net, meta = A.load_checkpoint("full")
    res = A.play_batch(list(TEST_SEEDS), "full", policy="agent", net=net)
    print(f"agent_mean_score {np.mean([r['score'] for r in res]):.1f} points  # best move every time, test seeds")
    if not args.no_eps10:
        from models.bubble import train_window as W

        w = W.measure("full", W.WINDOW_GAMES, net)
        print(f"agent_train_window_mean_eps10 {w['mean_score']:.1f} points  # {w['games']} games, epsilon "
              f"{w['epsilon']:g}, seeds {w['seeds']}; 2016 log: {W.LOG_2016}")
    res = A.play_batch(list(TEST_SEEDS), "full", policy="greedy")
    print(f"greedy_mean_score {np.mean([r['score'] for r in res]):.1f} points")
    res = A.play_batch(list(TEST_SEEDS), "full", policy="random")
    print(f"random_test_mean_score {np.mean([r['score'] for r in res]):.1f} points")


if __name__ == "__main__":
    t0 = time.time()
    main()
