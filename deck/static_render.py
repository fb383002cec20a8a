"""Slides as plain, self-contained HTML: one renderer for the audience pages of a live room and for the
attendees' export (``deck/export.py``).

    from deck.static_render import slide_html, deck_pages, PAGE_CSS, page_html
    slide_html(slide)                     # '<section class="deck-slide" ...>...</section>'
    slide_html(slide, still_png=png)      # a demo slide with the demo's latest picture
    deck_pages("tfdl-sg-2017")            # every slide of a talk, in order

No Streamlit and no browser here: Markdown goes through markdown-it-py with raw HTML turned off (a
``<script>`` typed on a slide shows as text), ``$...$`` LaTeX is set as readable HTML (symbols, fractions,
sub- and superscripts), ```` ```dot ```` diagrams become inline SVG drawn by Graphviz's ``dot`` (cached by
the source's hash; without ``dot`` the diagram's source is shown with a one-line note), and a demo becomes
a ``<figure class="deck-demo">`` holding its still picture, or its name and a line saying it runs live on
the presenter's screen. Speaker notes are never part of a slide's HTML. Nothing in the output fetches
anything: no fonts, scripts or pictures from elsewhere.
"""
from __future__ import annotations

import base64
import hashlib
import html
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from markdown_it import MarkdownIt

from .parser import Deck, Segment, Slide, load_deck

ROOT = Path(__file__).resolve().parents[1]
SLIDES = ROOT / "slides"
DOT_TIMEOUT_S = 10.0
LIVE_LINE = "live on the presenter's screen"

