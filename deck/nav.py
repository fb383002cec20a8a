"""Where am I in the deck: URL query parameters <-> a slide, and schedule pacing.

Pure Python (no Streamlit). A slide's address is ``?talk=<talk-id>&section=<section-id>&slide=<n>``
with ``n`` counted from 1 inside the section. Anything unknown lands on the nearest valid slide
and comes back with a short notice for the page to show.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from .parser import Deck, Slide, Talk


@dataclass(frozen=True)
class Position:
    talk: Talk
    index: int  # 0-based in the talk

    @property
    def slide(self) -> Slide:
        return self.talk.slides[self.index]

    @property
    def count(self) -> int:
        return len(self.talk.slides)

    def moved(self, step: int) -> "Position":
        return Position(self.talk, min(max(self.index + step, 0), self.count - 1))

    def at(self, index: int) -> "Position":
        return Position(self.talk, min(max(index, 0), self.count - 1))

    def params(self) -> dict[str, str]:
        return slide_params(self.slide)


def slide_params(slide: Slide) -> dict[str, str]:
    """A slide's address as query parameters: ``talk``, ``section`` and ``slide`` (from 1 in its section)."""
    return {"talk": slide.talk_id, "section": slide.section_id, "slide": str(slide.number_in_section)}


def slide_url(slide: Slide, base: str = "", **extra) -> str:
    """The link to a slide: ``<base>/?talk=…&section=…&slide=…`` (just ``?…`` with no ``base``), plus
    any ``extra`` query parameters (e.g. ``present=1``) after the address."""
    query = urlencode({**slide_params(slide), **{k: str(v) for k, v in extra.items()}})
    return f"{base.rstrip('/')}/?{query}" if base else f"?{query}"


def resolve(deck: Deck, params: dict[str, str]) -> tuple[Position, str]:
    """Return the slide the query parameters name, and a notice ('' when they were valid)."""
    talk_id = (params.get("talk") or "").strip()
    section_id = (params.get("section") or "").strip()
    raw_slide = (params.get("slide") or "").strip()
    talk = deck.talk(talk_id) if talk_id else deck.talks[0]
    if talk is None:
        return Position(deck.talks[0], 0), f"There is no talk '{_short(talk_id)}'; showing the first talk."
    if not section_id:
        if raw_slide:
            return Position(talk, 0), "A slide number needs a section; showing the talk's first slide."
        return Position(talk, 0), ""
    section = next((s for s in talk.sections if s.id == section_id), None)
    if section is None:
        return Position(talk, 0), (f"There is no section '{_short(section_id)}' in this talk; "
                                   "showing its first slide.")
    first = section.slides[0].index
    if not raw_slide:
        return Position(talk, first), ""
    try:
        number = int(raw_slide)
    except ValueError:
        return Position(talk, first), f"Slide '{_short(raw_slide)}' is not a number; showing the section's first slide."
    if number < 1:
        return Position(talk, first), "Slides are numbered from 1; showing the section's first slide."
    if number > len(section.slides):
        return (Position(talk, section.slides[-1].index),
                f"Section '{section.title}' has {len(section.slides)} slides; showing the last one.")
    return Position(talk, section.slides[number - 1].index), ""


def _short(text: str, limit: int = 40) -> str:
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Pacing against the original schedule


def fmt_clock(minutes: float) -> str:
    minutes = int(round(minutes))
    return f"{minutes // 60:d}:{minutes % 60:02d}"


def slide_times(talk: Talk) -> list[tuple[float, float]]:
    """Planned (start, end) clock minutes of every slide.

    Inside a scheduled section the slides share the section's time in proportion to their
    ``::: minutes``; sections without a schedule follow the previous one back to back.
    """
    times: list[tuple[float, float]] = []
    clock = float(talk.sections[0].schedule[0]) if talk.sections[0].schedule else 0.0
    for section in talk.sections:
        weights = [s.minutes for s in section.slides]
        if section.schedule:
            start, end = section.schedule
            scale = (end - start) / sum(weights)
            clock = float(start)
        else:
            scale = 1.0
        for w in weights:
            times.append((clock, clock + w * scale))
            clock += w * scale
    return times


def expected_index(talk: Talk, start_index: int, elapsed_min: float) -> tuple[int, float]:
    """Which slide the schedule says we should be on, ``elapsed_min`` after starting at
    ``start_index``; also the schedule's clock time at that moment (minutes after midnight)."""
    times = slide_times(talk)
    clock = times[start_index][0] + max(elapsed_min, 0.0)
    for i in range(start_index, len(times)):
        if times[i][0] <= clock < times[i][1]:
            return i, clock
        if i + 1 < len(times) and times[i][1] <= clock < times[i + 1][0]:
            return i + 1, clock  # in a break: the next section's first slide is up next
    return len(times) - 1, clock
