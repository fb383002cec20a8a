"""A live room under a meetup's worth of followers (issue #21), against one real deck server.

    python benchmarks/follow.py                          # or: python -m benchmarks.follow
    python benchmarks/follow.py --followers 300 --fallback 50 --moves 8

The presenter is Debian's Chromium on the real deck (``slides/``): it opens a live room from the sidebar
and presses ArrowRight every ``--interval`` s over text and demo slides (by default slides 15-27 of the
first talk: text, neuron, layers, gradient descent, backprop and the painting demo, which trains live).
Followers of the push path are N plain WebSocket clients of ``/room/<id>/ws`` in a separate process
(this file with ``--worker push``), plus 3 real Chromium audience pages (``/room/<id>``).

follow_lag_{p50,p95,max}_ms_N    presenter's key press -> the new slide shown in a Chromium follower / its
                                 ``slide`` message at a simulated one (goals: p95 <= 250 at 300, <= 1000 at 1000)
presenter_next_slide_p95_ms_N    key press -> the new slide's title and counter on the presenter's own page;
                                 ``_0`` is the same run with no follower (goal <= 110 and within 10 %)
mirror_lag_p95_ms_300            the painting demo's picture sent by the presenter's session (hub time
                                 stamp ``at``) -> that ``mirror`` message at a simulated follower
server_cpu_idle_cores_300        server CPU (process + children) / wall time over --idle-s seconds with
                                 300 followers connected and nothing moving (goal <= 0.05)
server_rss_delta_mb_1000         server RSS with 1000 followers connected minus before they came (goal <= 150)
fallback_*_N                     the same for the fallback path: N Streamlit sessions following ``?room=<id>``
                                 by polling (lightweight Streamlit-protocol clients, ``benchmarks/load.py``'s
                                 ``Visitor``, in a separate process) plus 3 Chromium windows on ``?room=<id>``

Followers stand for phones, which in a room are other machines. On this 2-core machine their CPU would be
taken from the presenter's server and browser, so by default (``--followers-priority idle``) the simulated
followers' process and the Chromium followers' browser run under Linux's SCHED_IDLE policy: they get the
CPU only when the presenter's side leaves it idle (their lags are then pessimistic). ``--followers-priority
normal`` runs them like any process (the figures then include the harness's own CPU cost). The fallback
path's followers always run at normal priority: there every follower is a Streamlit session that keeps the
server's cores busy, and idle-priority clients would starve and measure their own wait (50 of them gave a
follow-lag p95 of 30 s that way, against ~3 s at normal priority).
``--passes`` goes over the slides that many times per run (percentiles over moves x passes).

Idle windows: server_cpu_idle_cores_300 is measured after the moves, not before them. On the machine
these figures come from (a VM whose kernel runs DAMON proactive reclaim: memory not touched for a while
is paged out), a presenter's move after 30 s of nothing took 120-150 ms against ~60 ms after 2 s, with
no follower at all (same slide, 3 tries each); an idle window just before the moves with followers, and
none before the run without them, put that into ``presenter_next_slide_p95_ms_300`` as if the followers
had cost it.

Every figure is one ``name value unit`` line; lines starting with ``#`` give details (followers that
missed a move, connection errors, the machine's load when the run started). Clocks: the presenter's
press time and the followers' receive times are this machine's wall clock (``time.time()`` /
``Date.now()``), so all processes must run here.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.load import cpu_seconds  # noqa: E402
from deck.parser import load_deck  # noqa: E402
from deck.serve import CHROMIUM_FLAGS, chromium_path, deck_server, rss_mb, start_room_from_sidebar  # noqa: E402

CHROMIUM_FOLLOWERS = 3
MOVE_TIMEOUT_S = 60.0
TYPE_RE = re.compile(r'"type":"(\w+)"')
INDEX_RE = re.compile(r'"index":(\d+)')


def percentile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))] if v else float("nan")


def line(name: str, value, unit: str) -> None:
    if isinstance(value, float):
        value = "nan" if value != value else f"{value:.1f}" if abs(value) >= 1 else f"{value:.3f}"
    print(f"{name} {value} {unit}", flush=True)


# ------------------------------------------------------------------------------------------------
# Simulated followers (a separate process: python benchmarks/follow.py --worker push|poll ...)


async def _push_worker(url: str, room: str, n: int, events: list, status: dict) -> list:
    from websockets.asyncio.client import connect

    ws_url = url.replace("http://", "ws://") + f"/room/{room}/ws"
    sockets = []

    async def one(i: int):
        try:
            ws = await connect(ws_url, max_size=None, open_timeout=60, ping_interval=None, compression=None)
        except Exception as exc:
            status["errors"].append(f"connect {i}: {type(exc).__name__}: {exc}")
            return
        sockets.append(ws)

        async def read():
            try:
                async for text in ws:
                    now = time.time()
                    head = text[:300]  # "type" and "index" come first; a slide's HTML is left unparsed
                    kind = TYPE_RE.search(head)
                    kind = kind.group(1) if kind else None
                    if kind == "mirror":
                        at = json.loads(text).get("at")
                        events.append((i, kind, None, now, at))
                    elif kind == "slide":
                        index = INDEX_RE.search(head)
                        events.append((i, kind, int(index.group(1)) if index else None, now, None))
            except Exception as exc:
                status["errors"].append(f"follower {i}: {type(exc).__name__}")

        asyncio.ensure_future(read())

    for start in range(0, n, 50):  # a room opening the link over a few seconds
        await asyncio.gather(*(one(i) for i in range(start, min(n, start + 50))))
    return sockets


async def _poll_worker(url: str, room: str, n: int, events: list, status: dict) -> list:
    from concurrent.futures import ThreadPoolExecutor

    from benchmarks.load import Visitor
    from websockets.asyncio.client import connect

    pool = ThreadPoolExecutor(max_workers=2)

    class Follower(Visitor):
        def _on_element(self, el, main):
            before = self.full_run.counter if self.full_run is not None else None
            super()._on_element(el, main)
            after = self.full_run.counter if self.full_run is not None else None
            if after and after != before:
                events.append((self.n, "slide", int(after.split()[1]) - 1, time.time(), None))

    followers = []

    async def one(i: int):
        v = Follower(i, url, None, None, pool)
        v.query = f"room={room}"
        try:
            v.ws = await connect(url.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                                 max_size=None, open_timeout=120, ping_interval=None)
        except Exception as exc:
            status["errors"].append(f"connect {i}: {type(exc).__name__}: {exc}")
            return
        asyncio.ensure_future(v.reader())
        await v.send_rerun()
        followers.append(v)

    for start in range(0, n, 10):
        await asyncio.gather(*(one(i) for i in range(start, min(n, start + 10))))
        await asyncio.sleep(0.5)
    return followers


def worker(kind: str, url: str, room: str, n: int, out: str) -> int:
    """Connect ``n`` followers, say ``ready <connected>`` on stdout, keep them until stdin says ``stop``
    (or closes), then write every received slide/mirror message's time to ``out`` (JSON)."""
    events: list = []
    status = {"errors": []}

    async def main():
        loop = asyncio.get_running_loop()
        # a follower's timer ticking after the server closed its session is not news: errors are counted
        loop.set_exception_handler(lambda _loop, ctx: status["errors"].append(str(ctx.get("exception"))[:120]))
        conns = await (_push_worker if kind == "push" else _poll_worker)(url, room, n, events, status)
        print(f"ready {len(conns)}", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        Path(out).write_text(json.dumps({"events": events, "errors": status["errors"][:50],
                                         "connected": len(conns)}))
        for c in conns:
            try:
                await (c.close() if kind == "push" else c.ws.close())
            except Exception:
                pass

    asyncio.run(main())
    return 0


def _idle_priority() -> None:
    """This process (and its children) runs only on CPU time nothing else wants (SCHED_IDLE)."""
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def idle_chromium(folder: str) -> str:
    """A launcher that starts Chromium under SCHED_IDLE (inherited by its renderers; Chromium's own
    nice values do not lift it out)."""
    path = Path(folder) / "chromium-idle"
    path.write_text(f'#!/bin/sh\nexec chrt --idle 0 "{chromium_path()}" "$@"\n')
    path.chmod(0o755)
    return str(path)


class Followers:
    """The simulated followers' process."""

    def __init__(self, kind: str, url: str, room: str, n: int, idle: bool = False):
        self.out = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
        self.n = n
        # --room=<id>: a room id may start with "-"
        self.proc = subprocess.Popen([sys.executable, __file__, f"--worker={kind}", f"--url={url}", f"--room={room}",
                                      f"--n={n}", f"--out={self.out}"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                     preexec_fn=_idle_priority if idle else None)
        ready = self.proc.stdout.readline().split()
        self.connected = int(ready[1]) if len(ready) == 2 and ready[0] == "ready" else 0

    def stop(self) -> dict:
        try:
            self.proc.stdin.write("stop\n")
            self.proc.stdin.flush()
            self.proc.wait(120)
        except Exception:
            self.proc.kill()
        try:
            return json.loads(Path(self.out).read_text())
        except (OSError, ValueError):
            return {"events": [], "errors": ["the followers' process wrote no results"], "connected": 0}
        finally:
            Path(self.out).unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------
# The presenter and the Chromium followers


WATCH_STREAMLIT_JS = """() => {
  if (window.__deckShown) { return; }
  window.__deckShown = [];
  let last = null;
  const check = () => {
    const c = document.querySelector('.deck-counter');
    const m = c ? /Slide (\\d+)/.exec(c.textContent) : null;
    if (m && m[1] !== last) { last = m[1]; window.__deckShown.push(['', parseInt(m[1], 10) - 1, Date.now()]); }
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
  check();
}"""


RUN_STATE_JS = """() => {
  const h = document.querySelector('[data-testid="stMain"] h2');
  const r = document.querySelector('.deck-run-done');
  const run = r ? parseInt((/deck-run-(\\d+)/.exec(r.className) || [0, 0])[1], 10) : 0;
  return [h ? h.textContent : '', run];
}"""


class Presenter:
    def __init__(self, browser, url: str, talk, start: int):
        self.url, self.talk, self.start = url, talk, start
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.room = self.key = ""

    def goto(self, index: int) -> None:
        from deck.nav import slide_url
        extra = {"room": self.room, "key": self.key} if self.room else {}
        self.page.goto(slide_url(self.talk.slides[index], self.url, **extra))
        self.page.wait_for_selector(".st-key-deck_next button", timeout=60000)
        self.page.wait_for_function("window.__deckKeys === true", timeout=20000)
        self.page.wait_for_selector(".deck-run-done", state="attached", timeout=60000)
        self.index = index

    def open_room(self) -> None:
        self.room, self.key = start_room_from_sidebar(self.page, timeout_ms=30000)

    def next(self) -> tuple[float, float, int]:
        """Press ArrowRight; (press time, ms until the new slide shows here, new index). A move that does
        not show within MOVE_TIMEOUT_S counts as that long (the run then stops: see ``run_moves``)."""
        target = self.index + 1
        self.page.evaluate("document.activeElement && document.activeElement.blur()")
        before = self.page.evaluate(RUN_STATE_JS)
        t0 = time.time()
        self.page.keyboard.press("ArrowRight")
        # the new slide is shown: the counter names it and the old slide's title has been replaced (or, where
        # two slides share a title, the run that drew it has finished)
        self.page.wait_for_function(
            """([before, counter]) => {
                 const h = document.querySelector('[data-testid="stMain"] h2');
                 const c = document.querySelector('.deck-counter');
                 const r = document.querySelector('.deck-run-done');
                 const run = r ? parseInt((/deck-run-(\\d+)/.exec(r.className) || [0, 0])[1], 10) : 0;
                 return h && c && c.textContent.startsWith(counter) && (h.textContent !== before[0] || run > before[1]);
               }""", arg=[before, f"Slide {target + 1} /"], polling="raf", timeout=MOVE_TIMEOUT_S * 1000)
        ms = (time.time() - t0) * 1000
        self.index = target
        return t0, ms, target


FOLLOWER_VIEWPORTS = ({"width": 390, "height": 844}, {"width": 412, "height": 915}, {"width": 1024, "height": 700})


def chromium_followers(browser, address: str, streamlit: bool, n: int = CHROMIUM_FOLLOWERS) -> list:
    pages = []
    for k in range(n):
        size = FOLLOWER_VIEWPORTS[k % len(FOLLOWER_VIEWPORTS)]
        ctx = browser.new_context(viewport=size)
        page = ctx.new_page()
        page.goto(address)
        if streamlit:
            page.wait_for_selector(".deck-counter", timeout=120000)
            page.evaluate(WATCH_STREAMLIT_JS)
        else:
            page.wait_for_function("() => document.body.getAttribute('data-index') !== null", timeout=60000)
        pages.append(page)
    return pages


def run_moves(presenter: Presenter, moves: int, interval: float, passes: int = 1) -> list[tuple[float, float, int]]:
    out = []
    for n in range(passes):
        if n:
            presenter.goto(presenter.start)
        out += _one_pass(presenter, moves, interval)
    return out


def _one_pass(presenter: Presenter, moves: int, interval: float) -> list[tuple[float, float, int]]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    out = []
    for _ in range(moves):
        began = time.time()
        try:
            out.append(presenter.next())
        except PlaywrightTimeout:
            print(f"# the presenter's move to slide {presenter.index + 2} did not show within {MOVE_TIMEOUT_S:g} s: "
                  "counted as that long; this run stops here", flush=True)
            out.append((began, MOVE_TIMEOUT_S * 1000, presenter.index + 1))
            presenter.index += 1
            break
        time.sleep(max(0.0, interval - (time.time() - began)))
    return out


def lags(presses, sim: dict | None, pages: list) -> tuple[list[float], int]:
    """Per follower and move: ms from the press to the first arrival of that slide after it. Also how
    many (follower, move) pairs never got it."""
    arrivals: dict[tuple[str, int], list[float]] = {}
    if sim:
        for conn, kind, index, t, _at in sim["events"]:
            if kind == "slide" and index is not None:
                arrivals.setdefault((f"s{conn}", int(index)), []).append(t)
        followers = [f"s{i}" for i in range(sim.get("connected", 0))]
    else:
        followers = []
    for n, page in enumerate(pages):
        try:
            shown = page.evaluate("window.__deckShown || []")
        except Exception:
            shown = []
        for _talk, index, ms in shown:
            arrivals.setdefault((f"c{n}", int(index)), []).append(ms / 1000)
        followers.append(f"c{n}")
    out, missed = [], 0
    for t0, _ms, target in presses:
        for f in followers:
            times = [t for t in arrivals.get((f, target), []) if t >= t0 - 0.05]
            if times:
                out.append(max(0.0, (min(times) - t0) * 1000))
            else:
                missed += 1
    return out, missed


def report(prefix: str, n: int, presses, lag_ms, missed, chromium_lag=None) -> None:
    line(f"{prefix}follow_lag_p50_ms_{n}", percentile(lag_ms, 0.5), "ms")
    line(f"{prefix}follow_lag_p95_ms_{n}", percentile(lag_ms, 0.95), "ms")
    line(f"{prefix}follow_lag_max_ms_{n}", max(lag_ms) if lag_ms else float("nan"), "ms")
    line(f"{prefix}presenter_next_slide_p95_ms_{n}", percentile([p[1] for p in presses], 0.95), "ms")
    print(f"# {prefix}{n}: {len(lag_ms)} arrivals measured, {missed} (follower, move) pairs never arrived; "
          f"presenter moves ms: {[round(p[1]) for p in presses]}", flush=True)
    if chromium_lag:
        print(f"# {prefix}{n}: Chromium followers only: p50 {percentile(chromium_lag, 0.5):.0f} ms, "
              f"p95 {percentile(chromium_lag, 0.95):.0f} ms", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", choices=["push", "poll"], help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--room", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--followers", default="300,1000", help="simulated push followers per run (comma list)")
    ap.add_argument("--fallback", type=int, default=50,
                    help="simulated polling followers for the fallback_ figures (0 skips them)")
    ap.add_argument("--moves", type=int, default=12, help="presenter key presses per run")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between presses")
    ap.add_argument("--chromium-followers", type=int, default=CHROMIUM_FOLLOWERS,
                    help="real Chromium audience pages beside the simulated followers")
    ap.add_argument("--passes", type=int, default=2, help="times over the slides per run")
    ap.add_argument("--followers-priority", choices=["idle", "normal"], default="idle",
                    help="idle: followers (simulated and Chromium) run under SCHED_IDLE, as if on other machines")
    ap.add_argument("--start", type=int, default=14, help="first slide (0-based) of the first talk")
    ap.add_argument("--idle-s", type=float, default=30.0, help="idle window for server_cpu_idle_cores_300")
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.url, args.room, args.n, args.out)

    from playwright.sync_api import sync_playwright

    deck = load_deck(ROOT / "slides")
    talk = deck.talks[0]
    if args.start + args.moves >= len(talk.slides):
        print(f"--start {args.start} + --moves {args.moves} runs past the talk's {len(talk.slides)} slides",
              file=sys.stderr)
        return 2
    counts = [int(x) for x in args.followers.split(",") if x.strip() and int(x) > 0]
    load1 = os.getloadavg()[0]
    print(f"# machine: {os.cpu_count()} cores, load average {load1:.2f} at start; slides "
          f"{args.start + 1}..{args.start + args.moves + 1} of {talk.id}, a press every {args.interval:g} s, "
          f"{args.passes} pass(es); followers' priority: {args.followers_priority}",
          flush=True)
    with deck_server() as (url, proc, _secs), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        idle_followers = args.followers_priority == "idle"
        launcher_dir = tempfile.mkdtemp()
        audience_browser = (pw.chromium.launch(executable_path=idle_chromium(launcher_dir), args=CHROMIUM_FLAGS)
                            if idle_followers else browser)
        presenter = Presenter(browser, url, talk, args.start)
        presenter.goto(args.start)
        presenter.open_room()
        # warm-up pass: every slide of the run drawn once (imports, caches), then the run without followers
        run_moves(presenter, args.moves, 0.5)
        presenter.goto(args.start)
        presses = run_moves(presenter, args.moves, args.interval, args.passes)
        line("presenter_next_slide_p95_ms_0", percentile([p[1] for p in presses], 0.95), "ms")
        print(f"# presenter alone, moves ms: {[round(p[1]) for p in presses]}", flush=True)

        for n in counts:
            presenter.goto(args.start)
            rss0 = rss_mb(proc.pid)
            sim = Followers("push", url, presenter.room, n, idle_followers)
            time.sleep(2.0)
            rss1 = rss_mb(proc.pid)
            pages = chromium_followers(audience_browser, f"{url}/room/{presenter.room}", streamlit=False, n=args.chromium_followers)
            print(f"# {n}: {sim.connected} simulated followers connected", flush=True)
            presses = run_moves(presenter, args.moves, args.interval, args.passes)
            mirror_wait = 6.0 if n == 300 else 0.0
            time.sleep(1.0 + mirror_wait)
            idle = None
            if n == 300 or (n == counts[0] and 300 not in counts):
                # after the moves, so that the moves come as soon after the followers' arrival as the run
                # without followers comes after its warm-up (see "Idle windows" above)
                presenter.goto(presenter.start)  # a text slide: no demo runs while idle
                time.sleep(2.0)
                c0, w0 = cpu_seconds(proc.pid), time.time()
                time.sleep(args.idle_s)
                idle = (cpu_seconds(proc.pid) - c0) / (time.time() - w0)
            result = sim.stop()
            lag_ms, missed = lags(presses, result, pages)
            chrome_ms, _ = lags(presses, None, pages)
            report("", n, presses, lag_ms, missed, chrome_ms)
            if idle is not None:
                line(f"server_cpu_idle_cores_{n}", idle, "cores")
            line(f"server_rss_delta_mb_{n}", rss1 - rss0, "MB")
            if n == 300:
                mirrors = [(t - at) * 1000 for _c, kind, _i, t, at in result["events"] if kind == "mirror" and at]
                if mirrors:
                    line("mirror_lag_p95_ms_300", percentile(mirrors, 0.95), "ms")
                    print(f"# mirror: {len(mirrors)} pictures received, p50 {percentile(mirrors, 0.5):.0f} ms",
                          flush=True)
                else:
                    print("# mirror_lag_p95_ms_300: no mirror message arrived (demo mirroring not in this build, "
                          "or the last slide's demo did not publish)", flush=True)
            for e in result["errors"][:5]:
                print(f"# error: {e}", flush=True)
            for page in pages:
                page.context.close()

        if args.fallback:
            n = args.fallback
            presenter.goto(args.start)
            sim = Followers("poll", url, presenter.room, n)  # normal priority: see the docstring
            pages = chromium_followers(browser, f"{url}/?room={presenter.room}", streamlit=True, n=args.chromium_followers)
            print(f"# fallback {n}: {sim.connected} polling followers connected", flush=True)
            time.sleep(3.0)
            c0, w0 = cpu_seconds(proc.pid), time.time()
            time.sleep(min(args.idle_s, 15.0))
            idle = (cpu_seconds(proc.pid) - c0) / (time.time() - w0)
            presses = run_moves(presenter, args.moves, args.interval, args.passes)
            time.sleep(5.0)
            result = sim.stop()
            lag_ms, missed = lags(presses, result, pages)
            chrome_ms, _ = lags(presses, None, pages)
            report("fallback_", n, presses, lag_ms, missed, chrome_ms)
            line(f"fallback_server_cpu_idle_cores_{n}", idle, "cores")
            for e in result["errors"][:5]:
                print(f"# error: {e}", flush=True)
        if audience_browser is not browser:
            audience_browser.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
