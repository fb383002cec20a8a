"""What the deck sends to the browser besides Streamlit elements: keyboard handling and CSS.

Keys (presenters use arrows or a clicker, which sends PageUp/PageDown):
→ / PageDown / Space = next, ← / PageUp = previous, Home / End = first / last slide,
Esc = leave the focused widget (so a focused slider never traps the arrow keys),
P = present mode on/off.

The handler runs in the page itself (``st.html(..., unsafe_allow_javascript=True)``) and listens in
the capture phase. It numbers every press (clicks on Prev/Next too) and writes the latest presses,
``"<n>:<action>"`` separated by spaces, into the deck's hidden text box, then commits it as Enter
would; the server carries out each number once (``deck.moves.apply_presses``). So every move still
goes through Streamlit's normal rerun and the URL update, and a press is never lost or doubled.
"""
from .diagrams import DIAGRAM_CSS, PRESENT_DIAGRAM_CSS
from .moves import MAX_PRESSES, PRESS_KEY

KEYS_JS = """
<script>
(function () {
  if (window.__deckKeys) { return; }
  window.__deckKeys = true;
  window.__deckPresses = 0;
  var recent = [];
  var setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  function box() { return document.querySelector('.st-key-PRESS_KEY input'); }
  var waiting = null, attempt = 0, lastCommit = 0;
  function commit() {
    var b = box();
    if (!b) {   // the page is still drawing the box: keep the press and commit it once it is there
      if (!waiting) { waiting = setTimeout(function () { waiting = null; commit(); }, 50); }
      return;
    }
    lastCommit = Date.now();
    // a re-send starts with 'rN' (the server skips it), so the box always changes and is sent again
    var text = (attempt ? 'r' + attempt + ' ' : '') + recent.join(' ');
    if (b.value !== text) {
      setValue.call(b, text);                                  // as typing would (React sees it)
      b.dispatchEvent(new Event('input', {bubbles: true}));
    }
    // Enter commits the box in a task of its own, after React has taken the new text
    setTimeout(function () {
      var c = box();
      if (c) { c.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', keyCode: 13,
                                                               which: 13, bubbles: true})); }
    }, 0);
  }
  // Delivery is confirmed: every run draws the number of the last press the server carried out
  // (deck-press-ack-N, in the hidden nav). If the page is idle and that is still below the last
  // press 1.5 s after sending, the box is sent again; the server carries out each number once, so
  // a re-send can never move twice.
  function acked() {
    var el = document.querySelector('.deck-press-ack');
    var m = el ? /deck-press-ack-(\d+)/.exec(el.className) : null;
    return m ? parseInt(m[1], 10) : -1;
  }
  setInterval(function () {
    if (!window.__deckPresses || Date.now() - lastCommit < 1500) { return; }
    var app = document.querySelector('[data-testid="stApp"]');
    if (app && app.getAttribute('data-test-script-state') !== 'notRunning') { return; }
    var done = acked();
    if (done >= 0 && done < window.__deckPresses) { attempt += 1; commit(); }
  }, 250);
  function press(name) {
    window.__deckPresses += 1;
    recent.push(window.__deckPresses + ':' + name);
    if (recent.length > MAX_PRESSES) { recent.shift(); }
    commit();
    return true;
  }
  document.addEventListener('click', function (e) {          // Prev / Next clicked: numbered too
    if (!e.isTrusted) { return; }
    var b = e.target && e.target.closest ? e.target.closest('.st-key-deck_prev button, .st-key-deck_next button') : null;
    if (!b || b.disabled) { return; }
    if (press(b.closest('.st-key-deck_prev') ? 'prev' : 'next')) { e.preventDefault(); e.stopPropagation(); }
  }, true);
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.isComposing) { return; }
    var t = e.target || document.body;
    var tag = (t.tagName || '').toLowerCase();
    var typing = tag === 'input' || tag === 'textarea' || tag === 'select' || t.isContentEditable;
    var role = t.getAttribute ? (t.getAttribute('role') || '') : '';
    var widget = typing || role === 'slider' || role === 'combobox' || role === 'listbox' ||
                 role === 'option' || role === 'radio' || role === 'checkbox' || role === 'switch';
    var act = null;
    switch (e.key) {
      case 'PageDown': act = 'next'; break;            // clickers: always move on
      case 'PageUp': act = 'prev'; break;
      case 'ArrowRight': if (!widget) { act = 'next'; } break;
      case 'ArrowLeft': if (!widget) { act = 'prev'; } break;
      case ' ': if (!widget && tag !== 'button') { act = 'next'; } break;
      case 'Home': if (!widget) { act = 'first'; } break;
      case 'End': if (!widget) { act = 'last'; } break;
      case 'p': case 'P': if (!typing) { act = 'present'; } break;
      case 'Escape':
        if (t && t.blur && t !== document.body) { t.blur(); }
        return;
    }
    if (act && press(act)) { e.preventDefault(); e.stopPropagation(); }
  }, true);
})();
</script>
""".replace("PRESS_KEY", PRESS_KEY).replace("MAX_PRESSES", str(MAX_PRESSES))

BASE_CSS = """
<style>
.st-key-deck_hidden, .st-key-deck_run_marker { display: none !important; }
.st-key-deck_nav { margin-top: 0.5rem; }
.st-key-deck_plotly_warmup { position: absolute; left: -9999px; width: 300px; height: 10px; overflow: hidden; }
.deck-counter { opacity: 0.72; font-size: 0.95rem; }
/* phones (browse mode, attendees reading along): Prev/Next stay on screen at the bottom, however long the
   slide, and wide content scrolls inside its own box, never the page sideways */
@media (max-width: 640px) {
  [data-testid="stLayoutWrapper"]:has(> .st-key-deck_nav), .st-key-deck_nav {
    position: sticky; bottom: 0; z-index: 50; }
  .st-key-deck_nav { padding: 0.35rem 0; flex-wrap: wrap; row-gap: 0.2rem;
    backdrop-filter: blur(12px); -webkit-backdrop-filter: blur(12px);
    background: color-mix(in srgb, currentColor 8%, transparent); }
  .deck-counter { font-size: 0.85rem; }
  [data-testid="stMain"] .stMarkdown table { display: block; max-width: 100%; overflow-x: auto; }
  [data-testid="stMain"] img, [data-testid="stMain"] canvas { max-width: 100%; height: auto; }
}
</style>
""" + DIAGRAM_CSS  # diagrams: deck/diagrams.py

PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
.block-container, [data-testid="stMainBlockContainer"] {
  padding-top: 2.2rem !important; padding-bottom: 1rem !important; max-width: 92vw !important; }
[data-testid="stMain"] h2 { font-size: clamp(2.2rem, 4.2vw, 4.2rem); line-height: 1.15; padding-bottom: 0.4rem; }
[data-testid="stMain"] .stMarkdown p, [data-testid="stMain"] .stMarkdown li {
  font-size: clamp(1.25rem, 2.1vw, 2.1rem); line-height: 1.35; }
[data-testid="stMain"] .stMarkdown code { font-size: 0.85em; }
[data-testid="stMain"] .stMarkdown pre code { font-size: clamp(0.8rem, 1.1vw, 1.15rem); line-height: 1.3; }
</style>
""" + PRESENT_DIAGRAM_CSS
