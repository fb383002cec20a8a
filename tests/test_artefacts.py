"""Every file under models/artefacts/ is in a manifest and there; the files no other test reloads
(captioning's pca.npz, the tagger's held-out set) are reloaded and their recorded figures re-checked.

The manifests are read straight from disk here (every models/artefacts/*/manifest.json), so a new
area or a new manifest is covered without changing this file.
"""
import fnmatch
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "models" / "artefacts"
NOT_ARTEFACTS = {"README.md", "manifest.json", ".gitignore"}


def manifests() -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(ARTEFACTS.glob("*/manifest.json"))}


def entry(area: str, name: str) -> dict:
    found = [e for e in manifests()[area]["artefacts"] if e["name"] == name]
    assert len(found) == 1, f"{area}: {len(found)} manifest entries called {name}"
    return found[0]


def _ignored(path: Path) -> bool:
    """Matched by a .gitignore in models/artefacts/ or its folder (a training run's own files)."""
    for folder in (path.parent, ARTEFACTS):
        gi = folder / ".gitignore"
        if gi.exists():
            pats = [ln.strip() for ln in gi.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
            if any(fnmatch.fnmatch(path.name, p) for p in pats):
                return True
    return False


def unlisted_files(listed: set[str]) -> list[str]:
    files = [p for p in ARTEFACTS.rglob("*") if p.is_file() and p.name not in NOT_ARTEFACTS
             and "__pycache__" not in p.parts and not _ignored(p)]
    return sorted(p.relative_to(ROOT).as_posix() for p in files if p.relative_to(ROOT).as_posix() not in listed)


def test_every_shipped_file_is_in_a_manifest():
    listed = {e["path"] for m in manifests().values() for e in m["artefacts"]}
    assert not unlisted_files(listed), f"files under models/artefacts/ that no manifest lists: {unlisted_files(listed)}"
    # the check itself: drop one listed file from the listing and it is reported
    some = sorted(listed)[0]
    assert unlisted_files(listed - {some}) == [some]


def test_every_manifest_entry_names_a_present_file_and_its_command():
    areas = manifests()
    assert set(areas) >= {"basics", "vision", "language", "bubble", "captioning"}
    problems, names = [], set()
    for area, m in areas.items():
        for e in m["artefacts"]:
            where = f"{area}/{e.get('name')}"
            if not (ROOT / e["path"]).is_file():
                problems.append(f"{where}: {e['path']} is missing")
            if not e["path"].startswith(f"models/artefacts/{area}/"):
                problems.append(f"{where}: {e['path']} is outside its area's folder")
            if not str(e.get("command", "")).startswith("python "):
                problems.append(f"{where}: no command recorded")
            if e["name"] in names:
                problems.append(f"{where}: name used twice")
            names.add(e["name"])
    assert not problems, problems


# -- captioning: pca.npz -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pca_check():
    """Re-encode 64 test pictures (redrawn from their scene specs) with Inception-v3 and pca.npz."""
    import torch

    from models.captioning.features import encode_batch
    from models.captioning.scenes import render, scene_from_json
    from models.captioning.shipped import load_test_set
    from models.vision.inception import load_inception

    torch.set_num_threads(1)
    e = entry("captioning", "pca")
    z = np.load(ROOT / e["path"])
    ts = load_test_set()
    idx = np.linspace(0, len(ts) - 1, e["metrics"]["test_pictures"]).astype(int)
    _, regions = encode_batch(load_inception(), [render(scene_from_json(ts.scenes[i])) for i in idx])
    return e, z, regions, ts.regions[idx]


def test_pca_file_is_the_projection_the_test_features_were_made_with(pca_check):
    e, z, regions, shipped = pca_check
    mean, comps = z["mean"], z["components"].astype(np.float32)
    assert mean.shape == (2048,) and comps.shape == (2048, shipped.shape[-1]) == (2048, 256)
    assert np.abs(comps.T @ comps - np.eye(256)).max() < 1e-3                   # orthonormal columns
    from models.captioning.features import project

    got = project(regions, mean, z["components"])
    err = float(np.linalg.norm(got - shipped) / np.linalg.norm(shipped))
    # measured 0.0003 (float16 storage); another projection, or other pictures, would be off by ~1
    assert err < 0.002 and err == pytest.approx(e["metrics"]["test_regions_relative_error"], abs=0.001)


def test_pca_keeps_its_recorded_share_of_the_variance(pca_check):
    e, z, regions, _ = pca_check
    assert float(z["kept"]) == pytest.approx(e["metrics"]["variance_kept_train"], abs=1e-4)
    assert float(z["kept"]) == pytest.approx(entry("captioning", "test_features")["pca_variance_kept"], abs=1e-6)
    rows = regions.reshape(-1, 2048) - z["mean"]
    kept = float(((rows @ z["components"].astype(np.float32)) ** 2).sum() / (rows ** 2).sum())
    assert kept == pytest.approx(e["metrics"]["variance_kept_test_pictures"], abs=0.003)


# -- language: tagger_heldout.json ---------------------------------------------------------------


def test_tagger_heldout_set_is_what_the_training_command_holds_out():
    """The recorded command's own steps, re-run up to the split: shuffle the dialogue sentences
    (seed 2016), keep those of 4-40 spaCy tokens, the first 1,000 are held out; then spaCy re-tags
    them and its NNP labels are the file's."""
    from models.language.charrnn import load_plays_text
    from models.language.tagger import (MAX_TOKENS, MIN_TOKENS, dialogue_sentences, nnp_labels, prf,
                                        tag_tokens, tokenize)

    e = entry("language", "tagger_heldout")
    m = e["metrics"]
    held = json.loads((ROOT / e["path"]).read_text())
    assert len(held) == m["sentences"] == entry("language", "tagger_bigru")["metrics"]["heldout_sentences"]
    assert sum(len(h["nnp"]) for h in held) == m["tokens"] and sum(sum(h["nnp"]) for h in held) == m["nnp_tokens"]
    assert all(len(h["tokens"]) == len(h["spaces"]) == len(h["nnp"]) for h in held)

    sents = dialogue_sentences(load_plays_text())
    order = np.random.default_rng(m["shuffle_seed"]).permutation(len(sents))
    remade = []
    for i in order:
        words, spaces = tokenize(sents[i])
        if MIN_TOKENS <= len(words) <= MAX_TOKENS:
            remade.append({"tokens": words, "spaces": spaces})
            if len(remade) == len(held):
                break
    assert [r["tokens"] for r in remade] == [h["tokens"] for h in held]
    assert [r["spaces"] for r in remade] == [h["spaces"] for h in held]

    pred = [nnp_labels(tag_tokens(h["tokens"], h["spaces"])) for h in held]
    assert prf([h["nnp"] for h in held], pred)["f1"] == pytest.approx(m["spacy_mixed_f1"], abs=1e-4)


# -- captioning: vocab.json and test_features.npz (the decoders' BLEU re-checks use both) ---------


def test_captioning_vocab_and_test_features_match_their_entries():
    from models.captioning.shipped import load_test_set, load_vocab

    v, ts = load_vocab(), load_test_set()
    ev, et = entry("captioning", "vocab"), entry("captioning", "test_features")
    assert (len(v), v.n_base) == (ev["words"], ev["base_words"])
    assert len(ts) == len(ts.captions) == len(ts.scenes) == et["pictures"]
    assert ts.pooled.shape == (et["pictures"], 2048) and ts.regions.shape[::2] == (et["pictures"], 256)


def test_the_ship_step_records_these_pca_figures():
    """models.captioning.ship writes pca.npz's entry; on the shipped files it gives the recorded one."""
    from models.captioning.ship import pca_entry
    from models.captioning.shipped import load_test_set

    e = entry("captioning", "pca")
    made = pca_entry(ROOT / e["path"], load_test_set(), {}, 10200)
    assert made["metrics"] == e["metrics"]
    assert {k: made[k] for k in ("name", "path", "what", "data")} == {k: e[k] for k in ("name", "path", "what", "data")}


def test_the_tagger_run_records_this_heldout_entry():
    """models.language.train_tagger writes tagger_heldout.json's entry; on the shipped file it gives the recorded one."""
    from models.language.train_tagger import heldout_entry

    e = entry("language", "tagger_heldout")
    held = [(h["tokens"], h["spaces"], h["nnp"]) for h in json.loads((ROOT / e["path"]).read_text())]
    assert heldout_entry(held, e["command"], e["metrics"]["shuffle_seed"], e["metrics"]["spacy_mixed_f1"]) == e
