"""Captioning on real photos (#19): the decoders trained on Flickr8k, reloaded from what ships, and their
recorded scores re-checked; the inference API the slides use, on good and bad pictures.

The reference captions (and the photos) are not shipped: they come from ../shared/data at test time. CI
has that folder; without it these re-checks skip, and a skip under CI counts as a failure (conftest.py).
"""
from __future__ import annotations

import pathlib

import numpy as np
import pytest
import torch

from models import artefacts
from models.captioning import cocoeval, photo_decoders, photos
from models.captioning.flickr8k import load_set, shared_data
from models.captioning.vocab import EXTRA, UNK

AREA = "captioning_photos"
FOLDER = artefacts.folder(AREA)


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _entries():
    return artefacts.by_name(AREA)


def _decoder_entries():
    return {e["decoder"]: e for e in artefacts.entries(AREA, "photos_") if "decoder" in e}


def _need_data(name: str):
    if not (shared_data() / name / "captions.txt").exists():
        pytest.skip(f"../shared/data/{name} is not here (CI has it; there this skip is a failure)")


# -- what ships -------------------------------------------------------------------------------------


def test_every_decoder_ships_with_its_manifest_entry_and_the_area_stays_small():
    ents = _decoder_entries()
    assert set(ents) == set(photo_decoders.ALL), f"shipped: {sorted(ents)}"
    for name, e in ents.items():
        assert artefacts.path_of(e).is_file()
        assert e["command"].startswith("python -m models.captioning.photo_train train --decoder " + name)
        assert e["device"] == "cpu" and e["cpu_minutes"] > 0
        assert "dev" in e["selection"] and e["metrics"]["test_bleu4"] >= 0
        assert e["dev"]["bleu4"] == max(e["dev_by_decoding"].values()) == e["dev_by_decoding"][e["decoding"]["name"]]
        if "scst" in e:  # fine-tuned on its own captions after teacher forcing: both steps are in the command
            sc = e["scst"]
            assert f"&& python -m models.captioning.photo_scst --decoder {name} " in e["command"]
            assert e["cpu_minutes"] == pytest.approx(sc["teacher_forced"]["cpu_minutes"] + sc["cpu_minutes"], abs=0.02)
            assert "self-critical" in e["selection"] and sc["history"][0]["steps"] == 0
    size = sum(p.stat().st_size for p in FOLDER.iterdir() if p.is_file())
    # five float16 decoders (the GRU is 512 wide: 10 MB), vocabulary, PCA and the test / coco-mini features
    # (299-px features compress less than the first 224-px ones): about 48 MB
    assert size <= 50e6, f"captioning_photos holds {size / 1e6:.1f} MB"
    # no caption text ships: the feature files hold numbers and photo names only
    for f in ("test_features.npz", "coco_mini_features.npz"):
        assert set(np.load(FOLDER / f).files) == {"pooled", "regions", "names"}


def test_recorded_training_budget_and_baseline_gap():
    ents = _decoder_entries()
    assert sum(e["cpu_minutes"] for e in ents.values()) <= 60.0
    blind = ents["blind"]["metrics"]["test_bleu4"]
    for name in photo_decoders.DECODERS:
        assert ents[name]["metrics"]["test_bleu4"] > blind, name


@pytest.mark.parametrize("name", photo_decoders.ALL)
def test_shipped_decoder_reproduces_its_recorded_test_and_coco_scores(name):
    """Reload the shipped half-precision weights, caption every shipped test photo with the recorded
    decoding, and score against the references in ../shared/data: the manifest's figures come back."""
    _need_data("flickr8k")
    _need_data("coco-mini")
    from models.captioning.photo_ship import references
    from models.captioning.photo_train import decode, score

    e = _decoder_entries()[name]
    torch.set_num_threads(2)  # the one long job of this file: 1,239 photos decoded (CI machines have 2 cores)
    model, meta = photos.load_decoder(name)
    vocab = photos.load_vocab()
    d = meta["decoding"]
    assert d == e["decoding"]
    for key, file, set_name in (("test", "test_features.npz", "flickr8k"), ("coco_mini", "coco_mini_features.npz", "coco-mini")):
        z = np.load(FOLDER / file)
        names = [str(n) for n in z["names"]]
        ids = decode(model, z["pooled"].astype(np.float32), z["regions"].astype(np.float32), d["mode"], d["width"], d["alpha"])
        assert not any(set(row) & {UNK, EXTRA} for row in ids), "a caption with <unk> in it"
        s = score(vocab, ids, references(set_name, names))
        for m in ("bleu1", "bleu4", "cider"):
            assert s[m] == pytest.approx(e["metrics"][f"{key}_{m}"], abs=0.15), (name, key, m)


