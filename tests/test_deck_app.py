"""AppTest of the deck: every slide of every section renders, and the controls move as they should.

The walk discovers slides from the slide files, so a new slide or section needs no new test code.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from deck import live
from deck.demo_runner import demo_key_prefix, slide_place
from deck.moves import MAX_PRESSES, PRESS_KEY, parse_presses
from deck.parser import load_deck

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
FIXTURE = ROOT / "tests" / "fixtures" / "slides"


def new_app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def title(at: AppTest) -> str:
    return at.main.header[0].value


def press(at: AppTest, *actions: str) -> AppTest:
    """Press as the browser's key handler does (deck/client.py): numbered presses in the hidden box."""
    done = at.session_state["deck_press_done"] if "deck_press_done" in at.session_state else 0
    text = " ".join(f"{done + k + 1}:{a}" for k, a in enumerate(actions))
    return at.text_input(key=PRESS_KEY).set_value(text).run()


def sidebar_html(at: AppTest) -> str:
    return at.sidebar.get("html")[0].proto.body


def counter(at: AppTest) -> str:
    return next(m.value for m in at.main.markdown if "deck-counter" in m.value)


@pytest.fixture
def fixture_deck(monkeypatch):
    monkeypatch.setenv("DECK_SLIDES_DIR", str(FIXTURE))


def _sections():
    deck = load_deck(ROOT / "slides")
    return [pytest.param(t.id, sec.id, [(s.number_in_section, s.title) for s in sec.slides],
                         id=f"{t.id}/{sec.id}") for t in deck.talks for sec in t.sections]


@pytest.mark.parametrize("talk_id, section_id, slides", _sections())
def test_every_slide_renders(talk_id, section_id, slides):
    """Open every slide of every section by its URL: no exception, the right title, no error box."""
    at = AppTest.from_file(APP, default_timeout=120)
    for number, slide_title in slides:
        at.query_params.clear()
        at.query_params.update({"talk": talk_id, "section": section_id, "slide": str(number)})
        at.run()
        where = f"{talk_id}/{section_id}/{number}"
        assert not at.exception, f"{where}: {at.exception}"
        assert title(at) == slide_title, where
        assert not at.main.error, f"{where}: {[e.value for e in at.main.error]}"
        assert not at.main.warning or all("demo" in w.value.lower() or "upload" in w.value.lower()
                                          for w in at.main.warning), where


def keys(at: AppTest, text: str) -> AppTest:
    """What the browser's key handler does: write its latest numbered presses into the hidden box."""
    return at.text_input(key=PRESS_KEY).set_value(text).run()


def test_numbered_presses_count_once_each(fixture_deck):
    at = new_app()
    keys(at, "1:next")
    assert title(at) == "Alpha Two"
    at.run()  # the same presses again (an echo with a fragment's rerun): nothing moves
    assert title(at) == "Alpha Two"
    keys(at, "1:next 2:next 3:next")  # two quick presses arrive together, the first one again
    assert title(at) == "Beta One" and at.query_params["slide"] == "1"
    keys(at, "1:next 2:next 3:next 4:prev 5:present")
    assert title(at) == "Alpha Three" and at.query_params["present"] == "1"
    keys(at, "4:prev 5:present 6:next 7:last 8:next 9:next")  # the end of the talk holds
    assert title(at) == "Beta Two" and at.query_params["present"] == "1"
    keys(at, "9:next 10:prev 11:first 12:present 13:next")
    assert title(at) == "Alpha Two" and "present" not in at.query_params
    keys(at, "12:present 13:next 14:nonsense x:next 15 :: 16:prev")  # junk is skipped, 16 counts
    assert title(at) == "Alpha One" and not at.exception


def test_parse_presses_is_ordered_and_bounded():
    assert parse_presses("3:next 1:prev 2:present") == [(1, "prev"), (2, "present"), (3, "next")]
    assert parse_presses(None) == [] and parse_presses("-1:next 1:jump 9 " * 3) == []
    many = " ".join(f"{n}:next" for n in range(1, 501))
    assert [n for n, _ in parse_presses(many)] == list(range(501 - MAX_PRESSES, 501))


def test_the_same_presses_delivered_again_move_once_per_number(fixture_deck):
    """The echo that used to double a press: the same numbered presses in several reruns."""
    at = new_app()
    for _ in range(3):
        at.text_input(key=PRESS_KEY).set_value("1:next 2:next")
        at.run()
    assert title(at) == "Alpha Three"


