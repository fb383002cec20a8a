"""Score a Bubble Breaker checkpoint on the 2016 test seeds and record it in the manifest.

    python -m models.bubble.evaluate --size full            # 100 games, seeds 1000000000..099
    python -m models.bubble.evaluate --size small --write   # ... and update manifest.json

The agent plays greedily (no exploration), so the scores are deterministic given the weights.
Greedy (largest group) and random play on the same seeds are recorded beside it.
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from models import artefacts
from models.device import set_threads

from . import agent as A
from .train import use_learner_thread

TEST_SEED0 = 1_000_000_000


def evaluate(size: str, n_games: int = 100, net=None) -> dict:
    if net is None:
        net, _ = A.load_checkpoint(size)
    seeds = list(range(TEST_SEED0, TEST_SEED0 + n_games))
    out = {}
    for policy in ("agent", "greedy", "random"):
        res = A.play_batch(seeds, size, policy, net if policy == "agent" else None)
        sc = np.array([r["score"] for r in res])
        out[f"{policy}_mean_score"] = round(float(sc.mean()), 2)
        out[f"{policy}_scores"] = [int(x) for x in sc]
        out[f"{policy}_moves"] = [int(r["moves"]) for r in res]
        if policy == "agent":
            out.update(agent_max_score=int(sc.max()), agent_min_score=int(sc.min()),
                       agent_mean_moves=round(float(np.mean([r["moves"] for r in res])), 2),
                       agent_mean_new_columns=round(float(np.mean([r["new_columns"] for r in res])), 2))
    out["test_seeds"] = f"{TEST_SEED0}..{TEST_SEED0 + n_games - 1}"
    return out


def _trained_on(args: dict) -> str:
    """How the run computed, from its recorded arguments (runs before --play/--learner: float32, serial)."""
    play = args.get("play", "fp32")
    learner = args.get("learner", "serial")
    threaded = use_learner_thread(learner)
    return f"shared 2-core CPU, {play} look-ahead, " + ("learner thread" if threaded else "one thread")


def _selection(meta: dict, run_command: str, old: dict | None) -> dict:
    """The entry's command, and {"selection": figures} when train.py's selection step picked this
    checkpoint (its figures are in the checkpoint). A checkpoint picked by the same rule before the step
    was code (bubble_full) keeps its entry's command, which ends with the step, and its recorded figures."""
    if meta.get("selection_figures"):
        return {"command": run_command, "selection": meta["selection_figures"]}
    if meta.get("selection") and old and old.get("selection") and meta["selection"] in old.get("data", ""):
        return {"command": old["command"], "selection": old["selection"]}
    return {"command": run_command}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", choices=["full", "small"], default="full")
    ap.add_argument("--games", type=int, default=100)
    ap.add_argument("--write", action="store_true", help="update models/artefacts/bubble/manifest.json")
    args = ap.parse_args(argv)
    set_threads("single")
    net, meta = A.load_checkpoint(args.size)
    m = evaluate(args.size, args.games, net)
    print(json.dumps({k: v for k, v in m.items() if not k.endswith(("_scores", "_moves"))}, indent=1))
    if args.write:
        name = f"bubble_{args.size}"
        run = meta                                        # the whole run (incl. games after the best)
        last = A.checkpoint_path(args.size).with_suffix(".last.pt")
        if last.exists():
            run = A.load_checkpoint(last)[1]
        entry = dict(
            name=name, path=f"models/artefacts/bubble/{name}.pt",
            **_selection(meta, run["command"], artefacts.entry("bubble", name)),
            data=f"self-play on the {args.size} board: the run played {run['games']} training games (game "
                 f"ids = seeds from 0); this checkpoint is the one after {meta['games']} games, "
                 + (meta.get("selection") or f"picked by its validation mean {meta['best_valid_score']:.1f} on "
                                             f"seeds 2000000000+ ({run['args']['test_games']} games)")
                 + "; test seeds never used for selection",
            metrics=m, trained_on=_trained_on(run["args"]),
            train_seconds=round(meta["train_seconds"], 1), games=meta["games"],
            run_games=run["games"], run_train_seconds=round(run["train_seconds"], 1),
            curve=[{k: c.get(k) for k in ("games", "mean_score", "mean_moves", "train_mean_score", "seconds")}
                   for c in run["curve"]])
        print(f"wrote {artefacts.record('bubble', entry)}")


if __name__ == "__main__":
    main()
