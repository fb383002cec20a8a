"""A workshop of 100 (issue #18): one deck server against two behind nginx, sharing live rooms through Redis.

    python benchmarks/cluster.py                  # or: python -m benchmarks.cluster
    python benchmarks/cluster.py --sessions 20 --slides 4 --followers 100

Everything runs on this machine through ``deck.cluster.Cluster`` (redis-server + N deck servers + nginx
from ``deploy/nginx.conf``, what ``bash deck.sh cluster N`` starts), so the servers share its cores with
each other, nginx, Redis and the clients: the figures show what a second server buys *here*, not on
two machines.

cluster_ticks_per_s_N          ``--sessions`` visitors (``benchmarks/load.py``'s Streamlit-protocol
cluster_waited_ticks_N         client, each with its own sticky cookie) move through ``--slides`` slides and
cluster_slide_p95_ms_N         train on one, through nginx in front of N = 1, then 2 deck servers: live
cluster_errors_N               training ticks served per second of the run, ticks that found no free
                               training slot (slots are per server), slide latency p95, errors
cross_server_follow_lag_p95_ms_300
                               a presenter (Chromium) on server 1 moves every ``--interval`` s; 300 simulated
                               audience WebSocket followers (``benchmarks/follow.py``'s, in separate
                               processes), half on server 1 and half on server 2: key press -> the slide
                               message at a follower (goal <= 250); ``_p50``/``_max`` and per server on ``#`` lines
follower_recovery_s            a Chromium audience page on server 2 (through nginx): server 2 is killed ->
                               the page is back in its room ("Following live", on the room's slide) through
                               nginx on server 1 (goal <= 5)

One ``name value unit`` line per figure; ``#`` lines give details and the machine's load.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import urllib.request
from argparse import Namespace
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.follow import Followers, Presenter, lags, line, percentile, run_moves  # noqa: E402
from benchmarks.load import Visitor, cpu_seconds, make_plans  # noqa: E402
from deck.cluster import Cluster  # noqa: E402
from deck.parser import load_deck  # noqa: E402
from deck.serve import CHROMIUM_FLAGS, chromium_path  # noqa: E402


class StickyVisitor(Visitor):
    """load.py's visitor with its own nginx cookie, as a browser has: its stream and pictures reach one server."""

    def __init__(self, *a, cookie: str = "", **kw):
        super().__init__(*a, **kw)
        self.cookie = f"deck_node={cookie or f'bench-visitor-{self.n}'}"

    def headers(self) -> dict:
        return {"Cookie": self.cookie}

    def connected(self, ws) -> None:
        self.server = ws.response.headers.get("X-Deck-Upstream", "?")


async def _load(url: str, plans, args, cookies: list[str] | None = None) -> list[StickyVisitor]:
    pool = ThreadPoolExecutor(max_workers=6)
    visitors = [StickyVisitor(i, url, plan, args, pool, cookie=cookies[i] if cookies else "")
                for i, plan in enumerate(plans)]
    await asyncio.gather(*(v.visit(i * 2.0 / max(1, len(visitors))) for i, v in enumerate(visitors)))
    pool.shutdown(wait=True)
    return visitors