def test_quick_presses_on_text_slides_all_count(fixture_deck):
    at = new_app()
    for _ in range(3):
        at.button(key="deck_next").click().run()
    assert title(at) == "Beta One"


def test_next_prev_first_last(fixture_deck):
    at = new_app()
    assert title(at) == "Alpha One"
    assert at.query_params["slide"] == "1" and at.query_params["section"] == "first"
    assert at.button(key="deck_prev").disabled
    at.button(key="deck_next").click().run()
    assert title(at) == "Alpha Two" and counter(at).startswith("<span class='deck-counter'>Slide 2 / 5")
    assert at.query_params["slide"] == "2"
    press(at, "last")
    assert title(at) == "Beta Two" and at.query_params["section"] == "second"
    assert at.button(key="deck_next").disabled
    at.button(key="deck_prev").click().run()
    assert title(at) == "Beta One"
    press(at, "first")
    assert title(at) == "Alpha One"


def test_deep_link_and_sidebar(fixture_deck):
    at = new_app(talk="alpha-talk", section="second", slide="2")
    assert title(at) == "Beta Two"
    side = sidebar_html(at)  # one HTML block (deck/sidebar.py): its buttons hand presses to the key handler
    assert 'data-deck-press="goto:alpha-talk:0"' in side and 'data-deck-press="goto:beta-talk:0"' in side
    assert 'data-deck-jump="alpha-talk"' in side and '<option value="3. Alpha Three">' in side
    assert 'class="deck-here">Second' in side  # the section shown is marked
    press(at, "goto:alpha-talk:0")  # a section button
    assert title(at) == "Alpha One"
    press(at, "goto:alpha-talk:2")  # the jump box: "3"
    assert title(at) == "Alpha Three"
    press(at, "goto:beta-talk:0")  # the other talk
    assert title(at) == "Gamma One" and at.query_params["talk"] == "beta-talk"
    press(at, "goto:beta-talk:999", "goto:no-talk:1", "goto:beta-talk:-1")  # clamped, unknown, malformed
    assert title(at) == sorted(load_deck(FIXTURE).talk("beta-talk").slides, key=lambda s: s.index)[-1].title
    assert not at.exception


def test_bad_url_lands_nearby_with_notice(fixture_deck):
    at = new_app(talk="alpha-talk", section="second", slide="42")
    assert title(at) == "Beta Two"
    assert "has 2 slides" in at.main.warning[0].value
    assert at.query_params["slide"] == "2"  # the URL now names the slide shown
    at = new_app(talk="no-such-talk")
    assert title(at) == "Alpha One" and "no talk" in at.main.warning[0].value
    assert not at.exception


def test_present_mode_toggle_and_flag(fixture_deck):
    at = new_app(talk="alpha-talk", section="first", slide="3")
    assert "Present mode (P)" in sidebar_html(at)
    press(at, "present")
    assert at.query_params["present"] == "1" and title(at) == "Alpha Three"
    assert len(at.sidebar.get("html")) == 0 and len(at.sidebar.button) == 0  # no sidebar in present mode
    at.button(key="deck_next").click().run()
    assert at.query_params["present"] == "1" and title(at) == "Beta One"
    press(at, "present")
    assert "present" not in at.query_params and title(at) == "Beta One"


def test_malformed_slide_file_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    talk = tmp_path / "t"
    talk.mkdir()
    (talk / "talk.toml").write_text('title = "x"\ndate = "2016"\nspeaker = "y"\n', encoding="utf-8")
    (talk / "01-a.md").write_text("title: S\n---\nno title\n", encoding="utf-8")
    monkeypatch.setenv("DECK_SLIDES_DIR", str(tmp_path))
    at = new_app()
    assert not at.exception
    assert "01-a.md:3:" in at.main.error[0].value


def test_presenter_view_follows_channel(fixture_deck):
    channel = live.new_channel()
    at = new_app(view="presenter", ch=channel)
    assert "Waiting for the deck window" in at.main.info[0].value
    deck = load_deck(FIXTURE)
    live.publish(channel, "alpha-talk", 1)
    at.run()
    assert at.main.header[0].value == "Alpha Two"
    assert any("A diagram." in m.value for m in at.main.markdown)
    assert any("**Next:** Alpha Three" in m.value for m in at.main.markdown)
    at.button(key="pv_start").click().run()
    assert at.main.metric[0].label == "Elapsed"
    assert any("you should be on **slide" in m.value for m in at.main.markdown)
    assert deck.talks[0].slides[1].title == "Alpha Two"