PAGE_CSS = """
:root { --deck-accent: #0072B2; --deck-ink: #1f2328; --deck-muted: #57606a; --deck-panel: #f4f6f8; }
.deck-slide { box-sizing: border-box; max-width: 1200px; margin: 0 auto; padding: 0.6em 1em 1em;
  color: var(--deck-ink); background: #fff; font-family: system-ui, -apple-system, "Segoe UI", Roboto,
  "Helvetica Neue", Arial, sans-serif; font-size: clamp(17px, 1.2vw + 9px, 30px); line-height: 1.45;
  overflow-wrap: break-word; }
.deck-slide *, .deck-slide *::before, .deck-slide *::after { box-sizing: border-box; }
.deck-slide h2.deck-title { font-size: 1.55em; line-height: 1.2; margin: 0.2em 0 0.5em; color: var(--deck-ink);
  border-bottom: 3px solid var(--deck-accent); padding-bottom: 0.15em; }
.deck-slide h1, .deck-slide h3, .deck-slide h4 { line-height: 1.25; margin: 0.7em 0 0.35em; }
.deck-slide h3 { font-size: 1.2em; } .deck-slide h4 { font-size: 1.05em; }
.deck-slide p { margin: 0.45em 0; }
.deck-slide ul, .deck-slide ol { margin: 0.35em 0; padding-left: 1.3em; }
.deck-slide li { margin: 0.2em 0; }
.deck-slide a { color: var(--deck-accent); }
.deck-slide code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  font-size: 0.88em; background: var(--deck-panel); padding: 0.05em 0.25em; border-radius: 3px; }
.deck-slide pre { background: var(--deck-panel); padding: 0.6em 0.8em; border-radius: 6px; overflow-x: auto;
  font-size: 0.8em; line-height: 1.35; max-width: 100%; }
.deck-slide pre code { background: none; padding: 0; font-size: 1em; white-space: pre; }
.deck-slide blockquote { margin: 0.5em 0; padding: 0.1em 0.9em; border-left: 4px solid var(--deck-accent);
  color: var(--deck-muted); }
.deck-slide .deck-table { overflow-x: auto; max-width: 100%; margin: 0.5em 0; }
.deck-slide table { border-collapse: collapse; font-size: 0.9em; }
.deck-slide th, .deck-slide td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left;
  vertical-align: top; }
.deck-slide th { background: var(--deck-panel); }
.deck-slide img { max-width: 100%; height: auto; }
.deck-slide .deck-diagram { margin: 0.6em 0; text-align: center; overflow-x: auto; max-width: 100%; }
.deck-slide .deck-diagram svg { max-width: 100%; height: auto; max-height: 70vh; }
.deck-slide .deck-diagram.deck-fallback { text-align: left; }
.deck-slide .deck-note { font-size: 0.75em; color: var(--deck-muted); margin: 0.2em 0; }
.deck-slide figure.deck-demo { margin: 0.7em 0; padding: 0.5em; border: 2px dashed var(--deck-accent);
  border-radius: 8px; text-align: center; background: #fbfdff; }
.deck-slide figure.deck-demo img { display: block; margin: 0 auto; max-width: 100%; max-height: 70vh;
  width: auto; height: auto; border-radius: 4px; }
.deck-slide figure.deck-demo figcaption { font-size: 0.8em; color: var(--deck-muted); margin-top: 0.3em; }
.deck-slide figure.deck-demo .deck-demo-name { font-weight: 600; color: var(--deck-ink); }
.deck-slide .deck-math { font-family: "Cambria Math", "STIX Two Math", "Latin Modern Math", "DejaVu Serif",
  Georgia, serif; white-space: nowrap; }
.deck-slide .deck-math.deck-display { display: block; text-align: center; font-size: 1.15em; margin: 0.5em 0;
  white-space: normal; }
.deck-slide .deck-math i { font-style: italic; }
.deck-slide .deck-math .deck-text { font-style: normal; }
.deck-slide .deck-math sub, .deck-slide .deck-math sup { font-size: 0.7em; }
.deck-slide .deck-frac { display: inline-flex; flex-direction: column; vertical-align: middle;
  text-align: center; font-size: 0.9em; margin: 0 0.1em; }
.deck-slide .deck-frac > span { padding: 0 0.15em; }
.deck-slide .deck-frac > span + span { border-top: 1px solid currentColor; }
.deck-slide .deck-vec { display: inline-block; position: relative; padding-top: 0.35em; }
.deck-slide .deck-vec::before { content: "\\2192"; position: absolute; top: -0.3em; left: 0; right: 0;
  text-align: center; font-size: 0.7em; font-style: normal; }
.deck-slide .deck-sqrt > span { border-top: 1px solid currentColor; padding: 0 0.1em; }
@media (max-width: 500px) {
  .deck-slide { padding: 0.4em 0.7em 0.8em; }
  .deck-slide h2.deck-title { font-size: 1.35em; }
  .deck-slide .deck-diagram svg, .deck-slide figure.deck-demo img { max-height: none; }
  .deck-slide pre, .deck-slide pre code { white-space: pre-wrap; overflow-wrap: anywhere; }
}
@media print {
  .deck-slide { font-size: 14pt; max-width: none; }
  .deck-slide .deck-diagram svg { max-height: 7cm; min-width: 0 !important; }
  .deck-slide .deck-diagram { overflow: visible; }
  .deck-slide pre, .deck-slide pre code { white-space: pre-wrap; overflow-wrap: anywhere; }
  .deck-slide figure.deck-demo img { max-height: 10cm; }
  /* a demo slide on paper: text and diagrams on the left, the demo's picture on the right, one page */
  .deck-slide:has(figure.deck-demo img) { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.45fr);
    grid-template-rows: auto repeat(30, min-content) 1fr; column-gap: 1em; align-items: start; }
  .deck-slide:has(figure.deck-demo img) > * { grid-column: 1; }
  .deck-slide:has(figure.deck-demo img) > h2.deck-title { grid-column: 1 / -1; }
  .deck-slide:has(figure.deck-demo img) > figure.deck-demo:first-of-type { grid-column: 2; grid-row: 2 / -1;
    margin-top: 0; }
}
"""

