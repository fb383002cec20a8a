"""Slide-file parser: turns the Markdown files under ``slides/`` into plain data.

No Streamlit here, so it can be unit-tested and used by the CLI checks.

Layout::

    slides/<talk-id>/talk.toml          title, subtitle, date, speaker, venue, order
    slides/<talk-id>/NN-<section>.md    one section: a header block, then slides

A section file starts with a header block of ``key: value`` lines (``title`` is
required, ``schedule: 09:30-11:00`` is optional), then slides separated by lines
that are exactly ``---``. Each slide starts with ``## Title``. Inside a slide:

* ordinary Markdown is shown as it is;
* a fenced block opened with ```` ```dot ```` is drawn as a Graphviz diagram;
* ``::: demo NAME key=value key2="two words"`` places the live demo ``demos/NAME.py``;
* ``::: minutes 3`` says how long the slide takes to present (default 1);
* a line starting ``Note:`` begins the speaker notes, which run to the slide's end.

Errors name the file and line: ``slides/x/01-a.md:12: slide has no '## Title' line``.
"""
from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DIRECTIVE = re.compile(r"^:::\s*(\w+)\s*(.*)$")
SECTION_FILE = re.compile(r"^(\d+)-([a-z0-9][a-z0-9-]*)\.md$")
SCHEDULE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
KNOWN_DIRECTIVES = {"demo", "minutes"}


class SlideFileError(ValueError):
    """A malformed slide file; the message starts with ``path:line:``."""

    def __init__(self, path: Path | str, line: int, message: str):
        self.path, self.line, self.reason = str(path), line, message
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class Segment:
    """One piece of a slide body, shown in order."""

    kind: str  # "markdown" | "dot" | "demo"
    text: str = ""  # Markdown or DOT source
    demo: str = ""  # demo module name for kind == "demo"
    options: tuple[tuple[str, str], ...] = ()  # demo options, in the order written

    @property
    def opts(self) -> dict[str, str]:
        return dict(self.options)


@dataclass
class Slide:
    title: str
    segments: list[Segment]
    notes: str
    minutes: float
    source: str  # "path:line" of the title, for error messages
    talk_id: str = ""
    section_id: str = ""
    number_in_section: int = 0  # 1-based
    index: int = 0  # 0-based position in the whole talk

    @property
    def demos(self) -> list[Segment]:
        return [s for s in self.segments if s.kind == "demo"]


@dataclass
class Section:
    id: str
    title: str
    schedule: tuple[int, int] | None  # minutes after midnight (start, end)
    slides: list[Slide] = field(default_factory=list)
    path: str = ""


@dataclass
class Talk:
    id: str
    title: str
    subtitle: str
    date: str
    speaker: str
    venue: str
    order: int
    sections: list[Section] = field(default_factory=list)

    @property
    def slides(self) -> list[Slide]:
        return [s for sec in self.sections for s in sec.slides]


@dataclass
class Deck:
    talks: list[Talk]

    def talk(self, talk_id: str) -> Talk | None:
        return next((t for t in self.talks if t.id == talk_id), None)


def _parse_directive(args: str, kind: str, path: Path, line: int) -> tuple[str, tuple]:
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise SlideFileError(path, line, f"cannot read directive arguments: {exc}") from None
    if kind == "minutes":
        try:
            value = float(words[0]) if len(words) == 1 else None
        except ValueError:
            value = None
        if value is None or value <= 0:
            raise SlideFileError(path, line, "'::: minutes' needs one positive number")
        return str(value), ()
    if not words or not re.fullmatch(r"[a-z_][a-z0-9_]*", words[0]):
        raise SlideFileError(path, line, "'::: demo' needs a demo name (lower-case module name)")
    options = []
    for word in words[1:]:
        if "=" not in word:
            raise SlideFileError(path, line, f"demo option {word!r} is not key=value")
        key, value = word.split("=", 1)
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", key):
            raise SlideFileError(path, line, f"bad demo option name {key!r}")
        options.append((key, value))
    return words[0], tuple(options)