def test_test_features_are_the_official_test_split():
    _need_data("flickr8k")
    items, _ = load_set("flickr8k")
    test = [it[0] for it in items if it[2] == "test"]
    names = [str(n) for n in np.load(FOLDER / "test_features.npz")["names"]]
    assert len(names) == 1000 and sorted(names) == sorted(test)


def test_vocabulary_follows_the_talks_rule():
    """Rebuilt from the training captions: stop words first, then words in >= 5 training photos that GloVe's
    100k know -- the shipped vocabulary exactly."""
    _need_data("flickr8k")
    from models.captioning.vocab import build_vocab
    from models.data.glove import load_glove

    items, _ = load_set("flickr8k")
    per_image = [sorted({t for c in caps for t in cocoeval.tokens(c)}) for _, caps, split in items if split == "train"]
    rebuilt = build_vocab(per_image, min_count=5, glove_words=load_glove().index)
    assert rebuilt == photos.load_vocab()
    assert 1000 < len(rebuilt) < 5000


def test_encode_photo_matches_the_training_features():
    """The slides' encoder (one photo, any size) gives the features the decoders were trained and scored on."""
    _need_data("flickr8k")
    from models.data.images import load_image_bytes

    z = np.load(FOLDER / "test_features.npz")
    for i in (0, 7):
        name = str(z["names"][i])
        rgb = load_image_bytes((shared_data() / "flickr8k" / "images" / name).read_bytes(), name).array
        pooled, regions = photos.encode_photo(rgb)
        assert np.abs(pooled - z["pooled"][i].astype(np.float32)).max() < 0.02
        assert np.abs(regions - z["regions"][i].astype(np.float32)).max() < 0.05


# -- the API the slides call ------------------------------------------------------------------------


def _drawing():
    a = np.full((120, 160, 3), 255, np.uint8)
    a[40:44, 20:140] = 0
    a[20:100, 78:82] = (200, 30, 30)
    return a


BAD = {"black frame": np.zeros((480, 640, 3), np.uint8), "one pixel": np.full((1, 1, 3), 90, np.uint8),
       "drawing": _drawing(), "grey": np.full((30, 50), 128, np.uint8),
       "rgba floats": np.random.default_rng(0).random((40, 40, 4))}


@pytest.mark.parametrize("kind", list(BAD))
def test_odd_pictures_still_get_captions_from_every_decoder(kind):
    f = photos.encode_photo(BAD[kind])
    assert f[0].shape == (2048,) and f[1].shape == (photos.GRID ** 2, 256)
    assert np.isfinite(f[0]).all() and np.isfinite(f[1]).all()
    for name in photos.available():
        for mode in ("greedy", "beam", "sample"):
            out = photos.caption(f, name, mode=mode, seed=3)
            assert isinstance(out["words"], list) and all(isinstance(w, str) for w in out["words"])
            assert out["text"] == " ".join(out["words"])


def test_not_a_picture_is_a_clear_error():
    with pytest.raises(ValueError, match="not a picture"):
        photos.encode_photo(np.zeros((0, 5, 3), np.uint8))
    with pytest.raises(ValueError, match="mode"):
        photos.caption(photos.encode_photo(BAD["grey"]), "gru", mode="poetry")


def test_transformer_attention_covers_every_word_and_sums_to_one():
    f = photos.encode_photo(_drawing())
    out = photos.caption(f, "transformer", mode="greedy")
    att = out["attention"]
    assert att.shape == (len(out["words"]) + 1, 1 + photos.GRID ** 2)
    assert np.allclose(att.sum(1), 1.0, atol=1e-4)
    assert photos.caption(f, "gru")["attention"] is None


def test_sampling_is_repeatable_with_a_seed_and_varies_without_one():
    f = photos.encode_photo(_drawing())
    a = photos.caption(f, "gru", mode="sample", seed=11, temperature=1.0)["words"]
    assert a == photos.caption(f, "gru", mode="sample", seed=11, temperature=1.0)["words"]
    draws = {tuple(photos.caption(f, "gru", mode="sample", seed=s, temperature=1.5)["words"]) for s in range(6)}
    assert len(draws) > 1


def test_all_decoders_loaded_stay_small():
    models = photos.load_decoders()
    assert set(models) == set(photo_decoders.ALL)
    total = sum(p.numel() * p.element_size() for m in models.values() for p in m.parameters())
    assert total < 150e6, f"{total / 1e6:.0f} MB of weights"


# -- pieces -----------------------------------------------------------------------------------------


def test_coco_style_tokens():
    assert cocoeval.tokens("A dog's T-shirt, isn't it?") == ["a", "dog", "'s", "t-shirt", "is", "n't", "it"]
    assert cocoeval.tokens("Two men  play.  ") == ["two", "men", "play"]
    assert cocoeval.tokens("...!") == []