# ---------------------------------------------------------------------------------------------- math --
SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "sum": "∑", "prod": "∏", "int": "∫", "partial": "∂", "nabla": "∇", "infty": "∞", "top": "⊤",
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "circ": "∘", "odot": "⊙", "otimes": "⊗", "oplus": "⊕",
    "ldots": "…", "cdots": "⋯", "dots": "…", "prime": "′", "forall": "∀", "exists": "∃", "emptyset": "∅",
    "max": "max", "min": "min", "log": "log", "exp": "exp", "tanh": "tanh", "sin": "sin", "cos": "cos",
    "arg": "arg", "argmax": "argmax", "argmin": "argmin", "lim": "lim", "{": "{", "}": "}", "$": "$",
    "%": "%", "&": "&", "_": "_", "#": "#", "|": "‖", "langle": "⟨", "rangle": "⟩", "lVert": "‖", "rVert": "‖",
}
RELATIONS = {  # set with spaces either side
    "=": "=", "+": "+", "-": "−", "<": "<", ">": ">", "leftarrow": "←", "rightarrow": "→", "to": "→",
    "gets": "←", "Leftarrow": "⇐", "Rightarrow": "⇒", "leftrightarrow": "↔", "mapsto": "↦", "approx": "≈",
    "sim": "∼", "simeq": "≃", "equiv": "≡", "neq": "≠", "ne": "≠", "le": "≤", "leq": "≤", "ge": "≥",
    "geq": "≥", "ll": "≪", "gg": "≫", "in": "∈", "notin": "∉", "subset": "⊂", "propto": "∝",
}
SPACES = {",": "\u2009", ";": "\u2005", ":": "\u2005", "!": "", "quad": "\u2003", "qquad": "\u2003\u2003",
          " ": " "}
TEXT_COMMANDS = {"text", "textrm", "mathrm", "operatorname", "textit", "mathit", "textbf", "mathbf",
                 "mathsf", "texttt", "mathtt", "mathcal", "mathbb"}
ACCENTS = {"vec": "deck-vec", "hat": "deck-hat", "bar": "deck-bar", "tilde": "deck-tilde", "overline": "deck-bar"}
COMBINING = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "overline": "\u0305"}
MATH_TOKEN = re.compile(r"\\([A-Za-z]+|.)|([A-Za-z]+)|(\s+)|(.)", re.S)


