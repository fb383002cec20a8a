"""Unit tests of the slide-file parser and of the real slide files."""
from pathlib import Path

import pytest

from deck.demo_runner import missing_demos
from deck.parser import SlideFileError, load_deck, parse_section

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "slides"


def write(tmp_path: Path, text: str, name: str = "01-sec.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_fixture_deck_structure():
    deck = load_deck(FIXTURE)
    assert [t.id for t in deck.talks] == ["alpha-talk", "beta-talk"]
    alpha = deck.talks[0]
    assert [s.id for s in alpha.sections] == ["first", "second"]
    assert [s.title for s in alpha.slides] == ["Alpha One", "Alpha Two", "Alpha Three", "Beta One", "Beta Two"]
    assert [s.index for s in alpha.slides] == [0, 1, 2, 3, 4]
    assert [s.number_in_section for s in alpha.slides] == [1, 2, 3, 1, 2]
    assert alpha.sections[0].schedule == (9 * 60 + 30, 10 * 60)
    assert alpha.slides[0].minutes == 2.0 and alpha.slides[1].minutes == 1.0


def test_notes_markdown_dot_and_demo(tmp_path):
    path = write(tmp_path, """title: S

---
## A slide

- point one

```dot
digraph { x -> y }
```

::: demo painting preset=deep label="two words"
After the demo.

Note:
First note line.
::: demo not_parsed_in_notes
Second note line.
""")
    slide = parse_section(path, "sec").slides[0]
    assert slide.title == "A slide"
    assert [s.kind for s in slide.segments] == ["markdown", "dot", "demo", "markdown"]
    assert slide.segments[1].text.strip() == "digraph { x -> y }"
    demo = slide.segments[2]
    assert demo.demo == "painting" and demo.opts == {"preset": "deep", "label": "two words"}
    assert slide.notes.startswith("First note line.") and "Second note line." in slide.notes
    assert len(slide.demos) == 1


def test_dashes_inside_code_fence_do_not_split(tmp_path):
    path = write(tmp_path, "title: S\n\n---\n## One\n\n```\n---\n```\n---\n## Two\n")
    section = parse_section(path, "sec")
    assert [s.title for s in section.slides] == ["One", "Two"]
    assert "---" in section.slides[0].segments[0].text


@pytest.mark.parametrize("text, line, fragment", [
    ("title: S\n\n---\nno title here\n", 4, "no '## Title'"),
    ("title: S\n\n---\n## T\n::: dmeo x\n", 5, "unknown directive"),
    ("title: S\n\n---\n## T\n::: demo\n", 5, "needs a demo name"),
    ("title: S\n\n---\n## T\n::: demo x y\n", 5, "not key=value"),
    ("title: S\n\n---\n## T\n::: minutes soon\n", 5, "positive number"),
    ("title: S\n\n---\n## T\n```dot\ndigraph {}\n", 5, "never closed"),
    ("schedule: 09:30-11:00\n---\n## T\n", 1, "needs 'title"),
    ("title: S\nschedule: 11:00-09:30\n---\n## T\n", 2, "forwards"),
    ("title: S\nwhen: now\n---\n## T\n", 2, "unknown section header key"),
    ("title: S\n---\n## T\n---\n\n---\n## U\n", 5, "empty slide"),
    ("title: S\n", 1, "no slides"),
])
def test_bad_files_name_file_and_line(tmp_path, text, line, fragment):
    path = write(tmp_path, text)
    with pytest.raises(SlideFileError) as info:
        parse_section(path, "sec")
    assert info.value.line == line, str(info.value)
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"{path}:{line}:")


def test_bad_talk_folder(tmp_path):
    talk = tmp_path / "t"
    talk.mkdir()
    (talk / "talk.toml").write_text('title = "x"\n', encoding="utf-8")
    with pytest.raises(SlideFileError, match="needs 'date'"):
        load_deck(tmp_path)
    (talk / "talk.toml").write_text('title = "x"\ndate = "2016"\nspeaker = "y"\n', encoding="utf-8")
    (talk / "intro.md").write_text("title: S\n---\n## T\n", encoding="utf-8")
    with pytest.raises(SlideFileError, match="NN-section-id.md"):
        load_deck(tmp_path)


def test_real_slides_parse_and_every_demo_exists():
    """Every slide file of both talks parses, and every ::: demo names a module in demos/."""
    deck = load_deck(ROOT / "slides")
    assert len(deck.talks) == 2
    for talk in deck.talks:
        assert talk.slides, talk.id
        for slide in talk.slides:
            assert slide.notes.strip(), f"{slide.source}: slide '{slide.title}' has no speaker notes"
    assert missing_demos(deck) == []


def test_cli_check_reports_file_and_line(tmp_path, capsys):
    from deck.__main__ import main

    talk = tmp_path / "t"
    talk.mkdir()
    (talk / "talk.toml").write_text('title = "x"\ndate = "2016"\nspeaker = "y"\n', encoding="utf-8")
    (talk / "01-a.md").write_text("title: S\n---\n## T\n::: demo no_such_demo\nNote:\nn\n", encoding="utf-8")
    assert main(["check", "--slides", str(tmp_path)]) == 1
    assert "01-a.md:3: no demo module demos/no_such_demo.py" in capsys.readouterr().err
