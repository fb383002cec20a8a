"""The device path of models/ (rule in models/device.py): ``--device`` on the training scripts, checkpoints
saved with CPU tensors and loaded with map_location, DECK_DEVICE=cpu keeping every loader on the CPU,
and the word list fallback. All on the CPU: this machine has no GPU."""
import argparse

import numpy as np
import pytest
import torch

from models import artefacts
from models import device as D

torch.set_num_threads(1)
CPU = torch.device("cpu")


@pytest.fixture
def deck_cpu(monkeypatch):
    monkeypatch.setenv("DECK_DEVICE", "cpu")
    D.pick_device.cache_clear()
    yield
    D.pick_device.cache_clear()


@pytest.fixture
def tmp_artefacts(tmp_path, monkeypatch):
    """artefacts.* write under tmp_path instead of the shipped models/artefacts."""
    monkeypatch.setattr(artefacts, "ROOT", tmp_path)
    monkeypatch.setattr(artefacts, "ARTEFACTS", tmp_path / "models" / "artefacts")
    for area in artefacts.AREAS:
        (tmp_path / "models" / "artefacts" / area).mkdir(parents=True)
    return tmp_path


def _only_entry(area):
    ents = artefacts.entries(area)
    assert len(ents) == 1
    return ents[0]


# -- the helpers -------------------------------------------------------------------------------------


def test_resolve_names_and_refusals():
    assert D.resolve(None) == D.pick_device()
    assert D.resolve("cpu") == CPU and D.resolve(" CPU ") == CPU and D.resolve(CPU) == CPU
    with pytest.raises(ValueError, match="unknown device"):
        D.resolve("tpu")
    for kind in ("cuda", "mps"):
        if not D.device_available(kind):
            with pytest.raises(ValueError, match="not available"):
                D.resolve(kind)


def test_device_argument_parses_and_refuses_cleanly(capsys):
    ap = argparse.ArgumentParser()
    D.add_device_argument(ap)
    assert ap.parse_args([]).device is None
    assert ap.parse_args(["--device", "cpu"]).device == CPU
    with pytest.raises(SystemExit):
        ap.parse_args(["--device", "gpu9"])
    err = capsys.readouterr().err
    assert "unknown device 'gpu9'" in err and "Traceback" not in err


def test_cpu_only_says_a_gpu_is_ignored(capsys):
    assert D.cpu_only(None, "x", "why") == CPU and D.cpu_only(CPU, "x", "why") == CPU
    assert capsys.readouterr().err == ""
    assert D.cpu_only(torch.device("cuda"), "bubble.train", "int8") == CPU   # a device object needs no GPU
    assert "--device cuda ignored, running on the CPU: int8" in capsys.readouterr().err