class _Math:
    """A small reader for the LaTeX slides use, turning it into escaped, readable HTML."""

    def __init__(self, src: str):
        self.tokens = [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in MATH_TOKEN.finditer(src)]
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def render(self) -> str:
        return self.sequence(stop=None)

    def sequence(self, stop: str | None) -> str:
        out: list[str] = []
        while (tok := self.peek()) is not None:
            if stop is not None and tok[3] == stop:
                self.take()
                break
            out.append(self.atom_with_scripts())
        return "".join(out)

    def raw_group(self) -> str:
        """The text of the next ``{...}`` (or the next token), unparsed."""
        while (tok := self.peek()) is not None and tok[2]:
            self.take()
        tok = self.peek()
        if tok is None:
            return ""
        if tok[3] != "{":
            self.take()
            return ("\\" + tok[0]) if tok[0] else (tok[1] or tok[2] or tok[3] or "")
        self.take()
        depth, parts = 1, []
        while (tok := self.take()) is not None:
            if tok[3] == "{":
                depth += 1
            elif tok[3] == "}":
                depth -= 1
                if depth == 0:
                    break
            parts.append(("\\" + tok[0]) if tok[0] else (tok[1] or tok[2] or tok[3] or ""))
        return "".join(parts)

    def argument(self) -> str:
        while (tok := self.peek()) is not None and tok[2]:
            self.take()
        tok = self.peek()
        if tok is None:
            return ""
        if tok[3] == "{":
            self.take()
            return self.sequence(stop="}")
        if tok[1] and len(tok[1]) > 1:  # a single letter argument: \vec x
            self.take()
            rest = tok[1][1:]
            self.tokens.insert(self.i, (None, rest, None, None))
            return f"<i>{html.escape(tok[1][0])}</i>"
        return self.atom()

    def atom_with_scripts(self) -> str:
        base = self.atom()
        while (tok := self.peek()) is not None and tok[3] in ("_", "^"):
            self.take()
            tag = "sub" if tok[3] == "_" else "sup"
            base += f"<{tag}>{self.argument()}</{tag}>"
        return base

    def atom(self) -> str:
        cmd, word, space, char = self.take()
        if space:
            return ""
        if word:
            return f"<i>{html.escape(word)}</i>"
        if char is not None:
            if char == "{":
                return self.sequence(stop="}")
            if char in RELATIONS:
                return f" {RELATIONS[char]} "
            if char == "'":
                return "′"
            if char == ",":
                return ",\u2009"
            return html.escape(char)
        # a command
        if cmd in SPACES:
            return SPACES[cmd]
        if cmd in RELATIONS:
            return f" {RELATIONS[cmd]} "
        if cmd in SYMBOLS:
            return html.escape(SYMBOLS[cmd])
        if cmd in ("left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"):
            tok = self.peek()
            if tok is not None and cmd in ("left", "right"):
                self.take()
                if tok[3] == ".":
                    return ""
                if tok[0]:
                    return html.escape(SYMBOLS.get(tok[0], tok[0]))
                return html.escape(tok[3] or tok[1] or "")
            return ""
        if cmd in TEXT_COMMANDS:
            return f"<span class='deck-text'>{html.escape(self.raw_group())}</span>"
        if cmd in ("frac", "dfrac", "tfrac"):
            top, bottom = self.argument(), self.argument()
            return f"<span class='deck-frac'><span>{top}</span><span>{bottom}</span></span>"
        if cmd == "sqrt":
            return f"√<span class='deck-sqrt'><span>{self.argument()}</span></span>"
        if cmd == "vec":
            return f"<span class='deck-vec'>{self.argument()}</span>"
        if cmd in COMBINING:
            return f"<span class='{ACCENTS[cmd]}'>{self.argument()}{COMBINING[cmd]}</span>"
        if cmd in ("mathbf", "boldsymbol", "bm"):
            return f"<b>{self.argument()}</b>"
        return html.escape("\\" + cmd)  # unknown: shown as written


def math_html(src: str, display: bool = False) -> str:
    """LaTeX (the inside of ``$...$``) as escaped, readable HTML; the source rides along as a tooltip."""
    try:
        body = _Math(src).render()
    except Exception:  # never let an odd formula break a slide: show it as written
        body = html.escape(src)
    body = re.sub(r"\s{2,}", " ", body).strip()
    cls = "deck-math deck-display" if display else "deck-math"
    return f"<span class='{cls}' title='{html.escape(src, quote=True)}'>{body}</span>"


def _math_inline_rule(state, silent: bool) -> bool:
    """``$...$`` (and ``$$...$$``) inside a paragraph, by pandoc's rules: the opening ``$`` is followed
    by a non-space, the closing one follows a non-space and is not followed by a digit (so "$5 and $10"
    stays text); ``\\$`` is an escaped dollar (markdown-it's escape rule sees it first)."""
    src, start = state.src, state.pos
    if src[start] != "$":
        return False
    double = src.startswith("$$", start)
    delim = "$$" if double else "$"
    body_start = start + len(delim)
    if body_start >= state.posMax or (not double and src[body_start].isspace()):
        return False
    pos = body_start
    while True:
        end = src.find(delim, pos, state.posMax)
        if end < 0:
            return False
        if src[end - 1] == "\\":
            pos = end + 1
            continue
        if not double and (src[end - 1].isspace() or (end + 1 < len(src) and src[end + 1].isdigit())):
            pos = end + 1
            continue
        break
    if end == body_start:
        return False
    if not silent:
        token = state.push("deck_math", "", 0)
        token.content = src[body_start:end]
        token.markup = delim
        token.meta = {"display": double or (start == 0 and end + len(delim) >= state.posMax)}
    state.pos = end + len(delim)
    return True


