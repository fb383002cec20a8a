"""URL <-> slide resolution and schedule pacing."""
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from deck import nav
from deck.parser import load_deck

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "slides"


@pytest.fixture(scope="module")
def deck():
    return load_deck(FIXTURE)


def test_valid_address_round_trips(deck):
    talk = deck.talks[0]
    for slide in talk.slides:
        pos, notice = nav.resolve(deck, nav.Position(talk, slide.index).params())
        assert notice == "" and pos.index == slide.index


def test_slide_url_names_the_slide_and_resolves_back(deck):
    for talk in deck.talks:
        for slide in talk.slides:
            url = nav.slide_url(slide, "http://host:8501/", present=1)
            parts = urlsplit(url)
            assert (parts.netloc, parts.path) == ("host:8501", "/")
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            assert params == {"talk": talk.id, "section": slide.section_id,
                              "slide": str(slide.number_in_section), "present": "1"}
            pos, notice = nav.resolve(deck, params)
            assert notice == "" and (pos.talk.id, pos.index) == (talk.id, slide.index)
            assert nav.slide_url(slide) == "?" + parts.query.replace("&present=1", "")


@pytest.mark.parametrize("params, talk_id, index, words", [
    ({}, "alpha-talk", 0, ""),
    ({"talk": "beta-talk"}, "beta-talk", 0, ""),
    ({"talk": "nope"}, "alpha-talk", 0, "no talk"),
    ({"talk": "alpha-talk", "section": "nope", "slide": "2"}, "alpha-talk", 0, "no section"),
    ({"talk": "alpha-talk", "section": "second", "slide": "99"}, "alpha-talk", 4, "has 2 slides"),
    ({"talk": "alpha-talk", "section": "second", "slide": "0"}, "alpha-talk", 3, "numbered from 1"),
    ({"talk": "alpha-talk", "section": "second", "slide": "x<script>"}, "alpha-talk", 3, "not a number"),
    ({"talk": "alpha-talk", "section": "second"}, "alpha-talk", 3, ""),
    ({"talk": "alpha-talk", "slide": "3"}, "alpha-talk", 0, "needs a section"),
])
def test_bad_addresses_land_nearby_with_notice(deck, params, talk_id, index, words):
    pos, notice = nav.resolve(deck, params)
    assert (pos.talk.id, pos.index) == (talk_id, index)
    assert (words in notice) if words else notice == ""


def test_notice_strips_unprintable_and_long_text(deck):
    _, notice = nav.resolve(deck, {"talk": "\x00" + "a" * 500})
    assert "\x00" not in notice and len(notice) < 120


def test_moves_clamp_at_ends(deck):
    talk = deck.talks[0]
    assert nav.Position(talk, 0).moved(-1).index == 0
    assert nav.Position(talk, 4).moved(1).index == 4
    assert nav.Position(talk, 2).at(99).index == 4


def test_slide_times_fill_each_scheduled_section(deck):
    talk = deck.talks[0]
    times = nav.slide_times(talk)
    # section 1: 09:30-10:00 shared 2:1:1 by its three slides
    assert times[0] == (570.0, 585.0) and times[2][1] == 600.0
    # section 2 starts at its own 10:15 after the break
    assert times[3] == (615.0, 630.0) and times[4][1] == 645.0


def test_expected_index_follows_the_clock(deck):
    talk = deck.talks[0]
    assert nav.expected_index(talk, 0, 0)[0] == 0
    assert nav.expected_index(talk, 0, 16)[0] == 1
    index, clock = nav.expected_index(talk, 0, 31)  # 10:01, in the break: next section is up
    assert index == 3 and nav.fmt_clock(clock) == "10:01"
    assert nav.expected_index(talk, 0, 500)[0] == 4
    assert nav.expected_index(talk, 3, 20)[0] == 4  # started the timer at section 2
