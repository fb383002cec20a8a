"""deck/static_render.py: slides as self-contained HTML for the audience pages and the export, and
``python -m deck.export --no-stills`` built on it (no browser needed here; tests/browser/test_export_browser.py
takes the stills and looks at the pages in Chromium)."""
import base64
import io
import re
from pathlib import Path

import pytest

from deck import export, static_render
from deck.nav import slide_url
from deck.parser import load_deck, parse_slide
from deck.static_render import LIVE_LINE, PAGE_CSS, deck_pages, markdown_html, slide_html

ROOT = Path(__file__).resolve().parents[1]
HAS_DOT = static_render.dot_binary() is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed (apt-get install graphviz)")


def parsed_tags(text: str) -> list[tuple[str, dict]]:
    from html.parser import HTMLParser

    found = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Tags().feed(text)
    return found


def make_slide(text: str, talk_id: str = "t", index: int = 0):
    """A slide through the deck's own parser, from the text between two '---' lines."""
    slide = parse_slide(list(enumerate(text.strip("\n").splitlines(), start=1)), Path("x.md"))
    slide.talk_id, slide.index = talk_id, index
    return slide


def png_bytes(colour=(200, 30, 30)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def deck():
    return load_deck(ROOT / "slides")


def test_slide_text_title_and_attributes():
    slide = make_slide("## Deep *Learning*\n\n- Neural networks\n- **Multiple** layers\n\n| a | b |\n|---|---|\n| 1 | 2 |",
                       talk_id="demo-talk", index=7)
    out = slide_html(slide)
    assert out.startswith('<section class="deck-slide" data-talk="demo-talk" data-index="7">')
    assert out.endswith("</section>")
    assert '<h2 class="deck-title">Deep <em>Learning</em></h2>' in out
    assert "<li>Neural networks</li>" in out and "<strong>Multiple</strong>" in out
    assert "<table>" in out and "<td>2</td>" in out


def test_html_in_slide_text_is_shown_as_text():
    slide = make_slide("## <script>alert('t')</script> title\n\nHello <script>alert(1)</script> "
                       "<img src=x onerror=alert(2)> [click](javascript:alert(3))\n\n<div onclick='x()'>block</div>")
    out = slide_html(slide)
    assert "<script" not in out.lower() and "<img" not in out and "<div onclick" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;script&gt;alert('t')&lt;/script&gt; title" in out.replace("&#x27;", "'")
    assert "&lt;img src=x onerror=alert(2)&gt;" in out
    assert 'href="javascript' not in out


def test_speaker_notes_are_not_in_the_audience_html():
    slide = make_slide("## Title\n\nVisible words\n\nNote:\nSECRET presenter words, <b>not</b> for phones")
    assert slide.notes  # the parser saw the notes
    out = slide_html(slide)
    assert "Visible words" in out and "SECRET" not in out and "presenter words" not in out


def test_code_blocks_are_escaped_and_kept():
    slide = make_slide("## Code\n\n```python\nif a < b and c > d:\n    print('<b>')\n```")
    out = slide_html(slide)
    assert "<pre><code class=\"language-python\">if a &lt; b and c &gt; d:" in out
    assert "&lt;b&gt;" in out


def test_latex_is_readable_and_dollars_stay_dollars():
    out = markdown_html(r"Rule: $w \leftarrow w - \eta \, \frac{\partial E}{\partial w}$ now")
    assert "deck-math" in out and "deck-frac" in out
    assert "←" in out and "η" in out and "∂" in out and "\\frac" not in out.split("title=")[0]
    assert "<span>∂<i>E</i></span>" in out
    plain = markdown_html(r"Cost: S\$15 (lunch), or $5 and $10 at the door")
    assert "deck-math" not in plain and "S$15" in plain and "$5 and $10" in plain
    sub = markdown_html(r"$\sum_i w_i x_i$")
    assert "<sub><i>i</i></sub>" in sub and "∑" in sub
    odd = markdown_html(r"$\unknowncommand{x} < y$")
    assert "\\unknowncommand" in odd and "&lt;" in odd  # shown as written, escaped


@needs_dot
def test_dot_diagram_is_inline_svg():
    slide = make_slide("## Net\n\n```dot\ndigraph { rankdir=LR; input -> hidden -> output_node }\n```\n\nafter")
    out = slide_html(slide)
    assert "<svg" in out and "</svg>" in out
    assert "<?xml" not in out and "<!DOCTYPE" not in out and "<!--" not in out
    assert ">output_node</text>" in out  # the labels are real, searchable text
    assert re.search(r'<svg role="img" width="[\d.]+em" height="[\d.]+em"', out)
    assert out.index("</svg>") < out.index("after")  # segments stay in order


@needs_dot
def test_diagram_svg_is_sanitised_and_ids_are_unique_per_diagram():
    src = ('digraph { a [URL="javascript:alert(1)", label="<b>x</b>"]; b [image="http://example.com/x.png"];'
           ' a -> b }')
    out = static_render.dot_svg(src)
    assert "javascript" not in out and "href" not in out and "<image" not in out
    assert "<b>" not in out  # a label's text is escaped by Graphviz, not markup
    assert "<title>" not in out  # node names as tooltips are noise for a search
    other = static_render.dot_svg("digraph { a -> b -> c }")
    ids = re.findall(r'id="([^"]+)"', out) + re.findall(r'id="([^"]+)"', other)
    assert ids and len(ids) == len(set(ids))


def test_without_dot_the_source_is_shown_with_a_note(monkeypatch):
    monkeypatch.setattr(static_render, "dot_binary", lambda: None)
    src = "digraph { never_drawn_before_7f3a -> <b>b</b> }"
    out = slide_html(make_slide(f"## Net\n\n```dot\n{src}\n```"))
    assert "<svg" not in out
    assert "Graphviz&#x27;s dot is not installed" in out or "Graphviz's dot is not installed" in out
    assert "<pre><code>digraph { never_drawn_before_7f3a -&gt; &lt;b&gt;b&lt;/b&gt; }</code></pre>" in out


@needs_dot
def test_a_diagram_graphviz_refuses_is_shown_as_source_with_its_message():
    out = slide_html(make_slide("## Bad\n\n```dot\ndigraph { a -> }}} \n```"))
    assert "<svg" not in out and "Graphviz could not draw this diagram" in out
    assert "digraph { a -&gt; }}}" in out


def test_demo_figure_without_and_with_a_still():
    slide = make_slide("## Demo\n\nText first\n\n::: demo neuron weight=2\n\n::: demo layers")
    out = slide_html(slide)
    assert out.count("<figure class='deck-demo'") == 2
    assert "data-demo='neuron'" in out and "Live demo: neuron" in out and LIVE_LINE.replace("'", "&#x27;") in out
    png = png_bytes()
    with_still = slide_html(slide, still_png=png)
    assert f"src='data:image/png;base64,{base64.b64encode(png).decode()}'" in with_still
    assert with_still.count("<img") == 1  # the still belongs to the first demo; the second stays a placeholder
    tags = parsed_tags(with_still)
    img = next(attrs for tag, attrs in tags if tag == "img")
    assert sorted(img) == ["alt", "src"] and "presenter's screen" in img["alt"]  # well-formed attributes
    jpeg = b"\xff\xd8\xff\xe0" + b"\0" * 20
    assert "data:image/jpeg;base64," in slide_html(slide, still_png=jpeg)
    with pytest.raises(ValueError, match="PNG, JPEG"):
        slide_html(slide, still_png=b"<svg onload=alert(1)>")
    with pytest.raises(TypeError):
        slide_html(slide, still_png="not bytes")


def test_the_cache_follows_the_slide_content():
    slide = make_slide("## Cached\n\nfirst words")
    first = slide_html(slide)
    assert slide_html(slide) is first  # a repeat is a lookup
    demo = make_slide("## Cached demo\n\n::: demo neuron")
    slide_html(demo)
    size = len(static_render._SLIDE_CACHE)
    stills = [png_bytes((i, 0, 0)) for i in range(5)]
    outs = [slide_html(demo, still_png=png) for png in stills]
    assert len(set(outs)) == 5 and len(static_render._SLIDE_CACHE) == size  # stills are never cached
    edited = make_slide("## Cached\n\nsecond words")
    assert "second words" in slide_html(edited) and "first words" not in slide_html(edited)


def test_deck_pages_every_slide_in_order_self_contained(deck):
    for talk in deck.talks:
        pages = deck_pages(talk.id, deck=deck)
        assert len(pages) == len(talk.slides)
        for i, (page, slide) in enumerate(zip(pages, talk.slides)):
            assert f'data-index="{i}"' in page and f'data-talk="{talk.id}"' in page
            assert page.count("<figure class='deck-demo'") == len(slide.demos)
            assert page.count("<svg") == sum(seg.kind == "dot" for seg in slide.segments) or not HAS_DOT
            # nothing is fetched: every src is a data: URL, no stylesheets, scripts or imports
            assert all(src.startswith("data:") for src in re.findall(r"\ssrc=['\"]([^'\"]*)", page))
            assert "<script" not in page and "<link" not in page and "@import" not in page
            if slide.notes:
                assert slide.notes[:40] not in page


def test_deck_pages_unknown_talk_names_the_talks(deck):
    with pytest.raises(ValueError, match="no talk 'nope'.*tfdl-sg-2017"):
        deck_pages("nope", deck=deck)


def test_page_css_fits_a_phone():
    assert "max-width: 100%" in PAGE_CSS and "@media (max-width: 500px)" in PAGE_CSS
    assert "http" not in PAGE_CSS and "@import" not in PAGE_CSS


def test_export_without_a_browser_carries_text_diagrams_links_and_notes(tmp_path, deck, capsys):
    talk = deck.talk("fifth-elephant-2016")
    out = tmp_path / "deck.html"
    rc = export.main(["--no-stills", "--no-pdf", "--talk", talk.id, "--out", str(out),
                      "--link-base", "https://example.org/deck"])
    assert rc == 0
    page = out.read_text(encoding="utf-8")
    assert page.count("<article class='export-slide'") == len(talk.slides)
    for slide in talk.slides:
        assert html_text(slide.title) in page
        assert html_text(slide_url(slide, "https://example.org/deck")) in page
    notes = [s for s in talk.slides if s.notes]
    assert page.count("Speaker notes") == len(notes)
    assert "$y = f" not in page  # LaTeX is set as HTML, not left as source ...
    assert "<i>y</i> = <i>f</i>" in page  # ... and the formula's text is there
    if HAS_DOT:
        assert page.count("<svg") == sum(seg.kind == "dot" for s in talk.slides for seg in s.segments)
    assert page.count("<figure class='deck-demo'") == sum(len(s.demos) for s in talk.slides)
    assert "<script" not in page
    assert "wrote" in capsys.readouterr().out


def html_text(text: str) -> str:
    import html

    return html.escape(text)


def test_export_slide_selection_and_bad_arguments(tmp_path, capsys):
    out = tmp_path / "part.html"
    assert export.main(["--no-stills", "--no-pdf", "--talk", "tfdl-sg-2017", "--slides", "2-3,5",
                        "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert re.findall(r"id='tfdl-sg-2017-(\d+)'", page) == ["2", "3", "5"]
    assert export.main(["--no-stills", "--no-pdf", "--talk", "tfdl-sg-2017", "--slides", "0-3",
                        "--out", str(out)]) == 2
    assert export.main(["--no-stills", "--no-pdf", "--talk", "tfdl-sg-2017", "--slides", "x",
                        "--out", str(out)]) == 2
    assert export.main(["--no-stills", "--no-pdf", "--slides", "1", "--out", str(out)]) == 2
    assert export.main(["--no-stills", "--no-pdf", "--talk", "nope", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "slides are numbered 1 to" in err and "like 1-5,12" in err and "needs --talk" in err
    assert "no talk 'nope'" in err


def test_parse_numbers():
    assert export.parse_numbers(None, 4) == {0, 1, 2, 3}
    assert export.parse_numbers("1, 3-4", 4) == {0, 2, 3}
    for bad in ("5", "2-1", "a", "1,,2"):
        with pytest.raises(ValueError):
            export.parse_numbers(bad, 4)
