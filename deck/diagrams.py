"""How the deck draws ```` ```dot ```` diagrams in the browser: CSS for ``st.graphviz_chart``.

Streamlit draws every Graphviz label at one small fixed size (``0.6rem`` in its own font), whatever
``fontsize`` the slide's dot source asks for; Graphviz sized the boxes for the requested size, so
labels came out tiny inside roomy boxes. The deck draws each label at the size its source asks for
(``font-size="14.00"`` in the SVG becomes 14 SVG units), then scales the whole drawing to the slide's
width, capped at a share of the window's height. A label's size on screen is therefore

    fontsize × min(column width / drawing width, height cap / drawing height)

(both drawing sizes in points, as Graphviz lays them out). Present mode at 1280×720 gives a column
about 1018 px wide and a height cap of 34vh (245 px): with ``fontsize=14`` a diagram stays at or above
16 px when its drawing is at most ~890 pt wide and ~214 pt tall; long chains wrap into rows (see the
slides' sources). ``deck/diagram_check.py`` measures it in Chromium.
"""
from __future__ import annotations

CHART = '[data-testid="stGraphVizChart"]'
FONT_SIZES_PT = range(6, 49)  # the sizes restored exactly; any other size draws at FALLBACK_PT
FALLBACK_PT = 14


def _font_rules() -> str:
    rules = [f'{CHART} svg text {{ font-size: {FALLBACK_PT}px !important; }}']
    rules += [f'{CHART} svg text[font-size="{n}.00"] {{ font-size: {n}px !important; }}' for n in FONT_SIZES_PT]
    return "\n".join(rules)


DIAGRAM_CSS = f"""
<style>
/* the chart and the boxes Streamlit wraps it in take the column's width (they shrink-wrap otherwise) */
[data-testid="stElementContainer"]:has({CHART}), [data-testid="stElementContainer"]:has({CHART}) div:has({CHART}),
{CHART} {{ width: 100% !important; }}
{CHART} svg {{ width: 100% !important; height: auto !important; max-height: 42vh; }}
/* Graphviz draws in black; follow the theme's text colour instead, so diagrams read in dark mode.
   Colours a slide sets itself (fill/stroke other than black) are left alone. */
{CHART} svg text:not([fill]), {CHART} svg [fill="black"] {{ fill: currentColor; }}
{CHART} svg [stroke="black"] {{ stroke: currentColor; }}
{_font_rules()}
</style>
"""

PRESENT_DIAGRAM_CSS = f"""
<style>
{CHART} svg {{ max-height: 34vh; }}
</style>
"""