def test_cpu_state_moves_everything_and_keeps_metadata():
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    opt = torch.optim.Adam(net.parameters())
    net(torch.randn(4, 3)).sum().backward()
    opt.step()
    sd = D.cpu_state(net)
    assert all(v.device == CPU and not v.requires_grad for v in sd.values())
    assert sd._metadata == net.state_dict()._metadata
    osd = D.cpu_state(opt.state_dict())
    assert set(osd) == {"state", "param_groups"} and osd["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert torch.equal(osd["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


# -- DECK_DEVICE=cpu keeps the demos' loaders on the CPU ---------------------------------------------


def test_deck_device_cpu_keeps_every_loader_on_the_cpu(deck_cpu):
    from models.captioning.shipped import load_decoder
    from models.language.chargpt import load_gpt
    from models.language.charrnn import load_checkpoint
    from models.vision.imagenet import load_classifier
    from models.vision.inception import load_inception

    assert D.pick_device() == CPU and D.resolve(None) == CPU
    nets = [load_inception(), load_classifier(), load_decoder("gru")[0],
            load_checkpoint(artefacts.path_of(artefacts.entries("language", "charrnn_")[-1]))[0],
            load_gpt(artefacts.path_of(artefacts.entries("language", "chargpt_")[-1]))[0]]
    assert [D.device_of(n) for n in nets] == [CPU] * len(nets)


# -- each training script: a tiny run with --device cpu ----------------------------------------------


def test_train_charrnn_tiny_run(tmp_artefacts):
    from models.language import train_charrnn
    from models.language.charrnn import corpus, evaluate, load_checkpoint

    train_charrnn.main(["--max-iters", "3", "--save-at", "", "--batch", "2", "--seq", "16", "--hidden", "16",
                        "--emb", "8", "--minutes", "5", "--device", "cpu"])
    e = _only_entry("language")
    assert e["trained_on"].startswith("CPU, 1 thread") and e["metrics"]["iteration"] == 3
    model, vocab, meta = load_checkpoint(artefacts.path_of(e), device="cpu")
    assert D.device_of(model) == CPU and meta["iteration"] == 3
    # saved as float16: the reloaded loss is the recorded one to float16 precision
    assert evaluate(model, corpus()[2]) == pytest.approx(meta["val_loss"], abs=2e-3)


def test_train_chargpt_tiny_run(tmp_artefacts):
    from models.language import train_chargpt
    from models.language.chargpt import load_gpt

    train_chargpt.main(["--max-iters", "2", "--batch", "2", "--seq", "16", "--n-embd", "16", "--n-layer", "1",
                        "--n-head", "2", "--device", "cpu"])
    e = _only_entry("language")
    model, _, meta = load_gpt(artefacts.path_of(e), device="cpu")
    assert D.device_of(model) == CPU and meta["iteration"] == 2 and e["trained_on"].startswith("CPU")


def test_train_autoencoder_checkpoint_reloads_to_the_same_outputs(tmp_artefacts):
    from models.data.mnist import load_mnist
    from models.language import train_autoencoder
    from models.language.autoencoder import Autoencoder, reconstruction_errors

    train_autoencoder.main(["--only", "all", "--epochs", "1", "--device", "cpu"])
    e = _only_entry("language")
    sd = torch.load(artefacts.path_of(e), map_location="cpu", weights_only=True)
    assert all(v.device == CPU for v in sd.values())
    m = Autoencoder()
    m.load_state_dict(sd)
    err, _ = reconstruction_errors(m, load_mnist().x_test)
    assert round(float(err.mean()), 5) == e["metrics"]["test_mse"]        # recorded before saving


def test_train_wordjunk_tiny_run(tmp_artefacts, monkeypatch):
    from models.language import train_wordjunk, wordjunk

    if wordjunk.dictionary_path() is None:
        pytest.skip("no word list on this machine (apt-get install wamerican)")
    monkeypatch.setattr(train_wordjunk, "N_EVAL", 200)
    train_wordjunk.main(["--disc-iters", "2", "--gen-iters", "2", "--device", "cpu"])
    ents = artefacts.by_name("language")
    assert set(ents) == {"wordjunk_discriminator", "wordjunk_generator"}
    gen = wordjunk.WordGenerator()
    gen.load_state_dict(torch.load(artefacts.path_of(ents["wordjunk_generator"]), map_location="cpu",
                                   weights_only=True))
    m = ents["wordjunk_generator"]["metrics"]
    samples = gen.generate(m["samples"], seed=m["sample_seed"])
    assert wordjunk.real_word_rate(samples, wordjunk.load_dictionary()) == pytest.approx(m["real_word_rate"], abs=1e-9)


def test_train_mnist_cnn_checkpoint_reloads_to_identical_outputs(tmp_path):
    from models.data.mnist import load_mnist
    from models.vision import mnist_cnn as mc

    out = tmp_path / "cnn.pt"
    mc.main(["--epochs", "1", "--out", str(out), "--manifest", "", "--device", "cpu"])
    d = load_mnist()
    trained = mc.train_cnn(d, mc.TrainConfig(epochs=1), device=CPU)      # the same seeded run, in memory
    reloaded = mc.load(out)
    assert D.device_of(reloaded) == CPU
    with torch.no_grad():
        x = torch.as_tensor(d.x_test[:50])
        assert torch.equal(trained(x), reloaded(x))
    assert np.array_equal(mc.feature_rgb(trained, d.x_test[:4]), mc.feature_rgb(reloaded, d.x_test[:4]))


def test_train_captioning_cli_tiny_run(tmp_path):
    from models.captioning import train as T
    from tests.test_captioning import _tiny_features

    feats = tmp_path / "features.npz"
    _tiny_features(feats)
    run = tmp_path / "run"
    T.main(["--decoder", "gru", "--features", str(feats), "--run", str(run), "--epochs", "1", "--batch", "32",
            "--device", "cpu"])
    ck = torch.load(run / "gru_e001.pt", map_location="cpu", weights_only=False)
    tensors = list(ck["model"].values()) + [v for s in ck["opt"]["state"].values() for v in s.values()]
    assert tensors and all(t.device == CPU for t in tensors)


def test_train_tagger_tiny_run(tmp_artefacts):
    from models.language import train_tagger
    from models.language.tagger import load_tagger

    train_tagger.main(["--sentences", "60", "--heldout", "10", "--iters", "2", "--device", "cpu"])
    e = artefacts.entry("language", "tagger_bigru")
    assert e["trained_on"] == "CPU, 1 thread" and D.device_of(load_tagger(artefacts.path_of(e))) == CPU


@pytest.mark.parametrize("module, argv", [
    ("models.basics.playground", ["--epochs", "25"]),
    ("models.basics.mnist_dense", ["--epochs", "1"]),
    ("models.basics.painting", ["--seconds", "0.2", "--size", "40"]),
])
def test_cpu_by_design_scripts_accept_device(module, argv, capsys):
    import importlib

    importlib.import_module(module).main(argv + ["--device", "cpu"])
    out = capsys.readouterr()
    assert out.out and "ignored" not in out.err


def test_bubble_train_accepts_device_and_stays_on_cpu(tmp_path, capsys):
    from models.bubble import train as BT

    with pytest.raises(SystemExit):                  # parsing happens before anything runs
        BT.main(["--device", "nonsense"])
    assert "unknown device" in capsys.readouterr().err
    out = tmp_path / "b.pt"
    BT.main(["--size", "small", "--games", "4", "--parallel", "2", "--test-every", "1000", "--test-games", "1",
             "--out", str(out), "--device", "cpu"])
    printed = capsys.readouterr()
    assert printed.out and "ignored" not in printed.err


# -- the word list fallback (macOS has /usr/share/dict/words, no wamerican) ----------------------------


def test_wordjunk_dictionary_falls_back_to_dict_words(tmp_path, monkeypatch):
    from models.language import wordjunk as wj

    words = tmp_path / "words"
    words.write_text("apple\nBanana\nzz\ncherry\nco-op\n")
    monkeypatch.setattr(wj, "DICT_PATH", tmp_path / "american-english")
    monkeypatch.setattr(wj, "FALLBACK_DICT_PATHS", (words,))
    wj.load_dictionary.cache_clear()
    try:
        assert wj.dictionary_path() == words
        assert wj.load_dictionary() == ("apple", "cherry")
        words.unlink()
        wj.load_dictionary.cache_clear()
        assert wj.dictionary_path() is None
        with pytest.raises(FileNotFoundError, match="american-english or .*words.*wamerican"):
            wj.load_dictionary()
    finally:
        wj.load_dictionary.cache_clear()


def test_wordjunk_prefers_wamerican(tmp_path, monkeypatch):
    from models.language import wordjunk as wj

    main, fallback = tmp_path / "american-english", tmp_path / "words"
    main.write_text("alpha\n")
    fallback.write_text("omega\n")
    monkeypatch.setattr(wj, "DICT_PATH", main)
    monkeypatch.setattr(wj, "FALLBACK_DICT_PATHS", (fallback,))
    wj.load_dictionary.cache_clear()
    try:
        assert wj.load_dictionary() == ("alpha",)
    finally:
        wj.load_dictionary.cache_clear()
    assert wj.dictionary_path() == main