def _render_math(self, tokens, idx, options, env) -> str:
    tok = tokens[idx]
    return math_html(tok.content, display=tok.meta.get("display", False))


def _render_table_open(self, tokens, idx, options, env) -> str:
    return "<div class='deck-table'><table>\n"


def _render_table_close(self, tokens, idx, options, env) -> str:
    return "</table></div>\n"


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.inline.ruler.before("escape", "deck_math", _math_inline_rule)
    md.add_render_rule("deck_math", _render_math)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    return md


MD = _markdown()
_MD_LOCK = threading.Lock()  # one MarkdownIt shared by every thread: parse under a lock


def markdown_html(text: str) -> str:
    """Markdown as HTML with raw HTML escaped (``<script>`` shows as text), LaTeX readable."""
    with _MD_LOCK:
        return MD.render(text)


def inline_html(text: str) -> str:
    with _MD_LOCK:
        return MD.renderInline(text)


# ------------------------------------------------------------------------------------------- diagrams --
_SVG_CACHE: OrderedDict[str, str] = OrderedDict()
_SVG_CACHE_MAX = 512
_SVG_LOCK = threading.Lock()
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TITLE = re.compile(r"<title>.*?</title>\s*", re.S)
_IMAGE = re.compile(r"<image\b[^>]*?(?:/>|>.*?</image>)", re.S)
_SCRIPTISH = re.compile(r"<(script|foreignObject|iframe|object|embed)\b.*?</\1>", re.S | re.I)
_HREF = re.compile(r"\s(?:xlink:)?href=(\"[^\"]*\"|'[^']*')")
_ON_ATTR = re.compile(r"\son[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)
_ID_ATTR = re.compile(r"\bid=\"([^\"]*)\"")
_URL_REF = re.compile(r"url\(#([^)]*)\)")
_SVG_SIZE = re.compile(r'<svg\s+width="([\d.]+)pt"\s+height="([\d.]+)pt"')
_FONT_SIZE = re.compile(r'<text\b[^>]*\sfont-size="([\d.]+)"')
DOT_POINTS_PER_EM = 15.0  # a 14 pt label shows a little smaller than the slide's text
MIN_LABEL_PX = 12.0  # a diagram never shrinks further than this (its smallest label, CSS px)


def dot_binary() -> str | None:
    """Path of Graphviz's ``dot``, or None when it is not installed."""
    return shutil.which("dot")


class DiagramError(RuntimeError):
    pass


def _clean_svg(svg: str, prefix: str) -> str:
    """Graphviz's SVG made safe to inline several times in one page: no XML prolog or comments, no links,
    pictures or scripts, ids prefixed so that two diagrams never share one."""
    svg = _PROLOG.sub("", svg, count=1)
    svg = _COMMENT.sub("", svg)
    svg = _TITLE.sub("", svg)  # node names ("%3", "n1") as tooltips: noise for a reader and a search
    svg = _SCRIPTISH.sub("", svg)
    svg = _IMAGE.sub("", svg)
    svg = _HREF.sub("", svg)
    svg = _ON_ATTR.sub("", svg)
    svg = _ID_ATTR.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _URL_REF.sub(lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = _sized(svg)
    svg = svg.replace("<svg ", '<svg role="img" ', 1)
    return svg.strip()


def _sized(svg: str) -> str:
    """Graphviz sizes a drawing in points, its labels 14 pt by default: sized in em instead, a label drawn
    at the default size shows at about the slide's text size on any screen, and CSS shrinks a wide drawing
    to the slide's width, but never below the width at which its smallest label is MIN_LABEL_PX (on a
    phone such a drawing scrolls sideways in its box rather than shrinking to unreadable)."""
    match = _SVG_SIZE.search(svg)
    if not match:
        return svg
    width, height = float(match.group(1)), float(match.group(2))
    sizes = [float(v) for v in _FONT_SIZE.findall(svg)] or [14.0]
    floor_px = MIN_LABEL_PX * width / max(1.0, min(sizes))
    return (svg[:match.start()] + f'<svg width="{width / DOT_POINTS_PER_EM:.2f}em" '
            f'height="{height / DOT_POINTS_PER_EM:.2f}em" style="min-width: {floor_px:.0f}px"'
            + svg[match.end():])


def dot_svg(source: str) -> str:
    """The diagram as a cleaned inline ``<svg>``; cached by the source's hash. Raises ``DiagramError``
    (with Graphviz's first message line) when ``dot`` is missing or refuses the source."""
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    with _SVG_LOCK:
        if digest in _SVG_CACHE:
            _SVG_CACHE.move_to_end(digest)
            return _SVG_CACHE[digest]
    binary = dot_binary()
    if binary is None:
        raise DiagramError("Graphviz's dot is not installed here, so the diagram is shown as its source")
    try:
        done = subprocess.run([binary, "-Tsvg"], input=source.encode("utf-8"), capture_output=True,
                              timeout=DOT_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise DiagramError(f"Graphviz took longer than {DOT_TIMEOUT_S:g} s on this diagram") from None
    except OSError as exc:
        raise DiagramError(f"Graphviz could not run: {exc}") from None
    if done.returncode != 0 or b"<svg" not in done.stdout:
        lines = [ln.strip() for ln in done.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        raise DiagramError("Graphviz could not draw this diagram: " + (lines[0] if lines else "no output"))
    svg = _clean_svg(done.stdout.decode("utf-8", "replace"), "g" + digest[:10])
    with _SVG_LOCK:
        _SVG_CACHE[digest] = svg
        while len(_SVG_CACHE) > _SVG_CACHE_MAX:
            _SVG_CACHE.popitem(last=False)
    return svg


def diagram_html(source: str) -> str:
    try:
        return f"<div class='deck-diagram'>{dot_svg(source)}</div>"
    except DiagramError as exc:
        return (f"<div class='deck-diagram deck-fallback'><p class='deck-note'>{html.escape(str(exc))}.</p>"
                f"<pre><code>{html.escape(source)}</code></pre></div>")


# ----------------------------------------------------------------------------------------------- demos --
def _image_mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    raise ValueError("a demo still must be a PNG, JPEG, WebP or GIF picture")


def demo_label(seg: Segment) -> str:
    return seg.demo.replace("_", " ")


def demo_html(seg: Segment, still: bytes | None) -> str:
    name = html.escape(demo_label(seg))
    attrs = f"class='deck-demo' data-demo='{html.escape(seg.demo, quote=True)}'"
    if still:
        src = f"data:{_image_mime(still)};base64,{base64.b64encode(still).decode('ascii')}"
        alt = html.escape(f"Live demo {demo_label(seg)}: its picture on the presenter's screen", quote=True)
        return (f"<figure {attrs}><img src='{src}' alt=\"{alt}\"><figcaption>Live demo: "
                f"<span class='deck-demo-name'>{name}</span></figcaption></figure>")
    return (f"<figure {attrs}><figcaption><span class='deck-demo-name'>Live demo: {name}</span><br>"
            f"{html.escape(LIVE_LINE)}</figcaption></figure>")


# ----------------------------------------------------------------------------------------------- slides --
_SLIDE_CACHE: OrderedDict[tuple, tuple[str, list[str], int | None]] = OrderedDict()
_SLIDE_CACHE_MAX = 1024
_SLIDE_LOCK = threading.Lock()


def _segment_html(seg: Segment, still: bytes | None) -> str:
    if seg.kind == "markdown":
        return markdown_html(seg.text)
    if seg.kind == "dot":
        return diagram_html(seg.text)
    if seg.kind == "demo":
        return demo_html(seg, still)
    return f"<pre><code>{html.escape(seg.text)}</code></pre>"


def _slide_parts(slide: Slide) -> tuple[list[str], int | None]:
    """The slide's HTML pieces without any still (cached on the slide's content) and the position of its
    first demo's piece, which a still replaces."""
    key = (slide.talk_id, slide.index, slide.title, tuple(slide.segments))
    with _SLIDE_LOCK:
        hit = _SLIDE_CACHE.get(key)
        if hit is not None:
            _SLIDE_CACHE.move_to_end(key)
            return hit
    parts = [f"<section class=\"deck-slide\" data-talk=\"{html.escape(slide.talk_id, quote=True)}\" "
             f"data-index=\"{int(slide.index)}\">",
             f"<h2 class=\"deck-title\">{inline_html(slide.title)}</h2>"]
    first_demo = None
    for seg in slide.segments:
        if seg.kind == "demo" and first_demo is None:
            first_demo = len(parts)
        parts.append(_segment_html(seg, None))
    parts.append("</section>")
    hit = ("\n".join(parts), parts, first_demo)
    with _SLIDE_LOCK:
        _SLIDE_CACHE[key] = hit
        while len(_SLIDE_CACHE) > _SLIDE_CACHE_MAX:
            _SLIDE_CACHE.popitem(last=False)
    return hit


def slide_html(slide: Slide, *, still_png: bytes | None = None) -> str:
    """One slide as a self-contained, safe HTML fragment ``<section class="deck-slide" ...>``: its title,
    Markdown, diagrams and demos in order (``still_png``, PNG, JPEG, WebP or GIF bytes, is the picture of
    the slide's first demo; ``ValueError`` for anything else). Speaker notes are left out. The slide's own
    HTML is cached on its content, so a repeat costs a lookup, and a new still only its encoding (stills
    are never cached: a mirrored demo sends several a second)."""
    if still_png is not None and not isinstance(still_png, (bytes, bytearray, memoryview)):
        raise TypeError("still_png must be the picture's bytes (PNG or JPEG) or None")
    whole, parts, first_demo = _slide_parts(slide)
    if not still_png or first_demo is None:
        return whole
    demo = next(seg for seg in slide.segments if seg.kind == "demo")
    with_still = list(parts)
    with_still[first_demo] = demo_html(demo, bytes(still_png))
    return "\n".join(with_still)


def warm_diagrams(slides: list[Slide], workers: int = 4) -> None:
    """Draw every diagram of ``slides`` that is not cached yet, a few ``dot`` processes at a time."""
    sources = {seg.text for s in slides for seg in s.segments if seg.kind == "dot"}
    if not sources or dot_binary() is None:
        return

    def draw(src: str) -> None:
        try:
            dot_svg(src)
        except DiagramError:
            pass  # shown with its source when the slide is rendered

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(draw, sources))


def deck_pages(talk_id: str, *, deck: Deck | None = None, root: Path | str = SLIDES) -> list[str]:
    """Every slide of talk ``talk_id`` as :func:`slide_html` fragments, in order. ``ValueError`` naming the
    talks there are when ``talk_id`` is not one of them."""
    deck = deck if deck is not None else load_deck(root)
    talk = deck.talk(talk_id)
    if talk is None:
        known = ", ".join(t.id for t in deck.talks)
        raise ValueError(f"no talk {talk_id!r} in the deck (talks: {known})")
    warm_diagrams(talk.slides)
    return [slide_html(s) for s in talk.slides]


def page_html(fragments: list[str], *, title: str = "Slides", extra_css: str = "", body_top: str = "") -> str:
    """A whole self-contained HTML document around slide fragments (used by the export and for looking)."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>body {{ margin: 0; background: #fff; }}{PAGE_CSS}"
            f"{extra_css}</style></head><body>{body_top}{''.join(fragments)}</body></html>")
