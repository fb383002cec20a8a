"""Char-RNN: data, model, sampling, shipped checkpoints re-checked, and the poetry demo."""
import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models import artefacts
from models.language.charrnn import CharGRU, CharRNNConfig, Vocab, corpus, evaluate, load_checkpoint, sample

torch.set_num_threads(1)
ENTRIES = sorted(artefacts.entries("language", "charrnn_"), key=lambda e: e["metrics"]["iteration"])


def test_corpus_is_shakespeare_split_90_10():
    vocab, train, val = corpus()
    assert 60 <= vocab.size <= 80 and "\n" in vocab.chars and "*" not in vocab.chars
    assert len(train) > 4_000_000 and abs(len(val) / (len(train) + len(val)) - 0.1) < 0.001
    text = vocab.decode(train[:20000])
    assert "ACT" in text or "SCENE" in text


def test_vocab_roundtrip_skips_unknown():
    v = Vocab("\n abc")
    assert v.decode(v.encode("abz c\u00e9")) == "ab c"


def test_model_shapes_and_untrained_loss_near_uniform():
    torch.manual_seed(0)
    vocab, _, val = corpus()
    m = CharGRU(CharRNNConfig(vocab_size=vocab.size, emb=8, hidden=16))
    logits, h = m(torch.zeros(2, 7, dtype=torch.long))
    assert logits.shape == (2, 7, vocab.size) and h.shape == (2, 2, 16)
    assert evaluate(m, val, seq_len=32, n_seq=4) == pytest.approx(np.log(vocab.size), abs=0.3)


def test_sampling_is_seeded_and_respects_length():
    v = Vocab("\n abc")
    m = CharGRU(CharRNNConfig(vocab_size=v.size, emb=4, hidden=8))
    a = "".join(sample(m, v, "ab", length=40, seed=3))
    assert len(a) == 40 and set(a) <= set(v.chars)
    assert a == "".join(sample(m, v, "ab", length=40, seed=3))
    assert a != "".join(sample(m, v, "ab", length=40, seed=4))


def test_checkpoints_shipped_in_training_order():
    assert len(ENTRIES) >= 4
    losses = [e["metrics"]["val_loss_nats_per_char"] for e in ENTRIES]
    assert losses[0] > 2.5 and losses[-1] < 1.7          # gibberish at the start, much better at the end
    assert sum(artefacts.path_of(e).stat().st_size for e in ENTRIES) < 20e6


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_checkpoint_reproduces_recorded_val_loss(entry):
    """Every shipped char-RNN checkpoint (iterations 20 ... last), reloaded and scored again."""
    model, vocab, meta = load_checkpoint(artefacts.path_of(entry))
    _, _, val = corpus()
    assert evaluate(model, val) == pytest.approx(entry["metrics"]["val_loss_nats_per_char"], abs=2e-3)
    assert meta["iteration"] == entry["metrics"]["iteration"]


def test_poetry_demo_controls():
    at = AppTest.from_string("from demos.poetry import render\nrender(key_prefix='po', length='100')",
                             default_timeout=60).run()
    assert not at.exception
    last = at.code[0].value
    assert last.startswith("HAMLET\n") and len(last) == len("HAMLET\n") + 100
    at.select_slider(key="po_ckpt").set_value(at.select_slider(key="po_ckpt").options[0]).run()
    first = at.code[0].value
    assert first != last
    at.slider(key="po_len").set_value(200).run()
    assert len(at.code[0].value) == len("HAMLET\n") + 200
    at.text_area(key="po_prime").set_value("KING\u2603 LEAR\n").run()
    assert any("never saw" in w.value for w in at.warning) and not at.exception
    at.toggle(key="po_compare").set_value(True).run()
    assert len(at.code) == 1 + len(ENTRIES)
    at.text_area(key="po_prime").set_value("x" * 10_000).run()
    assert not at.exception and any("last 500" in i.value for i in at.info)


GPT_ENTRIES = artefacts.entries("language", "chargpt_")


def test_a_transformer_checkpoint_is_shipped():
    assert GPT_ENTRIES and all(artefacts.path_of(e).exists() for e in GPT_ENTRIES)