def test_deck_window_publishes_its_position(fixture_deck):
    at = new_app(talk="alpha-talk", section="second", slide="1")
    channel = at.session_state["deck_channel"]
    assert live.read(channel).index == 3
    at.button(key="deck_next").click().run()
    assert live.read(channel).index == 4


def test_title_slide_does_not_import_torch():
    """The first slide must stay light: run the app in a fresh interpreter and look at sys.modules."""
    code = ("import sys; from streamlit.testing.v1 import AppTest; "
            f"at = AppTest.from_file({APP!r}, default_timeout=60).run(); "
            "assert not at.exception, at.exception; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ}, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_demo_url_settings_stay_with_their_slide(fixture_deck):
    at = new_app(talk="alpha-talk", section="first", slide="2", pg_seed="7")
    assert at.query_params["pg_seed"] == "7"  # kept while on its slide
    at.button(key="deck_next").click().run()
    assert "pg_seed" not in at.query_params


def test_demo_key_prefix_names_its_slide():
    deck = load_deck(ROOT / "slides")
    for talk in deck.talks:
        for slide in talk.slides:
            for n, seg in enumerate(slide.demos):
                assert slide_place(demo_key_prefix(seg.demo, slide, n)) == (slide.index, n)
    for outside in ("playground", "bubble_play", "x_1", "_3_4", "a_b_4", ""):
        assert slide_place(outside) is None, outside


def test_presses_carried_over_from_a_restarted_server_are_not_replayed(fixture_deck):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PRESS_KEY] = "1:next 2:next 3:next"  # the page's box, sent before the first run
    at.run()
    assert title(at) == "Alpha One"
    keys(at, "1:next 2:next 3:next 4:next")  # the next real press counts, once
    assert title(at) == "Alpha Two"


def test_a_demo_slide_pauses_once_between_its_frame_and_its_demo(monkeypatch):
    """On a demo slide's first draw the engine pauses FRAME_PAINT_S after the title, text and navigation
    (the browser paints the new slide before the demo's charts arrive); a rerun on the same slide and a
    text slide do not pause."""
    import types

    import deck.app as deck_app
    from deck.nav import slide_params

    monkeypatch.delenv("DECK_SLIDES_DIR", raising=False)
    pauses = []
    monkeypatch.setattr(deck_app, "time", types.SimpleNamespace(sleep=pauses.append))
    talk = load_deck(ROOT / "slides").talks[0]
    demo = next(s for s in talk.slides if [seg.demo for seg in s.demos] == ["neuron"])
    text = next(s for s in talk.slides if not s.demos and s.index > 0)
    at = new_app(**slide_params(demo))
    assert title(at) == demo.title and pauses == [deck_app.FRAME_PAINT_S]
    at.run()
    assert pauses == [deck_app.FRAME_PAINT_S]
    at = new_app(**slide_params(text))
    assert title(at) == text.title and pauses == [deck_app.FRAME_PAINT_S]



def test_a_fragment_tick_as_a_run_ends_is_asked_again_not_given_a_new_runner():
    """deck/runfix.py: Streamlit's AppSession, patched once by the deck, defers a fragment's rerun that the
    ending ScriptRunner refused (a new runner now would drop the ended run's last messages); a full rerun, or
    a fragment's when no runner is left, goes on to Streamlit's own _create_scriptrunner."""
    import types

    from streamlit.runtime.app_session import AppSession

    import deck.app  # noqa: F401  (installs the patch)
    from deck import runfix

    runfix.install()  # idempotent: one wrapper, not two
    assert AppSession.request_rerun.__name__ == "request_rerun_remembering"
    later = []
    loop = types.SimpleNamespace(call_later=lambda *a: later.append(a))
    ending = object()
    fragment, full = types.SimpleNamespace(fragment_id="f1"), types.SimpleNamespace(fragment_id=None)

    def session(runner):
        return types.SimpleNamespace(_scriptrunner=runner, _event_loop=loop, _deck_asking="client state")

    racing = session(ending)
    AppSession._create_scriptrunner(racing, fragment)  # a fragment tick while the ended runner is current
    assert later == [(runfix.RETRY_S, AppSession.request_rerun, racing, "client state")]
    for stub, data in ((session(None), fragment), (session(ending), full)):
        # Streamlit's own method runs (and, on a stub session, stops at the first attribute it lacks)
        with pytest.raises(AttributeError, match="_script_event_loop"):
            AppSession._create_scriptrunner(stub, data)
    assert len(later) == 1
