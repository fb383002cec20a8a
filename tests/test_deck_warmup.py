"""The off-screen Plotly warm-up on text slides: light (no pandas), and safe while another session
is half-way through importing a module Plotly peeks at (issue #22, rss_text_slides_mb)."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from deck.demo_runner import settle_imports

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")

# Opens a text slide (index > 0, so the warm-up chart is drawn), moves once, then reports.
TEXT_SLIDE_RUN = """
import sys
from streamlit.testing.v1 import AppTest
{prelude}
at = AppTest.from_file({app!r}, default_timeout=120)
at.query_params.update(talk="fifth-elephant-2016", section="session-1", slide="3")
at.run()
assert not at.exception, at.exception
warm = len(at.get("plotly_chart"))
at.button(key="deck_next").click().run()
assert not at.exception, at.exception
print(warm, at.session_state["deck_plotly_warm"], "pandas" in sys.modules)
"""


def _run(prelude: str = "") -> list[str]:
    code = TEXT_SLIDE_RUN.format(app=APP, prelude=prelude)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ}, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1].split()


def test_text_slides_draw_the_warmup_without_importing_pandas():
    warm, flag, pandas_loaded = _run()
    assert warm == "1" and flag == "True"  # the chart that loads the browser's Plotly bundle is there
    assert pandas_loaded == "False"  # ~70 MB and seconds per server, for a 1-point chart


def test_a_half_imported_module_does_not_take_a_text_slide_down():
    # What Plotly finds in sys.modules while another session's thread is still importing numpy:
    # a module object without its attributes yet. The slide still draws; the warm-up tries again.
    prelude = "import types; sys.modules['numpy'] = types.ModuleType('numpy')"
    warm, flag, _ = _run(prelude)
    assert warm == "0"
    assert flag == "False"  # not marked done, so a later run draws it


def test_settle_imports_waits_for_another_threads_import(tmp_path, monkeypatch):
    (tmp_path / "deck_slow_settle.py").write_text("import time\ntime.sleep(0.6)\nDONE = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    worker = threading.Thread(target=__import__, args=("deck_slow_settle",))
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while "deck_slow_settle" not in sys.modules and time.monotonic() < deadline:
            time.sleep(0.005)
        assert "deck_slow_settle" in sys.modules and not hasattr(sys.modules["deck_slow_settle"], "DONE")
        settle_imports(("deck_slow_settle", "deck_module_nobody_imports"))
        assert sys.modules["deck_slow_settle"].DONE  # waited for the other thread's import to finish
        assert "deck_module_nobody_imports" not in sys.modules  # and imported nothing new
    finally:
        worker.join()
        sys.modules.pop("deck_slow_settle", None)
