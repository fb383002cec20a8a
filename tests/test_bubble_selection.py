"""The shipped full-board agent is what the selection step picks, and that step is code (train.py)."""
import json

import numpy as np
import pytest
import torch

from models.bubble import agent as A
from models.bubble import train as T

torch.set_num_threads(1)
MANIFEST = A.ART_DIR / "manifest.json"


def _entry(name):
    return next(a for a in json.loads(MANIFEST.read_text())["artefacts"] if a["name"] == name)


def _same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def _candidate(path, net, games):
    A.save_checkpoint(path, net, dict(size="small", games=games, args=dict(test_games=5), curve=[],
                                      command="test", train_seconds=1.0, best_valid_score=0.0))


@pytest.mark.parametrize("good_one", ["best", "last"])
def test_selection_keeps_the_candidate_that_scores_more(tmp_path, good_one):
    """The trained small agent against an untrained net, in either role: the trained one is kept."""
    good, _ = A.load_checkpoint("small")
    torch.manual_seed(0)
    bad = A.ValueNet(5, 8).eval()
    out = tmp_path / "b.pt"
    nets = {"best": good, "last": bad} if good_one == "best" else {"best": bad, "last": good}
    _candidate(out, nets["best"], 1000)                       # training writes its best to out itself
    _candidate(out.with_suffix(".last.pt"), nets["last"], 2000)
    fig = T.select_checkpoint(out, n_games=8)
    want = {k: float(np.mean([r["score"] for r in A.play_batch(range(T.VALID_SEED0, T.VALID_SEED0 + 8),
                                                               "small", "agent", n)])) for k, n in nets.items()}
    assert want[good_one] > want["best" if good_one == "last" else "last"]   # the test can tell them apart
    assert fig["chosen"] == good_one and fig["chosen_valid_mean"] == pytest.approx(want[good_one], abs=0.01)
    assert fig["other_valid_mean"] == pytest.approx(min(want.values()), abs=0.01)
    net, meta = A.load_checkpoint(out)
    assert _same_weights(net, good) and meta["games"] == (1000 if good_one == "best" else 2000)
    assert meta["valid"] == dict(games=meta["games"], mean_score=want[good_one], n_games=8)
    assert meta["selection"].startswith("the best by" if good_one == "best" else "the run's last one")
    # the step can run again on the same files (the best-by-validation candidate was kept aside)
    assert out.with_suffix(".best.pt").exists()
    assert T.select_checkpoint(out, n_games=8) == fig


def test_selection_without_the_run_files_says_so(tmp_path, capsys):
    out = tmp_path / "b.pt"
    with pytest.raises(SystemExit) as e:
        T.main(["--size", "small", "--out", str(out), "--select-only"])
    assert e.value.code == 2 and "needs the training run's files" in capsys.readouterr().err


def test_a_training_run_ends_with_the_selection(tmp_path):
    out = tmp_path / "b.pt"
    T.main(["--size", "small", "--games", "200", "--test-every", "100", "--test-games", "5",
            "--parallel", "16", "--out", str(out), "--select-games", "6"])
    net, meta = A.load_checkpoint(out)
    assert "--select-games 6" in meta["command"] and meta["valid"]["n_games"] == 6
    cands = {k: A.load_checkpoint(p)[0] for k, p in T.candidate_paths(out).items()}
    means = {k: T.validation_mean(n, "small", 6) for k, n in cands.items()}
    chosen = meta["selection_figures"]["chosen"]
    assert means[chosen] == max(means.values()) and _same_weights(net, cands[chosen])


def test_shipped_full_agent_is_what_the_selection_picks():
    """bubble_full was picked on 100 validation games between the run's last checkpoint (31,000 games)
    and the best by the 50-game validation (26,500). The candidates are not shipped; the chosen one's
    validation mean is re-measured, and the recorded command ends with the selection step."""
    e = _entry("bubble_full")
    sel = e["selection"]
    net, meta = A.load_checkpoint("full")
    assert "--select-games 100" in e["command"].split("&&")[-1]
    assert sel["chosen"] == "last" and sel["chosen_games"] == meta["games"] == e["games"] == e["run_games"]
    assert sel["n_games"] == meta["valid"]["n_games"] == 100
    got = T.validation_mean(net, "full", sel["n_games"])
    # greedy play is deterministic on one machine: the same games give the same mean
    assert got == pytest.approx(sel["chosen_valid_mean"], abs=0.01)
    assert got == pytest.approx(meta["valid"]["mean_score"], abs=0.01)
    assert sel["chosen_valid_mean"] > sel["other_valid_mean"]
    # the recorded sentence is the one the selection step writes for these figures
    assert T.selection_sentence(sel, meta["args"]["test_games"]) == meta["selection"]
    assert meta["selection"] in e["data"]