def test_bleu_is_pycocoevalcaps_and_on_the_papers_scale():
    refs = [["a dog runs on the grass .", "a brown dog is running"], ["two children play in the sand"]]
    perfect = cocoeval.scores(refs, ["a dog runs on the grass", "two children play in the sand"], cider=False)
    assert perfect["bleu4"] == pytest.approx(100.0, abs=1e-6)
    worse = cocoeval.scores(refs, ["a cat sits", "a man"], cider=False)
    assert 0 <= worse["bleu4"] < 1 and worse["bleu1"] < perfect["bleu1"]


@pytest.mark.parametrize("name", photo_decoders.ALL)
def test_decoders_never_look_at_later_words(name):
    torch.manual_seed(0)
    m = photo_decoders.build(name, 40, None, width=32, layers=1, heads=2).eval()
    toks = torch.randint(4, 40, (2, 9))
    pooled, regions = torch.randn(2, 2048), torch.randn(2, 16, 256)
    a = m(toks, pooled, regions)
    toks2 = toks.clone()
    toks2[:, 5:] = torch.randint(4, 40, (2, 4))
    b = m(toks2, pooled, regions)
    assert torch.allclose(a[:, :5], b[:, :5], atol=1e-5)
    assert not torch.allclose(a[:, 5:], b[:, 5:], atol=1e-5)


@pytest.mark.parametrize("name", photo_decoders.ALL)
def test_word_by_word_gives_the_whole_prefix_logits_even_after_reordering(name):
    """``start`` / ``step`` (how captions are written) against ``forward`` over the whole prefix, with the
    hypotheses shuffled and copied half-way as beam search does."""
    torch.manual_seed(0)
    m = photo_decoders.build(name, 40, None, width=32, layers=2, heads=2).eval()
    toks = torch.randint(4, 40, (3, 10))
    pooled, regions = torch.randn(3, 2048), torch.randn(3, 16, 256)
    rows = torch.tensor([2, 0, 0])  # after word 5: hypothesis 2 first, hypothesis 0 twice
    with torch.inference_mode():
        state = m.start(pooled, regions)
        for t in range(10):
            if t == 5:
                state = photo_decoders.reorder(state, rows)
                toks, pooled, regions = toks[rows], pooled[rows], regions[rows]
            logits, state = m.step(toks[:, t], state)
            whole = m(toks[:, : t + 1], pooled, regions)[:, -1]
            assert torch.allclose(logits, whole, atol=1e-4), (name, t, (logits - whole).abs().max())


def test_packed_dropout_keeps_one_minus_p_of_each_entry_and_is_off_in_eval():
    torch.manual_seed(0)
    d = photo_decoders.PackedDropout(0.3).train()
    x = torch.ones(1000, 401, requires_grad=True)  # an odd size: the last random integer is used in part
    y = d(x)
    kept = y != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.005
    for j in range(4):  # each of the four 15-bit slices of a random integer is a fair draw
        assert abs(kept.flatten()[j::4].float().mean().item() - 0.7) < 0.01
    assert torch.allclose(y[kept], torch.full_like(y[kept], 1 / 0.7))
    y.sum().backward()
    assert torch.equal(x.grad != 0, kept)
    assert torch.equal(d.eval()(x), x)
    m = photo_decoders.build("transformer", 30, None, width=16, heads=2, packed_dropout=True)
    assert not any(type(c) is torch.nn.Dropout for c in m.modules())
    assert sum(isinstance(c, photo_decoders.PackedDropout) for c in m.modules()) > 5


def test_blind_decoder_ignores_the_picture():
    torch.manual_seed(0)
    m = photo_decoders.build("blind", 30, None, width=16).eval()
    toks = torch.randint(4, 30, (1, 6))
    r = torch.zeros(1, 16, 256)
    assert torch.equal(m(toks, torch.randn(1, 2048), r), m(toks, torch.randn(1, 2048), r))


def test_beam_search_with_width_one_is_greedy():
    from models.captioning.infer import greedy
    from models.captioning.photo_train import BANNED, beam_batch

    model, _ = photos.load_decoder("gru")
    z = np.load(FOLDER / "test_features.npz")
    p, r = z["pooled"][:20].astype(np.float32), z["regions"][:20].astype(np.float32)
    assert beam_batch(model, p, r, width=1, alpha=0.0) == greedy(model, p, r, max_len=22, banned=BANNED)


def test_command_line_captions_a_file_and_refuses_a_non_picture(tmp_path, capsys):
    from PIL import Image

    img = tmp_path / "drawing.png"
    Image.fromarray(_drawing()).save(img)
    assert photos.main(["--image", str(img), "--decoder", "gru", "--mode", "greedy"]) == 0
    assert "GRU" in capsys.readouterr().out
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    assert photos.main(["--image", str(bad)]) == 2
    assert "cannot read" in capsys.readouterr().err


