"""What demo mirroring (issue #21, ``demos/kit/mirror.py``) costs the presenter, and what it sends.

    python benchmarks/mirror.py            # or: python -m benchmarks.mirror

Runs inside a Streamlit session (``AppTest``, the same code path as the deck) with the hub replaced by a
counter, so only the mirror's own work is measured:

mirror_publish_nosink_us          ``publish`` in a session that presents no room (every visitor but the
                                  presenter): the look-up of the session's sink, nothing else
mirror_publish_<demo>_ms          ``publish`` on the presenter's thread, as each demo calls it (painting:
                                  its PNG bytes; playground: the boundary picture, computed only while
                                  mirrored; bubble: the board picture), median of --calls
mirror_encode_<demo>_ms           the worker thread's downsize + encode of that picture (off the script thread)
mirror_image_<demo>_kb            the encoded picture sent to followers (limit 60 kB)
mirror_sent_per_s                 updates that reach the hub when a demo publishes 50 a second (limit 4)

Every figure is one ``name value unit`` line.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCRIPT = '''
import statistics, time
import numpy as np
import streamlit as st
import torch
from demos.kit import mirror
from deck import mirror as deck_mirror
torch.set_num_threads(1)
N = {calls}
out = {{}}

def median_ms(fn, n=N):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e3

deck_mirror.attach(st.session_state, "", "", "t", 0)
out["nosink_us"] = median_ms(lambda: mirror.publish("painting_t_1_0", image=b"png"), n=20 * N) * 1e3

from models.basics.painting import sample_image, to_png
from models.basics.playground import PlaygroundConfig, PlaygroundRun
from demos.playground import boundary_picture
from demos.bubble_play import COLOURS
from models.bubble import engine as E
png = to_png(sample_image("chelsea", 200))
run = PlaygroundRun(PlaygroundConfig("spiral", 0.1, 0.5, ("x", "y", "sinx", "siny"), (8, 8), "tanh",
                                     0.03, 0.0, 10, 0).validate())
run.train_epochs(200)
board = E.Game.of_size(1000000000, "full").board
pictures = {{"painting": lambda: png, "playground": lambda: boundary_picture(run),
             "bubble": lambda: mirror.grid_picture(board.T[::-1, ::-1], COLOURS, 24)}}
deck_mirror.attach(st.session_state, "bench-room", "presenter", "t", 1)
for name, make in pictures.items():
    data = {{"epoch": 200, "loss": mirror.thin([[e, a, b] for e, a, b in run.history])}}
    out[name + "_ms"] = median_ms(lambda: mirror.publish("d_t_1_0", image=make() if name == "painting" else make,
                                                         text="caption", data=data))
    mirror.flush(5.0)
    pic = make()
    out[name + "_encode_ms"] = median_ms(lambda: mirror.encode_image(pic), n=max(5, N // 10))
    out[name + "_kb"] = len(mirror.encode_image(pic).split(",", 1)[1]) * 3 / 4 / 1000
st.session_state["bench"] = out
'''


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=200, help="publish calls per figure (median)")
    args = ap.parse_args(argv)

    from streamlit.testing.v1 import AppTest

    from deck import hub
    from demos.kit import mirror

    sent = []
    hub.broadcast = lambda room, msg: sent.append((time.monotonic(), json.dumps(msg)))
    at = AppTest.from_string(SCRIPT.format(calls=args.calls), default_timeout=600).run()
    if at.exception:
        raise SystemExit(f"benchmark script failed: {at.exception[0].value}")
    out = at.session_state["bench"]
    print(f"mirror_publish_nosink_us {out['nosink_us']:.2f} us")
    for name in ("painting", "playground", "bubble"):
        print(f"mirror_publish_{name}_ms {out[name + '_ms']:.3f} ms")
        print(f"mirror_encode_{name}_ms {out[name + '_encode_ms']:.1f} ms")
        print(f"mirror_image_{name}_kb {out[name + '_kb']:.1f} kB")

    sink = mirror.Sink("rate-room", lambda m: sent.append((time.monotonic(), m)))
    mirror.flush(5.0)
    sent.clear()
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 3.0:
        mirror.publish("d", text=f"frame {n}", sink=sink)
        n += 1
        time.sleep(0.02)
    mirror.flush(5.0)
    span = sent[-1][0] - sent[0][0] if len(sent) > 1 else 1.0
    print(f"mirror_sent_per_s {(len(sent) - 1) / span:.2f} 1/s")
    print(f"# offered {n} updates in 3 s; {len(sent)} sent; last sent = last offered: "
          f"{sent[-1][1].get('text') == f'frame {n - 1}'}")


if __name__ == "__main__":
    main()