def test_chargpt_shapes_and_sampling():
    from models.language.chargpt import CharGPT, sample_gpt

    torch.manual_seed(0)
    v = Vocab("\n abc")
    m = CharGPT(v.size, n_embd=16, n_layer=1, n_head=2)
    logits, h = m(torch.zeros(2, 9, dtype=torch.long))
    assert logits.shape == (2, 9, v.size) and h is None
    a = "".join(sample_gpt(m, v, "ab", length=30, seed=2))
    assert len(a) == 30 and a == "".join(sample_gpt(m, v, "ab", length=30, seed=2))


def test_chargpt_checkpoint_reproduces_recorded_val_loss():
    from models.language.chargpt import evaluate_gpt, load_gpt

    e = GPT_ENTRIES[-1]
    model, _, meta = load_gpt(artefacts.path_of(e))
    _, _, val = corpus()
    assert evaluate_gpt(model, val) == pytest.approx(e["metrics"]["val_loss_nats_per_char"], abs=0.01)
    # "similar parameter count" to the shipped char-RNN: within 25%
    rnn, _, _ = load_checkpoint(artefacts.path_of(sorted(artefacts.entries("language", "charrnn_"),
                                                         key=lambda e: e["metrics"]["iteration"])[-1]))
    n_gpt, n_rnn = (sum(p.numel() for p in m.parameters()) for m in (model, rnn))
    assert 0.75 < n_gpt / n_rnn < 1.25, (n_gpt, n_rnn)


def test_poetry_demo_transformer_row():
    at = AppTest.from_string("from demos.poetry import render\nrender(key_prefix='pg', length='60', gpt='1')",
                             default_timeout=90).run()
    assert not at.exception
    assert any("GPT" in c.value for c in at.caption)
    from models.language.chargpt import load_gpt, sample_gpt

    model, vocab, _ = load_gpt(artefacts.path_of(GPT_ENTRIES[-1]))
    expected = "HAMLET\n" + "".join(sample_gpt(model, vocab, "HAMLET\n", length=60, temperature=0.8, seed=1))
    assert len(at.code) == 2 and at.code[1].value.rstrip() == expected.rstrip()   # the slide's defaults


def test_sampling_step_matches_the_batched_forward():
    """The hand-written one-character step used for sampling gives the nn.GRU forward's numbers."""
    import torch

    from models.language.charrnn import CharGRU, CharRNNConfig, _GRUStep

    torch.manual_seed(0)
    model = CharGRU(CharRNNConfig(vocab_size=30, emb=8, hidden=16)).eval()
    ids = [3, 7, 1, 29, 0, 12]
    with torch.no_grad():
        logits, h = model(torch.tensor([ids]))
        step = _GRUStep(model)
        hs = [torch.zeros(16), torch.zeros(16)]
        for t, c in enumerate(ids):
            out, hs = step(c, hs)
            assert torch.allclose(out, logits[0, t], atol=1e-5), t
    assert torch.allclose(torch.stack(hs), h[:, 0], atol=1e-5)


def test_compiled_sampler_matches_stepping_in_python():
    """sample() runs a TorchScript loop; it must give exactly the text of drawing by inverse CDF and
    stepping with _GRUStep in plain Python, from the same seeded draws."""
    import torch

    from models.language.charrnn import _GRUStep

    torch.manual_seed(1)
    v = Vocab("\n abcdefgh")
    m = CharGRU(CharRNNConfig(vocab_size=v.size, emb=6, hidden=12)).eval()
    got = "".join(sample(m, v, "ab", length=50, temperature=0.7, seed=5))
    with torch.no_grad():
        g = torch.Generator().manual_seed(5)
        logits, h = m(torch.tensor([v.encode("ab")]))
        last, hs, step = logits[0, -1], list(h[:, 0]), _GRUStep(m)
        want = []
        for u in torch.rand(50, generator=g, dtype=torch.float64).tolist():
            cdf = torch.cumsum(torch.softmax(last * (1 / 0.7), 0), 0)
            c = min(int(torch.searchsorted(cdf, torch.tensor([u * float(cdf[-1])]))[0]), v.size - 1)
            want.append(v.chars[c])
            last, hs = step(c, hs)
    assert got == "".join(want)
