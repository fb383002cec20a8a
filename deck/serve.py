"""Start a real Streamlit server of the deck on a free loopback port (tests, benchmarks, rehearsal)."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("Chromium not found: apt-get install -y chromium chromium-driver")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def deck_server(env: dict | None = None, port: int | None = None):
    """Yield (base URL, process, seconds until healthy)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
           "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
           "--server.fileWatcherType=none", "--browser.gatherUsageStats=false"]
    log = open(ROOT / "test-output" / f"server-{port}.log", "w") if (ROOT / "test-output").is_dir() \
        else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.1)
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}")
        else:
            raise RuntimeError("streamlit did not become healthy in 30 s")
        yield url, proc, time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def start_room_from_sidebar(page, timeout_ms: int = 15000) -> tuple[str, str]:
    """In a deck page (Playwright), open a live room as a presenter does: the sidebar's "Audience follow
    mode" -> "Start a live room"; wait until the URL has the key and the push route answered. Returns
    (room id, key). For tests and benchmarks."""
    from urllib.parse import parse_qs, urlparse

    start = page.get_by_role("button", name="Start a live room")
    if not page.locator("[data-testid='stSidebar']").is_visible():
        page.locator("[data-testid='stExpandSidebarButton'], [data-testid='stSidebarCollapsedControl'] button").first.click()
    if not start.is_visible():
        page.locator("[data-testid='stSidebar'] summary").filter(has_text="Audience follow mode").click()
    start.click()
    page.wait_for_function("new URLSearchParams(location.search).get('key')", timeout=timeout_ms)
    page.wait_for_function("window.__deckRoomMode === 'push'", timeout=timeout_ms)  # the presenter socket got through
    q = {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}
    return q["room"], q["key"]

