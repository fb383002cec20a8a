"""Memory after every slide, and the deck under 20 concurrent visitors, against one real Streamlit server.

    python benchmarks/load.py                 # or: python -m benchmarks.load
    python -m benchmarks.load --skip-walk --sessions 5

Phase 1 (one visitor, Chromium): start the server with ``deck.serve.deck_server``, walk every slide of
both talks in Debian's Chromium and press each demo's default action once (``deck.rehearse.walk``).

rss_all_slides_mb        server RSS (process + children) after phase 1: every model the deck can load
                         is loaded once (goal <= 1500; Community Cloud's cap is 2.7 GB)
walk_error_slides        slides that showed an error or did not finish in phase 1 (goal 0)

Phase 2 (same warm server): ``--sessions`` visitors at once, each a lightweight client speaking
Streamlit's own websocket protocol over loopback (``/_stcore/stream``: ``BackMsg.rerun_script`` with the
slide's query string and widget states, the run's end read from ``ForwardMsg.script_finished``; fragment
timers (``auto_rerun``) are honoured as the browser does, and pictures are fetched from ``/media/``).
Each visitor moves through ~10 slides (text and demo slides of both talks, a pause of 0.3-1 s between)
and, on one of them, runs a training demo (Playground, painting, MNIST CNN, MNIST dense, style transfer
or live RL, in turn): opening it (Playground and painting start on their own) or pressing its train
button, then staying ``--train-seconds`` while its fragment ticks.

load_sessions            visitors in phase 2
load_errors              script exceptions, error boxes on the slide, slides or presses that did not
                         finish within ``--timeout`` s, and failed connections, summed over visitors (goal 0)
load_peak_rss_mb         highest server RSS, sampled every 0.2 s during phase 2 (goal <= 2000)
load_slide_p50_ms        slide latency under load: rerun request sent -> that run's ``script_finished``
load_slide_p95_ms          (the slide fully computed on the server), median and 95th percentile
load_slowest_slide_ms    the slowest single slide, named on the ``load_slowest_slide`` line
load_action_p95_ms       pressing a training button -> that run's end, 95th percentile
load_train_ticks         live-training fragment runs that finished during phase 2
load_train_ticks_waiting of those, ticks that found no free training slot (skipped, said so on the slide)
load_wall_s              phase 2, first connection -> last visitor done

Lines starting with ``#`` give details: errors, the slowest slide's title, each visitor's run, and the
CPU the server and this client used during phase 2 (both share the machine's cores). ``--no-train`` is
the control run: every visitor opens another demo slide in place of the training one.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from deck.nav import slide_url  # noqa: E402
from deck.parser import load_deck  # noqa: E402
from deck.rehearse import walk  # noqa: E402
from deck.serve import CHROMIUM_FLAGS, chromium_path, deck_server, rss_mb  # noqa: E402
from demos.kit.fair_share import WAITING_NOTE  # noqa: E402

# Demos whose slides train live, and the button (widget key suffix) that starts training; None: the
# slide starts training on its own (autostart).
TRAINING = {
    "playground": None,
    "painting": None,
    "mnist_cnn": "_action",       # Train 1 epoch
    "mnist_dense": "_action",     # Train live
    "style_transfer": "_action",  # Run 10 iterations
    "bubble_replay": "_laction",  # Learn live: Start (view=live only)
}
TRAINING_ORDER = ["playground", "painting", "mnist_cnn", "mnist_dense", "bubble_replay", "style_transfer"]
ERROR_FORMAT = 1  # streamlit.proto.Alert_pb2.Alert.ERROR


def percentile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def slide_name(slide) -> str:
    return f"{slide.talk_id}/{slide.section_id}/{slide.number_in_section}"


def slide_query(slide) -> str:
    return slide_url(slide).lstrip("?")


# ------------------------------------------------------------------------------------------------
# Phase 1: every slide in Chromium


def walk_every_slide(url: str, proc, max_seconds: float) -> tuple[float, list[str]]:
    from playwright.sync_api import sync_playwright

    deck = load_deck(ROOT / "slides")
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        for talk in deck.talks:
            for slide, secs, errors, _acted in walk(page, url, talk, True, max_seconds):
                if errors or secs > max_seconds:
                    problems.append(f"{slide_name(slide)} {slide.title}: "
                                    + ("; ".join(errors) if errors else f"{secs:.0f} s"))
        browser.close()
    time.sleep(1.0)  # let the server drop the browser's session
    return rss_mb(proc.pid), problems


# ------------------------------------------------------------------------------------------------
# Phase 2: websocket visitors


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.samples = pid, every, 0.0, 0
        self._done = threading.Event()

    def run(self):
        while not self._done.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self.samples += 1
            self._done.wait(self.every)

    def stop(self):
        self._done.set()
        self.join()
        self.peak = max(self.peak, rss_mb(self.pid))


@dataclass
class Run:
    """What one script run (full or fragment) drew, as far as the benchmark cares."""
    seq: int
    fragment: bool
    counter: str | None = None
    errors: list = field(default_factory=list)
    waiting: bool = False
    status: int | None = None


@dataclass
class Plan:
    slides: list          # Slide objects, in visiting order
    train_at: int         # index into slides of the training slide
    train_demo: str


class Visitor:
    """One browser tab's worth of the Streamlit protocol: rerun requests out, deltas and run ends in."""

    def __init__(self, n: int, url: str, plan: Plan, args, pool: ThreadPoolExecutor):
        self.n, self.url, self.plan, self.args, self.pool = n, url, plan, args, pool
        self.ws = None
        self.query = ""
        self.page_hash = ""
        self.widget_ids: dict[str, str] = {}  # user key -> widget id
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}
        self.seq = 0
        self.run: Run | None = None  # the newest run: deltas are drawn by it
        self.runs: dict[str, Run] = {}  # runs not finished yet, by script_run_id
        self.full_run: Run | None = None  # the newest full (not fragment) run
        self.finished: asyncio.Queue[Run] = asyncio.Queue()
        self.fetched: set[str] = set()
        self.slide_ms: list[tuple[float, str]] = []
        self.action_ms: list[float] = []
        self.errors: list[str] = []
        self.ticks = 0
        self.ticks_waiting = 0
        self.where = ""

    # -------------------------------------------------------------- sending
    async def send_rerun(self, widgets=None, fragment_id: str = "", auto: bool = False):
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = self.page_hash
        cs.context_info.url = f"{self.url}/?{self.query}"
        cs.context_info.timezone = "UTC"
        cs.context_info.locale = "en-GB"
        if fragment_id:
            cs.fragment_id = fragment_id
            cs.is_auto_rerun = auto
        for state in widgets or []:
            cs.widget_states.widgets.append(state)
        await self.ws.send(msg.SerializeToString())

    def _set_timer(self, fragment_id: str, interval: float):
        old = self.timers.get(fragment_id)
        if old and old[0] == interval:
            return
        self._clear_timer(fragment_id)

        async def tick():
            while True:
                await asyncio.sleep(interval)
                await self.send_rerun(fragment_id=fragment_id, auto=True)

        self.timers[fragment_id] = (interval, asyncio.ensure_future(tick()))

    def _clear_timer(self, fragment_id: str):
        old = self.timers.pop(fragment_id, None)
        if old:
            old[1].cancel()

    def _clear_timers(self):
        for fid in list(self.timers):
            self._clear_timer(fid)

    # -------------------------------------------------------------- receiving
    def headers(self) -> dict:
        """Extra HTTP headers of this visitor's requests (none here; a cluster visitor's sticky cookie)."""
        return {}

    def connected(self, ws) -> None:
        """Called once the visitor's WebSocket is open (a cluster visitor notes which server took it)."""

    def _fetch_media(self, url: str):
        if url in self.fetched or not url.startswith("/media/"):
            return
        self.fetched.add(url)

        def get():
            try:
                urllib.request.urlopen(urllib.request.Request(self.url + url, headers=self.headers()), timeout=30).read()
            except OSError:
                pass

        self.pool.submit(get)

    def _on_element(self, el, main: bool):
        kind = el.WhichOneof("type")
        if kind is None:
            return
        sub = getattr(el, kind)
        wid = getattr(sub, "id", "")
        if isinstance(wid, str) and wid.startswith("$$ID-") and wid.count("-") >= 2:
            self.widget_ids[wid.split("-", 2)[2]] = wid
        run = self.run
        if kind == "exception" and run is not None:
            run.errors.append(f"exception {sub.type}: {sub.message[:120]}")
        elif kind == "alert" and main and sub.format == ERROR_FORMAT and run is not None:
            run.errors.append(f"error box: {sub.body[:120]}")
        elif kind == "markdown":
            body = sub.body
            # the counter is drawn outside every fragment: it belongs to the newest full run even when
            # a fragment tick of the runner being replaced started in between
            if self.full_run is not None and "deck-counter" in body:
                start = body.find("Slide ")
                self.full_run.counter = body[start:body.find("/", start)].strip() if start >= 0 else None
            if run is not None and WAITING_NOTE in body:
                run.waiting = True
        elif kind == "alert" and WAITING_NOTE in sub.body and run is not None:
            run.waiting = True
        elif kind == "imgs":
            for img in sub.imgs:
                self._fetch_media(img.url)

    async def reader(self):
        try:
            await self._read()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a closed connection or a message we could not read
            self.errors.append(f"visitor {self.n} {self.where}: reader stopped: {type(exc).__name__}: {exc}")

    async def _read(self):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        async for data in self.ws:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                fragment = bool(msg.metadata.run.fragment_ids)
                if not fragment:
                    self._clear_timers()  # as the browser does when a full run starts
                    self.page_hash = msg.new_session.page_script_hash or self.page_hash
                self.seq += 1
                # With fastReruns a new run can start while the one it replaces is still winding down,
                # so runs are told apart by their id (deltas carry none: they go to the newest run).
                self.run = Run(self.seq, fragment)
                self.runs[msg.metadata.run.script_run_id] = self.run
                if not fragment:
                    self.full_run = self.run
            elif kind == "delta":
                d = msg.delta
                if d.WhichOneof("type") == "new_element":
                    path = list(msg.metadata.delta_path)
                    self._on_element(d.new_element, bool(path) and path[0] == 0)
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "auto_rerun":
                self._set_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
            elif kind == "stop_auto_rerun":
                for fid in msg.stop_auto_rerun.fragment_ids:
                    self._clear_timer(fid)
            elif kind == "script_finished":
                run = self.runs.pop(msg.metadata.run.script_run_id, None)
                if run is not None:
                    run.status = msg.script_finished
                    if run.errors:
                        self.errors += [f"visitor {self.n} {self.where}: {e}" for e in run.errors]
                    # A fragment tick that ends while the next tick is already queued reports
                    # FINISHED_EARLY_FOR_RERUN although it drew everything: count both.
                    if run.fragment and msg.script_finished in (ForwardMsg.FINISHED_EARLY_FOR_RERUN,
                                                                ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                        self.ticks += 1
                        self.ticks_waiting += run.waiting
                    self.finished.put_nowait(run)
                    if run is self.run:
                        self.run = None

    async def wait_run(self, after_seq: int, counter: str | None, timeout: float) -> Run | None:
        """The next full run that started after ``after_seq`` and finished successfully (showing
        ``counter``, e.g. "Slide 36", when given); None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                run = await asyncio.wait_for(self.finished.get(), left)
            except asyncio.TimeoutError:
                return None
            if run.fragment or run.seq <= after_seq or run.status != 0:
                continue
            if counter is None or run.counter == counter:
                return run

    # -------------------------------------------------------------- the visit
    async def goto(self, slide) -> bool:
        self.where = f"{slide_name(slide)} ({slide.title})"
        self.query = slide_query(slide)
        seq = self.seq
        t0 = time.perf_counter()
        await self.send_rerun()
        run = await self.wait_run(seq, f"Slide {slide.index + 1}", self.args.timeout)
        if run is None:
            self.errors.append(f"visitor {self.n} {self.where}: no finished run in {self.args.timeout:g} s")
            return False
        self.slide_ms.append(((time.perf_counter() - t0) * 1000, f"{slide_name(slide)} {slide.title}"))
        return True

    async def press(self, suffix: str) -> bool:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        keys = [k for k in self.widget_ids if k.endswith(suffix)]
        if not keys:
            self.errors.append(f"visitor {self.n} {self.where}: no button with a key ending in {suffix}")
            return False
        state = WidgetState(id=self.widget_ids[keys[0]], trigger_value=True)
        seq = self.seq
        t0 = time.perf_counter()
        await self.send_rerun([state])
        run = await self.wait_run(seq, None, self.args.timeout)
        if run is None:
            self.errors.append(f"visitor {self.n} {self.where}: pressing {keys[0]} did not finish in "
                               f"{self.args.timeout:g} s")
            return False
        self.action_ms.append((time.perf_counter() - t0) * 1000)
        return True

    async def visit(self, start_delay: float):
        from websockets.asyncio.client import connect

        await asyncio.sleep(start_delay)
        rng = random.Random(1000 + self.n)
        ws_url = self.url.replace("http://", "ws://") + "/_stcore/stream"
        try:
            async with connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=60,
                               ping_interval=None, additional_headers=self.headers()) as ws:
                self.ws = ws
                self.connected(ws)
                reader = asyncio.ensure_future(self.reader())
                try:
                    for i, slide in enumerate(self.plan.slides):
                        self.widget_ids.clear()
                        ok = await self.goto(slide)
                        if ok and i == self.plan.train_at:
                            suffix = TRAINING[self.plan.train_demo]
                            if suffix:
                                await self.press(suffix)
                            await asyncio.sleep(self.args.train_seconds)
                        await asyncio.sleep(rng.uniform(0.3, 1.0))
                finally:
                    self._clear_timers()
                    reader.cancel()
        except Exception as exc:  # a refused or dropped connection is an error, not a crash
            self.errors.append(f"visitor {self.n} {self.where}: {type(exc).__name__}: {exc}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (Linux /proc), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def make_plans(deck, sessions: int, slides_per_session: int, train: bool = True) -> list[Plan]:
    text, demo, trainers = [], [], {name: [] for name in TRAINING}
    for talk in deck.talks:
        for s in talk.slides:
            names = [seg.demo for seg in s.demos]
            if not names:
                text.append(s)
                continue
            kinds = [n for n in names if n in TRAINING]
            if kinds:
                k = kinds[0]
                if k != "bubble_replay" or s.demos[0].opts.get("view") == "live":
                    trainers[k].append(s)
                continue  # other training slides would start training too (autostart)
            demo.append(s)
    plans = []
    for i in range(sessions):
        rng = random.Random(i)
        kind = TRAINING_ORDER[i % len(TRAINING_ORDER)]
        n_demo = max(1, (slides_per_session - 1) * 2 // 5)
        n_text = max(1, slides_per_session - 1 - n_demo)
        chosen = rng.sample(text, n_text) + rng.sample(demo, n_demo)
        rng.shuffle(chosen)
        at = rng.randrange(1, len(chosen))
        if train:
            chosen.insert(at, rng.choice(trainers[kind]))
        else:  # the control run: another demo slide in its place, nothing trains
            chosen.insert(at, rng.choice([d for d in demo if d not in chosen]))
            at = -1
        plans.append(Plan(chosen, at, kind if train else ""))
    return plans


async def run_load(url: str, plans: list[Plan], args) -> list[Visitor]:
    pool = ThreadPoolExecutor(max_workers=6)
    visitors = [Visitor(i, url, plan, args, pool) for i, plan in enumerate(plans)]
    # Visitors arrive over ~2 s, as a room opening the same link does.
    await asyncio.gather(*(v.visit(i * 2.0 / max(1, len(visitors))) for i, v in enumerate(visitors)))
    pool.shutdown(wait=True)
    return visitors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.load")
    ap.add_argument("--sessions", type=int, default=20, help="concurrent visitors in phase 2")
    ap.add_argument("--slides", type=int, default=10, help="slides each visitor opens")
    ap.add_argument("--train-seconds", type=float, default=6.0, help="time on the training slide")
    ap.add_argument("--timeout", type=float, default=60.0, help="slowest acceptable slide or press")
    ap.add_argument("--skip-walk", action="store_true", help="skip phase 1 (the Chromium walk)")
    ap.add_argument("--no-train", action="store_true",
                    help="control run: phase 2 visitors open another demo slide instead of training")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="phase 1: slowest acceptable slide")
    args = ap.parse_args(argv)

    deck = load_deck(ROOT / "slides")
    with deck_server() as (url, proc, start_s):
        print(f"# server healthy after {start_s:.1f} s", flush=True)
        if not args.skip_walk:
            rss, problems = walk_every_slide(url, proc, args.max_seconds)
            print(f"rss_all_slides_mb {rss:.0f} MB")
            print(f"walk_error_slides {len(problems)} count")
            for p in problems:
                print(f"#   {p}")
            sys.stdout.flush()
        plans = make_plans(deck, args.sessions, args.slides, train=not args.no_train)
        sampler = RssSampler(proc.pid)
        sampler.start()
        t0, server_cpu0, own_cpu0 = time.perf_counter(), cpu_seconds(proc.pid), time.process_time()
        visitors = asyncio.run(run_load(url, plans, args))
        wall = time.perf_counter() - t0
        server_cpu, own_cpu = cpu_seconds(proc.pid) - server_cpu0, time.process_time() - own_cpu0
        sampler.stop()
        if proc.poll() is not None:
            print(f"# the server exited with {proc.returncode} during the load")

    slides = [x for v in visitors for x in v.slide_ms]
    actions = [x for v in visitors for x in v.action_ms]
    errors = [e for v in visitors for e in v.errors]
    print(f"load_sessions {len(visitors)} count")
    print(f"load_errors {len(errors)} count")
    print(f"load_peak_rss_mb {sampler.peak:.0f} MB")
    if slides:
        ms = [m for m, _ in slides]
        slow_ms, slow_name = max(slides)
        print(f"load_slide_p50_ms {statistics.median(ms):.0f} ms")
        print(f"load_slide_p95_ms {percentile(ms, 0.95):.0f} ms")
        print(f"load_slowest_slide_ms {slow_ms:.0f} ms")
        print(f"load_slowest_slide {slow_name.split()[0]} slide")
        print(f"#   slowest: {slow_name}")
        print(f"#   slides timed: {len(ms)}")
    if actions:
        print(f"load_action_p95_ms {percentile(actions, 0.95):.0f} ms")
    print(f"load_train_ticks {sum(v.ticks for v in visitors)} count")
    print(f"load_train_ticks_waiting {sum(v.ticks_waiting for v in visitors)} count")
    print(f"load_wall_s {wall:.1f} s")
    print(f"#   CPU during phase 2: server {server_cpu / wall:.2f} cores, this client {own_cpu / wall:.2f} cores")
    for v in visitors:
        where = slide_name(v.plan.slides[v.plan.train_at]) if v.plan.train_at >= 0 else "-"
        print(f"#   visitor {v.n}: {v.plan.train_demo or 'no training'} on {where}, "
              f"{len(v.slide_ms)}/{len(v.plan.slides)} slides, {v.ticks} ticks ({v.ticks_waiting} waiting)"
              + (f", slowest {max(v.slide_ms)[0]:.0f} ms" if v.slide_ms else ""))
    for e in errors[:40]:
        print(f"#   {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
