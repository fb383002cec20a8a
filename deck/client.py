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
  window.__deckPress = press;  // the sidebar's buttons and jump box (deck/sidebar.py)
  document.addEventListener('click', function (e) {          // Prev / Next clicked: numbered too
    if (!e.isTrusted) { return; }
    var side = e.target && e.target.closest ? e.target.closest('.deck-side [data-deck-press]') : null;
    if (side) { press(side.getAttribute('data-deck-press')); e.preventDefault(); return; }
    var b = e.target && e.target.closest ? e.target.closest('.st-key-deck_prev button, .st-key-deck_next button') : null;
    if (!b || b.disabled) { return; }
    if (press(b.closest('.st-key-deck_prev') ? 'prev' : 'next')) { e.preventDefault(); e.stopPropagation(); }
  }, true);
  // the sidebar's jump box (deck/sidebar.py): a typed number ("12") or a picked title ("12. Backprop")
  function jump(box) {
    var m = /^\s*(\d{1,4})/.exec(box.value || '');
    if (!m) { return; }
    var n = parseInt(m[1], 10), count = parseInt(box.getAttribute('data-count'), 10);
    box.value = '';
    if (n >= 1 && n <= count) { press('goto:' + box.getAttribute('data-deck-jump') + ':' + (n - 1)); box.blur(); }
  }
  document.addEventListener('change', function (e) {
    if (e.target && e.target.matches && e.target.matches('input[data-deck-jump]')) { jump(e.target); }
  }, true);
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && e.target && e.target.matches && e.target.matches('input[data-deck-jump]')) {
      e.preventDefault(); jump(e.target); return;
    }
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

# The presenter's side of a live room (only on the page holding the room's key; see deck/follow.py).
# It opens its own socket to /room/<id>/presenter and sends the key in the first message (never in a
# URL followers see), which also shows that this host passes the push routes through: the panel's
# mode line then says "live push"; if the socket cannot get through it says "fallback polling".
# Holding L shows a laser pointer: a red dot follows the mouse on this page and on every follower
# (coordinates normalised to the slide's area, at most ~20 messages a second).
ROOM_JS = """
<script>
(function () {
  var q = new URLSearchParams(location.search);
  var room = q.get('room') || '', key = q.get('key') || '';
  if (!room || !key) { return; }
  if (window.__deckRoom === room) { return; }
  window.__deckRoom = room;
  window.__deckRoomMode = 'checking';
  var ws = null, ready = false, failures = 0, on = false, last = 0, timer = null, pendingXY = null;
  var dot = document.createElement('div');
  dot.className = 'deck-laser';
  dot.style.cssText = 'position:fixed;width:18px;height:18px;margin:-9px 0 0 -9px;border-radius:50%;' +
    'background:rgba(230,20,20,0.85);box-shadow:0 0 10px 4px rgba(255,40,40,0.55);pointer-events:none;' +
    'z-index:100000;display:none;';
  document.body.appendChild(dot);
  function showMode() {
    var live = window.__deckRoomMode === 'push';
    var els = document.querySelectorAll('.deck-room-mode');
    for (var i = 0; i < els.length; i++) {
      var t = live ? 'Mode: \\ud83d\\udfe2 live push' :
        (window.__deckRoomMode === 'checking' ? 'Mode: checking the push route\\u2026' :
         'Mode: \\ud83d\\udfe0 fallback polling (share the ?room= link)');
      if (els[i].textContent !== t) { els[i].textContent = t; }
    }
    var n = document.querySelectorAll('.deck-room-followers');
    for (var j = 0; j < n.length; j++) {
      if (typeof window.__deckRoomFollowers === 'number' && n[j].textContent !== String(window.__deckRoomFollowers)) {
        n[j].textContent = String(window.__deckRoomFollowers);
      }
    }
  }
  setInterval(showMode, 1000);
  function base() { return location.href.split(/[?#]/)[0].replace(/[^\\/]*$/, ''); }
  function connect() {
    var url = new URL('room/' + encodeURIComponent(room) + '/presenter', base());
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    try { ws = new WebSocket(url.href); } catch (e) { ws = null; retry(); return; }
    ws.onopen = function () { ws.send(JSON.stringify({type: 'hello', key: key})); };
    ws.onmessage = function (ev) {
      var m; try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === 'welcome' || m.type === 'pong') {
        ready = true; failures = 0; window.__deckRoomMode = 'push';
        if (typeof m.followers === 'number') { window.__deckRoomFollowers = m.followers; }
        showMode();
      }
    };
    ws.onclose = function (ev) {
      ws = null; ready = false;
      if (ev.code === 4403 || ev.code === 4404) { window.__deckRoomMode = 'fallback'; showMode(); return; }
      retry();
    };
  }
  function retry() {
    failures += 1;
    if (failures >= 2) { window.__deckRoomMode = 'fallback'; showMode(); }
    setTimeout(connect, Math.min(15000, 1000 * Math.pow(2, Math.min(failures, 4))));
  }
  setInterval(function () { if (ws && ready) { ws.send('{"type":"ping"}'); } }, 10000);
  function send(obj) { if (ws && ready) { ws.send(JSON.stringify(obj)); } }
  function area() {
    var el = document.querySelector('[data-testid="stMainBlockContainer"]') || document.body;
    return el.getBoundingClientRect();
  }
  function flush() {
    timer = null;
    if (!pendingXY) { return; }
    last = Date.now();
    send({type: 'pointer', x: pendingXY[0], y: pendingXY[1]});
    pendingXY = null;
  }
  function typing(t) {
    var tag = (t && t.tagName || '').toLowerCase();
    return tag === 'input' || tag === 'textarea' || tag === 'select' || (t && t.isContentEditable);
  }
  document.addEventListener('keydown', function (e) {
    if ((e.key === 'l' || e.key === 'L') && !e.altKey && !e.ctrlKey && !e.metaKey && !typing(e.target)) {
      e.preventDefault();
      if (!on) { on = true; document.documentElement.style.cursor = 'none'; }
    }
  }, true);
  function off() {
    if (!on) { return; }
    on = false; dot.style.display = 'none'; document.documentElement.style.cursor = '';
    pendingXY = null; send({type: 'pointer', off: true});
  }
  document.addEventListener('keyup', function (e) { if (e.key === 'l' || e.key === 'L') { off(); } }, true);
  window.addEventListener('blur', off);
  document.addEventListener('mousemove', function (e) {
    if (!on) { return; }
    dot.style.left = e.clientX + 'px'; dot.style.top = e.clientY + 'px'; dot.style.display = 'block';
    var r = area();
    var x = Math.min(1, Math.max(0, (e.clientX - r.left) / Math.max(1, r.width)));
    var y = Math.min(1, Math.max(0, (e.clientY - r.top) / Math.max(1, r.height)));
    pendingXY = [Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000];
    var wait = 50 - (Date.now() - last);
    if (wait <= 0) { flush(); } else if (!timer) { timer = setTimeout(flush, wait); }
  }, true);
  connect();
})();
</script>
"""
