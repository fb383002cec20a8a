"""Does the slide fit the window? One measurement for the rehearsal, the browser tests and the benchmark.

:data:`FIT_JS` runs in the page; :func:`measure` evaluates it through a playwright page and returns a
:class:`Fit`:

* ``content_px`` - height of the main scroll area's content (the tallest of Streamlit's main block,
  its app view container and the document), ``window_px`` - the window's inner height;
  ``scrolls`` is True when the content is more than ``TOLERANCE_PX`` taller than the window.
* ``visual`` - the demo's main visual, the engine's ``stage.visual`` container (``deck/stage.py``
  keys it ``deck_stage_visual_<n>``, so the page gives it the class ``st-key-deck_stage_visual_<n>``):
  its top and bottom in page coordinates (as if scrolled to the top), and ``visual_inside``, True when
  the whole box lies within the window. ``visual_found`` is False on a slide without a staged demo,
  and when the container is empty (height 0: the demo drew nothing there).
* ``action_inside`` - the demo's primary action (the first button whose key ends in ``_action``) lies
  within the window; None when the slide has no such button.

``Fit.fits`` is the verdict for any slide: no scrolling, and the visual (where there is one) and the
action (where there is one) inside the window; ``Fit.demo_fits`` also requires the visual to be there,
the verdict the tests and the benchmark count on demo slides. Measure after the slide's run has finished
(``deck.rehearse.wait_run_after``); Plotly charts reserve their height before they are drawn, so a chart
still loading does not change the figures.
"""
from __future__ import annotations

from dataclasses import dataclass

TOLERANCE_PX = 2
VISUAL_SELECTOR = '[class*="st-key-deck_stage_visual"]'

FIT_JS = """() => {
  const win = window.innerHeight, width = window.innerWidth;
  const scrollers = [document.querySelector('[data-testid="stMain"]'),
                     document.querySelector('[data-testid="stAppViewContainer"]'),
                     document.scrollingElement].filter(Boolean);
  const overflow = Math.max(0, ...scrollers.map(e => e.scrollHeight - e.clientHeight));
  const scrolled = scrollers.reduce((sum, e) => sum + (e.scrollTop || 0), 0);
  function box(el) {
    if (!el) { return null; }
    const r = el.getBoundingClientRect();
    return {top: r.top + scrolled, bottom: r.bottom + scrolled, left: r.left, right: r.right,
            height: r.height};
  }
  function inside(b) {
    return b !== null && b.height > 0 && b.top >= -TOL && b.bottom <= win + TOL && b.left >= -TOL &&
           b.right <= width + TOL;
  }
  const visual = box(document.querySelector('[data-testid="stMain"] VISUAL'));
  const actionEl = document.querySelector('[data-testid="stMain"] [class*="_action"] button, ' +
                                          '[data-testid="stMain"] [class*="_action"] [data-testid="stPopover"]');
  const action = box(actionEl);
  return {window_px: win, content_px: win + overflow, visual: visual,
          visual_found: visual !== null && visual.height > 0, visual_inside: inside(visual),
          action_inside: action === null ? null : inside(action)};
}""".replace("TOL", str(TOLERANCE_PX)).replace("VISUAL", VISUAL_SELECTOR)


@dataclass
class Fit:
    window_px: float
    content_px: float
    visual_found: bool
    visual_inside: bool
    action_inside: bool | None
    visual_top: float | None = None
    visual_bottom: float | None = None

    @property
    def scrolls(self) -> bool:
        return self.content_px > self.window_px + TOLERANCE_PX

    @property
    def fits(self) -> bool:
        """No scrolling; the main visual (when the slide has one) and the primary action inside the window."""
        return not self.scrolls and (self.visual_inside or not self.visual_found) and self.action_inside is not False

    @property
    def demo_fits(self) -> bool:
        """For a slide with a staged demo: :attr:`fits`, and the visual was found (the demo drew into it)."""
        return self.visual_found and self.fits

    def describe(self) -> str:
        """One line, e.g. ``content 702/720 px, visual 98-655 px inside, action inside``."""
        parts = [f"content {self.content_px:.0f}/{self.window_px:.0f} px"]
        if self.visual_found:
            parts.append(f"visual {self.visual_top:.0f}-{self.visual_bottom:.0f} px "
                         + ("inside" if self.visual_inside else "OUTSIDE the window"))
        else:
            parts.append("no staged visual")
        if self.action_inside is not None:
            parts.append("action " + ("inside" if self.action_inside else "OUTSIDE the window"))
        return ", ".join(parts)


def measure(page) -> Fit:
    """Measure the slide a playwright ``page`` shows now (call it once the run has finished)."""
    r = page.evaluate(FIT_JS)
    v = r["visual"] or {}
    return Fit(window_px=r["window_px"], content_px=r["content_px"], visual_found=r["visual_found"],
               visual_inside=r["visual_inside"], action_inside=r["action_inside"],
               visual_top=v.get("top"), visual_bottom=v.get("bottom"))
