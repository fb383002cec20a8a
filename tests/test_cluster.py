"""`bash deck.sh cluster N` (python -m deck.cluster): redis-server, N deck servers and nginx come up on one
port, and Ctrl-C (SIGINT to the process group, as a terminal sends) stops every one of them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from deck.serve import free_port

ROOT = Path(__file__).resolve().parents[1]


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_cluster_command_starts_everything_and_ctrl_c_stops_it(tmp_path):
    port = free_port()
    log = open(tmp_path / "cluster.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "deck.cluster", "2", "--port", str(port)], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 120
        while "open http" not in (tmp_path / "cluster.log").read_text():
            assert proc.poll() is None, (tmp_path / "cluster.log").read_text()
            assert time.time() < deadline, "the cluster did not come up in 120 s"
            time.sleep(0.3)
        seen = set()
        for _ in range(20):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as r:
                assert r.read() == b"ok"
                seen.add(r.headers["X-Deck-Upstream"])
        assert len(seen) == 2, f"20 cookie-less requests all went to {seen}"
        kids = children(proc.pid)
        names = " ".join(Path(f"/proc/{k}/cmdline").read_text().replace("\0", " ") for k in kids)
        assert "redis-server" in names and "nginx" in names and names.count("streamlit_app.py") == 2
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(30) == 0
        time.sleep(0.5)
        assert not [k for k in kids if alive(k)], "a process outlived Ctrl-C"
        assert "stopped" in (tmp_path / "cluster.log").read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_cluster_command_refuses_bad_input():
    out = subprocess.run([sys.executable, "-m", "deck.cluster", "0"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2 and "1 to 32" in out.stderr and "Traceback" not in out.stderr