# -- self-critical fine-tuning (photo_scst) ---------------------------------------------------------


def test_cider_d_reward_is_coco_captions_cider_d():
    """The reward's CIDEr-D, caption by caption, against pycocoevalcap's CiderScorer with the same
    document frequencies (there: the references being scored; here: the corpus handed to CiderD)."""
    from pycocoevalcap.cider.cider_scorer import CiderScorer

    from models.captioning.photo_scst import CiderD

    refs = [["a dog runs on the grass", "a brown dog is running outside", "the dog runs across a field"],
            ["two children play in the sand", "kids playing on a beach", "two young boys dig in the sand"],
            ["a man rides a bike down a street", "a cyclist on a city road", "a man on a bicycle"]]
    hyps = ["a dog is running on the grass", "two kids play on a beach", "a man rides a red bike on the road"]
    ours = CiderD([[r.split() for r in rs] for rs in refs])
    theirs = CiderScorer(n=4, sigma=6.0)
    for h, rs in zip(hyps, refs):
        theirs += (h, rs)
    _, per_caption = theirs.compute_score()
    mine = [ours.score(h.split(), [ours.vector(r.split()) for r in rs]) for h, rs in zip(hyps, refs)]
    assert np.allclose(mine, per_caption, atol=1e-9)
    assert ours.score(["a", "cat"], [ours.vector(r.split()) for r in refs[0]]) < min(mine)


@pytest.mark.parametrize("name", ["transformer", "gru"])
def test_sampled_captions_and_their_log_probability_come_from_one_policy(name):
    """What photo_scst pushes up is the log-probability of exactly the captions it sampled: the
    teacher-forced pass (caption_logp) equals the sum of the word-by-word log-probabilities, banned words
    are never written, and a caption stops at its first STOP."""
    import torch.nn.functional as F

    from models.captioning.photo_scst import caption_logp, sample_batch
    from models.captioning.photo_train import BANNED
    from models.captioning.vocab import START, STOP

    torch.manual_seed(0)
    m = photo_decoders.build(name, 40, None, width=32, layers=2, heads=2).eval()
    pooled, regions = torch.randn(3, 2048), torch.randn(3, 16, 256)
    caps = sample_batch(m, pooled, regions, 4, 12, torch.Generator().manual_seed(1))
    assert len(caps) == 12 and len({tuple(c) for c in caps}) > 1
    for c in caps:
        assert not set(c) & set(BANNED)
        assert STOP not in c[:-1] and (c[-1] == STOP or len(c) == 12)
    rows = torch.arange(3).repeat_interleave(4)
    got = caption_logp(m, caps, pooled[rows], regions[rows])
    with torch.inference_mode():
        for j, c in enumerate(caps):
            state, last, want = m.start(pooled[rows[j:j + 1]], regions[rows[j:j + 1]]), torch.tensor([START]), 0.0
            for w in c:
                logits, state = m.step(last, state)
                logp = F.log_softmax(logits.index_fill(1, torch.tensor(BANNED), -float("inf")), -1)
                want += float(logp[0, w])
                last = torch.tensor([w])
            assert float(got[j]) == pytest.approx(want, abs=1e-4)
    assert torch.isfinite(got).all()


def test_a_fine_tuned_decoder_samples_at_the_temperature_it_learned():
    """photo_scst fine-tunes the policy softmax(logits / T): the slides' temperature is relative to it."""
    from models.captioning.infer import sample
    from models.captioning.photo_train import BANNED, MAX_WORDS

    model, meta = photos.load_decoder("transformer")
    own = meta.get("scst", {}).get("temperature", 1.0)
    z = np.load(FOLDER / "test_features.npz")
    pooled, regions = z["pooled"][0].astype(np.float32), z["regions"][0].astype(np.float32)
    for seed in range(3):
        got = photos.caption((pooled, regions), "transformer", mode="sample", seed=seed, temperature=0.8)["words"]
        ids = sample(model, pooled, regions, temperature=0.8 * own, seed=seed, max_len=MAX_WORDS + 2, banned=BANNED)[0]
        assert got == photos.load_vocab().decode(ids)


@pytest.mark.parametrize("args", [["--samples", "1"], ["--temperature", "0"], ["--photos", "0"], ["--cpu-minutes", "-1"]])
def test_self_critical_command_line_refuses_settings_it_cannot_run(args, capsys):
    from models.captioning import photo_scst

    with pytest.raises(SystemExit) as e:
        photo_scst.main(["--decoder", "transformer", *args])
    assert e.value.code == 2 and "must be" in capsys.readouterr().err