def load_run(n_servers: int, plans, args) -> None:
    """The visitors against nginx in front of ``n_servers`` deck servers; prints the cluster_*_N lines."""
    with Cluster(n_servers) as cluster:
        warm = Namespace(timeout=args.timeout, train_seconds=0.5)
        for url, _ in cluster.servers:  # imports and first draws on every server, not timed
            asyncio.run(_load(url, plans[:2], warm))
        # visitors spread evenly (visitor i on server i mod N), as many visitors' random cookies are
        by_server = cookies_per_server(cluster, -(-len(plans) // n_servers))
        cookies = [by_server[i % n_servers][i // n_servers] for i in range(len(plans))]
        pids = [proc.pid for _, proc in cluster.servers]
        cpu0, t0 = [cpu_seconds(p) for p in pids], time.perf_counter()
        visitors = asyncio.run(_load(cluster.url, plans, args, cookies))
        wall = time.perf_counter() - t0
        cpu = [(cpu_seconds(p) - c) / wall for p, c in zip(pids, cpu0)]
    ticks = sum(v.ticks for v in visitors)
    slides = [ms for v in visitors for ms, _ in v.slide_ms]
    errors = [e for v in visitors for e in v.errors]
    n = n_servers
    line(f"cluster_ticks_per_s_{n}", ticks / wall, "ticks/s")
    line(f"cluster_waited_ticks_{n}", sum(v.ticks_waiting for v in visitors), "count")
    line(f"cluster_slide_p95_ms_{n}", percentile(slides, 0.95) if slides else float("nan"), "ms")
    line(f"cluster_errors_{n}", len(errors), "count")
    spread: dict[str, int] = {}
    for v in visitors:
        spread[getattr(v, "server", "?")] = spread.get(getattr(v, "server", "?"), 0) + 1
    print(f"# {n} server(s): {len(visitors)} visitors over {wall:.1f} s, {ticks} ticks, "
          f"slide p50 {statistics.median(slides) if slides else float('nan'):.0f} ms; visitors per server "
          f"{sorted(spread.values())}; server CPU {', '.join(f'{c:.2f}' for c in cpu)} cores", flush=True)
    for e in errors[:10]:
        print(f"#   {e}", flush=True)


def cookies_per_server(cluster: Cluster, each: int) -> list[list[str]]:
    """``each`` deck_node cookie values per deck server, found by asking nginx where each one goes."""
    where = {urlparse(url).netloc: i for i, (url, _) in enumerate(cluster.servers)}
    out: list[list[str]] = [[] for _ in cluster.servers]
    for i in range(50 * each * len(out) + 100):
        req = urllib.request.Request(cluster.url + "/_stcore/health", headers={"Cookie": f"deck_node=b{i}"})
        with urllib.request.urlopen(req, timeout=5) as r:
            server = where.get(r.headers.get("X-Deck-Upstream", ""))
        if server is not None and len(out[server]) < each:
            out[server].append(f"b{i}")
        if all(len(c) == each for c in out):
            return out
    raise RuntimeError("nginx sends no cookie to some deck server")


def cookie_for(cluster: Cluster, server: int) -> str:
    """A deck_node cookie value that nginx sends to deck server ``server``."""
    return cookies_per_server(cluster, 1)[server][0]


def follow_runs(args) -> None:
    """cross_server_follow_lag_*_300 and follower_recovery_s, on a fresh 2-server cluster."""
    from playwright.sync_api import sync_playwright

    talk = load_deck(ROOT / "slides").talks[0]
    with Cluster(2) as cluster, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        (url1, _), (url2, _) = cluster.servers
        presenter = Presenter(browser, url1, talk, args.start)
        presenter.goto(args.start)
        presenter.open_room()
        run_moves(presenter, args.moves, 0.5)  # warm-up: each slide drawn and rendered once
        presenter.goto(args.start)
        half = args.followers // 2
        sims = [Followers("push", url1, presenter.room, half),
                Followers("push", url2, presenter.room, args.followers - half)]
        print(f"# followers connected: server 1 {sims[0].connected}, server 2 {sims[1].connected}", flush=True)
        time.sleep(2.0)
        presses = run_moves(presenter, args.moves, args.interval)
        time.sleep(2.0)
        results = [s.stop() for s in sims]
        per_server = [lags(presses, r, []) for r in results]
        lag_ms = [ms for got, _ in per_server for ms in got]
        missed = sum(m for _, m in per_server)
        n = args.followers
        line(f"cross_server_follow_lag_p50_ms_{n}", percentile(lag_ms, 0.5), "ms")
        line(f"cross_server_follow_lag_p95_ms_{n}", percentile(lag_ms, 0.95), "ms")
        line(f"cross_server_follow_lag_max_ms_{n}", max(lag_ms) if lag_ms else float("nan"), "ms")
        for i, (got, miss) in enumerate(per_server):
            print(f"# followers on server {i + 1}: p50 {percentile(got, 0.5):.0f} ms, p95 "
                  f"{percentile(got, 0.95):.0f} ms, {miss} (follower, move) pairs never arrived", flush=True)
        print(f"# presenter moves ms: {[round(p[1]) for p in presses]}; {missed} missed in all", flush=True)
        for r in results:
            for e in r["errors"][:3]:
                print(f"# error: {e}", flush=True)

        # follower recovery: a Chromium audience page on server 2 through nginx; kill server 2
        ctx = browser.new_context(viewport={"width": 390, "height": 844})
        ctx.add_cookies([{"name": "deck_node", "value": cookie_for(cluster, 1), "url": cluster.url}])
        phone = ctx.new_page()
        response = phone.goto(f"{cluster.url}/room/{presenter.room}")
        where = response.headers.get("x-deck-upstream")
        phone.wait_for_function("() => document.getElementById('deck-status').textContent === 'Following live'",
                                timeout=30000)
        want = str(presenter.index)
        phone.wait_for_function(f"() => document.body.getAttribute('data-index') === '{want}'", timeout=30000)
        t0 = time.monotonic()
        cluster.kill_server(1)
        phone.wait_for_function("() => document.getElementById('deck-status').textContent !== 'Following live'",
                                polling=20, timeout=10000)
        phone.wait_for_function(
            f"""() => document.getElementById('deck-status').textContent === 'Following live'
                      && document.body.getAttribute('data-index') === '{want}'""", polling=20, timeout=60000)
        recovery = time.monotonic() - t0
        line("follower_recovery_s", recovery, "s")
        back = phone.evaluate("() => fetch(location.href, {cache: 'no-store'}).then(r => r.headers.get('x-deck-upstream'))")
        print(f"# recovery: page on {where}, server 2 killed, back in its room on slide {int(want) + 1} "
              f"(now served by {back})", flush=True)
        presenter.next()
        phone.wait_for_function(f"() => document.body.getAttribute('data-index') === '{presenter.index}'", timeout=10000)
        print("# after recovery the phone follows the presenter's next move", flush=True)
        browser.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=40, help="visitors in the load runs")
    ap.add_argument("--slides", type=int, default=6, help="slides each visitor opens (one of them trains)")
    ap.add_argument("--train-seconds", type=float, default=6.0, help="time on the training slide")
    ap.add_argument("--timeout", type=float, default=60.0, help="slowest acceptable slide or press")
    ap.add_argument("--followers", type=int, default=300, help="simulated audience followers (half per server)")
    ap.add_argument("--moves", type=int, default=10, help="presenter key presses")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between presses")
    ap.add_argument("--start", type=int, default=14, help="first slide (0-based) of the first talk")
    ap.add_argument("--skip-load", action="store_true", help="only the follow and recovery figures")
    ap.add_argument("--skip-follow", action="store_true", help="only the load figures")
    args = ap.parse_args(argv)
    print(f"# machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start "
          "(shared with other work: figures vary between runs)", flush=True)
    if not args.skip_load:
        plans = make_plans(load_deck(ROOT / "slides"), args.sessions, args.slides)
        for n in (1, 2):
            load_run(n, plans, args)
            print(f"# load average now {os.getloadavg()[0]:.2f}", flush=True)
    if not args.skip_follow:
        follow_runs(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