def parse_slide(lines: list[tuple[int, str]], path: Path) -> Slide:
    """Parse one slide from (line number, text) pairs."""
    content = [(n, t) for n, t in lines]
    while content and not content[0][1].strip():
        content.pop(0)
    if not content:
        raise SlideFileError(path, lines[0][0] if lines else 1, "empty slide between '---' lines")
    first_no, first = content[0]
    if not first.startswith("## ") or not first[3:].strip():
        raise SlideFileError(path, first_no, "slide has no '## Title' line (it must come first)")
    title = first[3:].strip()
    segments: list[Segment] = []
    buf: list[str] = []
    notes: list[str] | None = None
    minutes = 1.0
    fence: str | None = None  # None, "dot" or "code"
    fence_line = 0

    def flush_markdown():
        text = "\n".join(buf).strip("\n")
        if text.strip():
            segments.append(Segment("markdown", text=text))
        buf.clear()

    for no, text in content[1:]:
        if notes is not None:
            notes.append(text)
            continue
        stripped = text.strip()
        if fence == "dot":
            if stripped == "```":
                segments.append(Segment("dot", text="\n".join(buf)))
                buf.clear()
                fence = None
            else:
                buf.append(text)
            continue
        if fence == "code":
            buf.append(text)
            if stripped.startswith("```"):
                fence = None
            continue
        if stripped.startswith("```"):
            if stripped[3:].strip() == "dot":
                flush_markdown()
                fence, fence_line = "dot", no
            else:
                buf.append(text)
                fence, fence_line = "code", no
            continue
        match = DIRECTIVE.match(stripped)
        if match:
            kind, args = match.group(1), match.group(2)
            if kind not in KNOWN_DIRECTIVES:
                raise SlideFileError(path, no, f"unknown directive '::: {kind}' (known: demo, minutes)")
            name, options = _parse_directive(args, kind, path, no)
            if kind == "minutes":
                minutes = float(name)
            else:
                flush_markdown()
                segments.append(Segment("demo", demo=name, options=options))
            continue
        if stripped.startswith("Note:"):
            flush_markdown()
            notes = [stripped[len("Note:"):].strip()]
            continue
        buf.append(text)
    if fence:
        raise SlideFileError(path, fence_line, "code fence is never closed")
    flush_markdown()
    note_text = "\n".join(notes).strip() if notes is not None else ""
    return Slide(title=title, segments=segments, notes=note_text, minutes=minutes,
                 source=f"{path}:{first_no}")


def _split_blocks(text: str) -> list[list[tuple[int, str]]]:
    """Split on lines that are exactly '---', ignoring those inside code fences."""
    blocks: list[list[tuple[int, str]]] = [[]]
    in_fence = False
    for no, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("```"):
            in_fence = not in_fence
        if line.rstrip() == "---" and not in_fence:
            blocks.append([])
        else:
            blocks[-1].append((no, line))
    return blocks


def parse_schedule(value: str, path: Path, line: int) -> tuple[int, int]:
    match = SCHEDULE.match(value.strip())
    if not match:
        raise SlideFileError(path, line, f"schedule {value!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if not (0 <= start < end <= 24 * 60) or m1 > 59 or m2 > 59:
        raise SlideFileError(path, line, f"schedule {value!r} must run forwards within one day")
    return start, end


def parse_section(path: Path, section_id: str) -> Section:
    text = path.read_text(encoding="utf-8")
    blocks = _split_blocks(text)
    header, slide_blocks = blocks[0], blocks[1:]
    meta: dict[str, str] = {}
    for no, line in header:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if ":" not in line:
            raise SlideFileError(path, no, "section header lines are 'key: value' (title, schedule)")
        key, value = (p.strip() for p in line.split(":", 1))
        if key not in ("title", "schedule"):
            raise SlideFileError(path, no, f"unknown section header key {key!r}")
        meta[key] = value
        if key == "schedule":
            meta["_schedule_line"] = str(no)
    if not meta.get("title"):
        raise SlideFileError(path, 1, "section header needs 'title: ...' before the first '---'")
    schedule = None
    if "schedule" in meta:
        schedule = parse_schedule(meta["schedule"], path, int(meta["_schedule_line"]))
    if not slide_blocks:
        raise SlideFileError(path, len(text.splitlines()) or 1, "section has no slides")
    slides = [parse_slide(block, path) for block in slide_blocks]
    for i, slide in enumerate(slides, start=1):
        slide.section_id, slide.number_in_section = section_id, i
    return Section(id=section_id, title=meta["title"], schedule=schedule, slides=slides,
                   path=str(path))


def parse_talk(folder: Path) -> Talk:
    meta_path = folder / "talk.toml"
    if not meta_path.exists():
        raise SlideFileError(meta_path, 1, "talk folder has no talk.toml")
    try:
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SlideFileError(meta_path, getattr(exc, "lineno", 1) or 1, str(exc)) from None
    for key in ("title", "date", "speaker"):
        if key not in meta:
            raise SlideFileError(meta_path, 1, f"talk.toml needs {key!r}")
    talk = Talk(id=folder.name, title=meta["title"], subtitle=meta.get("subtitle", ""),
                date=meta["date"], speaker=meta["speaker"], venue=meta.get("venue", ""),
                order=int(meta.get("order", 99)))
    seen: set[str] = set()
    for path in sorted(folder.glob("*.md")):
        match = SECTION_FILE.match(path.name)
        if not match:
            raise SlideFileError(path, 1, "section files are named NN-section-id.md")
        section_id = match.group(2)
        if section_id in seen:
            raise SlideFileError(path, 1, f"section id {section_id!r} used twice in {folder.name}")
        seen.add(section_id)
        talk.sections.append(parse_section(path, section_id))
    if not talk.sections:
        raise SlideFileError(meta_path, 1, "talk has no section files")
    for i, slide in enumerate(talk.slides):
        slide.talk_id, slide.index = talk.id, i
    return talk


def load_deck(root: Path | str) -> Deck:
    root = Path(root)
    talks = [parse_talk(d) for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith(("_", "."))]
    if not talks:
        raise SlideFileError(root, 1, "no talk folders")
    talks.sort(key=lambda t: (t.order, t.id))
    return Deck(talks=talks)
