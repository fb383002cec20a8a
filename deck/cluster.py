"""Several deck servers behind one address: redis-server, N deck servers on loopback and nginx in front.

    bash deck.sh cluster 3                 # installs, then runs this: python -m deck.cluster 3
    python -m deck.cluster 3 --port 8501   # http://127.0.0.1:8501 ; Ctrl-C stops everything

The deck servers share their live rooms through Redis (``DECK_REDIS_URL``, ``deck/backplane.py``) and one
cookie secret (so Streamlit's upload token stays valid when a visitor moves to another server); nginx
(``deploy/nginx.conf``) keeps each visitor on one server (sticky cookie) and passes WebSockets through.
Tests and ``benchmarks/cluster.py`` use :class:`Cluster` and its parts. Plain Python, no Streamlit import.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .serve import ROOT, deck_server, free_port

TEMPLATE = ROOT / "deploy" / "nginx.conf"


def _which(name: str, *fallbacks: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for path in fallbacks:
        if Path(path).exists():
            return path
    raise RuntimeError(f"{name} not found: apt-get install redis-server nginx (bash deck.sh cluster does)")


def _wait_port(port: int, proc: subprocess.Popen | None, what: str, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}") from None
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not open port {port} in {timeout:.0f} s")


def render_nginx(listen: str | int, upstreams: list[str], run_dir: str | Path) -> str:
    """deploy/nginx.conf with its placeholders filled in (``upstreams``: ``host:port`` of each deck server)."""
    if not upstreams:
        raise ValueError("nginx needs at least one deck server")
    servers = "".join(f"server {u} max_fails=1 fail_timeout=10s; " for u in upstreams)  # as compose.yaml's
    return (TEMPLATE.read_text().replace("__LISTEN__", str(listen)).replace("__RUN__", str(run_dir))
            .replace("__UPSTREAM_SERVERS__", servers))


class RedisServer:
    """A redis-server of our own on a loopback port (never the system service); killable, restartable."""

    def __init__(self, port: int | None = None, run_dir: str | Path | None = None):
        self.port = port or free_port()
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="deck-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        exe = _which("redis-server", "/usr/bin/redis-server")
        self.proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.run_dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, self.proc, "redis-server")
        return self

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


class Nginx:
    """nginx of our own (``nginx -p <run dir>``), rendered from deploy/nginx.conf."""

    def __init__(self, port: int, upstreams: list[str], run_dir: str | Path, host: str = "127.0.0.1"):
        self.port, self.upstreams, self.run_dir, self.host = port, upstreams, Path(run_dir), host
        self.conf = self.run_dir / "nginx.conf"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        exe = _which("nginx", "/usr/sbin/nginx")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(render_nginx(f"{self.host}:{self.port}" if self.host else self.port, self.upstreams, self.run_dir))
        self.proc = subprocess.Popen([exe, "-p", str(self.run_dir), "-c", str(self.conf),
                                      "-e", str(self.run_dir / "nginx-error.log"), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_port(self.port, self.proc, "nginx")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish the open requests
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None


class Cluster:
    """redis-server + ``n`` deck servers + nginx; ``url`` is nginx's, ``servers`` the deck servers'
    (url, process). Use as a context manager: everything stops on the way out, even after a kill."""

    def __init__(self, n: int, port: int | None = None, redis_port: int | None = None, env: dict | None = None,
                 public: bool = False):
        if not 1 <= n <= 32:
            raise ValueError("a cluster has 1 to 32 deck servers")
        self.n, self.port, self.env = n, port or free_port(), dict(env or {})
        self.run_dir = Path(tempfile.mkdtemp(prefix="deck-cluster-"))
        self.redis = RedisServer(redis_port, self.run_dir)
        self.servers: list[tuple[str, subprocess.Popen]] = []
        self.nginx: Nginx | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.public = public
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "Cluster":
        try:
            self.redis.start()
            self._stack.callback(self.redis.stop)
            env = {**self.env, "DECK_REDIS_URL": self.redis.url,
                   "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(24)}
            ports = [free_port() for _ in range(self.n)]
            for port in ports:
                url, proc, _ = self._stack.enter_context(deck_server(env=env, port=port))
                self.servers.append((url, proc))
            self.nginx = Nginx(self.port, [f"127.0.0.1:{p}" for p in ports], self.run_dir,
                               host="" if self.public else "127.0.0.1").start()
            self._stack.callback(self.nginx.stop)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> bool:
        self._stack.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        return False

    def kill_server(self, i: int) -> None:
        """Kill deck server ``i`` at once (SIGKILL), as a crash would."""
        proc = self.servers[i][1]
        proc.kill()
        proc.wait(10)


def _interrupt(*_):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bash deck.sh cluster",
                                 description="redis-server, N deck servers and nginx (sticky sessions) on one port")
    ap.add_argument("n", nargs="?", type=int, default=2, help="deck servers (default 2)")
    ap.add_argument("--port", type=int, default=int(os.environ.get("DECK_PORT", "8501")),
                    help="nginx's public port (default 8501)")
    ap.add_argument("--redis-port", type=int, default=None, help="redis-server's port (default: a free one)")
    ap.add_argument("--public", action="store_true", help="listen on every interface, not just loopback")
    args = ap.parse_args(argv)
    if not 1 <= args.n <= 32:
        ap.error("N is 1 to 32 deck servers")
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", args.port))
    except OSError:
        ap.error(f"port {args.port} is taken; pick another with --port")
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also where a shell started us with SIGINT ignored
    reported: set[int] = set()
    try:
        with Cluster(args.n, port=args.port, redis_port=args.redis_port, public=args.public) as cluster:
            print(f"deck cluster: {args.n} deck servers ({', '.join(u for u, _ in cluster.servers)}), "
                  f"Redis at {cluster.redis.url}", flush=True)
            print(f"open {cluster.url}  (Ctrl-C stops everything)", flush=True)
            while True:
                for i, (url, proc) in enumerate(cluster.servers):
                    if proc.poll() is not None and i not in reported:
                        reported.add(i)
                        print(f"deck cluster: server {i + 1} ({url}) exited with {proc.returncode}; "
                              "its visitors moved to the others", file=sys.stderr, flush=True)
                for part, proc in (("redis-server", cluster.redis.proc), ("nginx", cluster.nginx.proc)):
                    if proc is not None and proc.poll() is not None:
                        print(f"deck cluster: {part} exited with {proc.returncode}; stopping", file=sys.stderr)
                        return 1
                time.sleep(1.0)
    except KeyboardInterrupt:
        print("\ndeck cluster: stopped", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"deck cluster: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
