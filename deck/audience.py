"""The audience page of a live room (``GET /room/<id>``): plain HTML + JS, no Streamlit session.

It opens one WebSocket to ``/room/<id>/ws`` and draws what the room pushes (``deck/hub.py``):

* ``slide`` -- the slide as HTML from the deck's own renderer (``deck/static_render.py``, which
  escapes everything taken from slide files); the only HTML the page inserts as markup;
* ``pointer`` -- the presenter's laser pointer, a red dot at normalised (x, y) over the slide;
* ``mirror`` -- a demo's live picture (only ``data:image/png|jpeg|webp;base64`` URLs are used), its
  caption and a few values, all inserted as text;
* ``poll`` -- a question with choices and live counts; a tap sends ``{"type":"vote","poll":id,"choice":i}``;
* ``end`` -- the room has ended.

Everything else shown (captions, poll questions and choices, titles) is set with ``textContent``.
A Content-Security-Policy with a per-page nonce lets only this page's own script run. The page never
sees the room's key. If the socket cannot connect at all (a host that does not pass WebSockets through
to these routes), the page moves to the polling path: the full deck following the room (``../?room=<id>``, relative to ``/room/<id>``).
"""
from __future__ import annotations

import html
import json
import secrets

try:
    from .static_render import PAGE_CSS
except ImportError:  # pragma: no cover - the renderer ships with the deck
    PAGE_CSS = ""

AUDIENCE_CSS = """
html, body { margin: 0; padding: 0; background: #fff; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1f2328; }
#deck-bar { position: sticky; top: 0; z-index: 20; display: flex; gap: 0.6em; align-items: center;
  flex-wrap: wrap; padding: 0.35em 0.8em; font-size: 15px; background: rgba(244, 246, 248, 0.94);
  border-bottom: 1px solid #d0d7de; }
#deck-status { font-weight: 600; }
#deck-status.live::before { content: "\\25CF "; color: #d1242f; }
#deck-counter { color: #57606a; }
#deck-try { margin-left: auto; color: #0072B2; }
#deck-stage { position: relative; max-width: 1100px; margin: 0 auto; }
#deck-pointer { position: absolute; width: 18px; height: 18px; margin: -9px 0 0 -9px; border-radius: 50%;
  background: rgba(230, 20, 20, 0.85); box-shadow: 0 0 10px 4px rgba(255, 40, 40, 0.55);
  pointer-events: none; z-index: 30; display: none; }
#deck-mirror { max-width: 1100px; margin: 0 auto; padding: 0 1em; text-align: center; }
#deck-mirror img { max-width: 100%; max-height: 70vh; border-radius: 4px; }
#deck-mirror .deck-mirror-text { color: #57606a; margin: 0.3em 0; white-space: pre-wrap; }
#deck-mirror .deck-mirror-data { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85em;
  color: #57606a; }
#deck-poll { max-width: 700px; margin: 0.8em auto; padding: 0.6em 1em; border: 2px solid #0072B2;
  border-radius: 10px; display: none; }
#deck-poll .deck-poll-q { font-weight: 600; margin-bottom: 0.4em; }
#deck-poll button { display: flex; width: 100%; justify-content: space-between; margin: 0.3em 0;
  padding: 0.55em 0.8em; font-size: 17px; border: 1px solid #0072B2; border-radius: 8px; background: #fff;
  cursor: pointer; }
#deck-poll button.mine { background: #0072B2; color: #fff; }
#deck-poll button:disabled { cursor: default; opacity: 0.85; }
#deck-ended { display: none; max-width: 700px; margin: 1em auto; padding: 0.8em 1em; background: #fff8c5;
  border: 1px solid #d4a72c; border-radius: 8px; }
.deck-slide figure.deck-demo.deck-mirrored { display: none; }
"""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Live room</title>
<style>__CSS__</style></head>
<body data-room="__ROOM__">
<div id="deck-bar"><span id="deck-status">Connecting&hellip;</span><span id="deck-counter"></span>
<a id="deck-try" href="../" target="_blank" rel="noopener">Try it yourself</a></div>
<div id="deck-ended">The presenter has ended this live room. Thank you for following!</div>
<div id="deck-stage"><div id="deck-slide"><section class="deck-slide"><p>Waiting for the presenter&hellip;</p></section></div>
<div id="deck-pointer"></div></div>
<div id="deck-mirror"></div>
<div id="deck-poll"></div>
<script nonce="__NONCE__">
(function () {
  'use strict';
  var ROOM = __ROOM_JSON__;
  var $ = function (id) { return document.getElementById(id); };
  var status = $('deck-status'), counter = $('deck-counter'), tryLink = $('deck-try');
  var slideBox = $('deck-slide'), dot = $('deck-pointer'), mirrorBox = $('deck-mirror'), pollBox = $('deck-poll');
  var ws = null, opened = false, failures = 0, ended = false, current = null, pollId = null;
  window.__deckShown = [];                      // [talk, index, Date.now()] per slide shown (tests, benchmark)
  var IMAGE = /^data:image\\/(png|jpeg|webp);base64,[A-Za-z0-9+\\/=]+$/;

  function setStatus(text, live) { status.textContent = text; status.className = live ? 'live' : ''; }
  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.textContent = value == null ? '' : String(value);
    return el;
  }

  function showSlide(m) {
    if (typeof m.html !== 'string') { return; }
    slideBox.innerHTML = m.html;               // only ever from the deck's own renderer (escaped there)
    var scripts = slideBox.querySelectorAll('script');
    for (var i = 0; i < scripts.length; i++) { scripts[i].remove(); }
    current = {talk: String(m.talk), index: Number(m.index)};
    document.body.setAttribute('data-talk', current.talk);
    document.body.setAttribute('data-index', String(current.index));
    counter.textContent = (typeof m.count === 'number') ? ('Slide ' + (current.index + 1) + ' / ' + m.count) : '';
    if (typeof m.title === 'string') { document.title = m.title + ' \\u2014 live room'; }
    if (typeof m.url === 'string' && /^\\.\\.\\/\\?[A-Za-z0-9_=&%.+\\-]*$/.test(m.url)) { tryLink.href = m.url; }
    mirrorBox.textContent = '';
    dot.style.display = 'none';
    window.__deckShown.push([current.talk, current.index, Date.now()]);
  }

  function showPointer(m) {
    if (m.off || typeof m.x !== 'number' || typeof m.y !== 'number') { dot.style.display = 'none'; return; }
    var x = Math.min(1, Math.max(0, m.x)), y = Math.min(1, Math.max(0, m.y));
    dot.style.left = (x * 100) + '%';
    dot.style.top = (y * 100) + '%';
    dot.style.display = 'block';
  }

  function showMirror(m) {
    if (!current || String(m.talk) !== current.talk || Number(m.index) !== current.index) { return; }
    mirrorBox.textContent = '';
    if (typeof m.image === 'string' && IMAGE.test(m.image)) {
      var img = document.createElement('img');
      img.alt = 'The presenter\\'s live demo';
      img.src = m.image;
      mirrorBox.appendChild(img);
      var still = slideBox.querySelector('figure.deck-demo');
      if (still) { still.classList.add('deck-mirrored'); }
    }
    if (m.text != null) { mirrorBox.appendChild(text('div', 'deck-mirror-text', m.text)); }
    if (m.data && typeof m.data === 'object') {
      var keys = Object.keys(m.data).slice(0, 20);
      var lines = keys.map(function (k) {
        var v = m.data[k];
        return k + ': ' + (typeof v === 'object' ? JSON.stringify(v) : String(v));
      });
      mirrorBox.appendChild(text('div', 'deck-mirror-data', lines.join('  \\u00b7  ').slice(0, 2000)));
    }
  }

  function showPoll(m) {
    pollBox.textContent = '';
    if (!m || !Array.isArray(m.choices)) { pollBox.style.display = 'none'; return; }
    pollId = m.id;
    var mine = null;
    try { mine = sessionStorage.getItem('deck-vote-' + ROOM + '-' + m.id); } catch (e) {}
    pollBox.appendChild(text('div', 'deck-poll-q', m.question));
    m.choices.slice(0, 12).forEach(function (choice, i) {
      var b = document.createElement('button');
      b.type = 'button';
      b.appendChild(text('span', '', choice));
      var n = Array.isArray(m.counts) && typeof m.counts[i] === 'number' ? m.counts[i] : 0;
      b.appendChild(text('span', 'deck-poll-count', n));
      if (String(i) === mine) { b.className = 'mine'; }
      b.disabled = !m.open;
      b.addEventListener('click', function () {
        if (!ws || ws.readyState !== 1) { return; }
        ws.send(JSON.stringify({type: 'vote', poll: m.id, choice: i}));
        try { sessionStorage.setItem('deck-vote-' + ROOM + '-' + m.id, String(i)); } catch (e) {}
        var all = pollBox.querySelectorAll('button');
        for (var k = 0; k < all.length; k++) { all[k].className = k === i ? 'mine' : ''; }
      });
      pollBox.appendChild(b);
    });
    if (!m.open) { pollBox.appendChild(text('div', 'deck-poll-q', 'Voting is closed.')); }
    pollBox.style.display = 'block';
  }

  function onMessage(ev) {
    var m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (!m || typeof m.type !== 'string') { return; }
    if (m.type === 'slide') { showSlide(m); }
    else if (m.type === 'pointer') { showPointer(m); }
    else if (m.type === 'mirror') { showMirror(m); }
    else if (m.type === 'poll') { showPoll(m); }
    else if (m.type === 'status') { setStatus(String(m.text || ''), m.live === true); }
    else if (m.type === 'end') {
      ended = true;
      setStatus('Room ended', false);
      $('deck-ended').style.display = 'block';
      dot.style.display = 'none';
      if (ws) { ws.close(); }
    }
  }

  function connect() {
    if (ended) { return; }
    var url = new URL('ws', location.href.replace(/\\/?([?#].*)?$/, '/'));
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(url.href);
    ws.onopen = function () { opened = true; failures = 0; setStatus('Following live', true); };
    ws.onmessage = onMessage;
    ws.onclose = function (ev) {
      ws = null;
      if (ended) { return; }
      if (ev.code === 4404) {                  // the room is gone
        ended = true; setStatus('Room ended', false); $('deck-ended').style.display = 'block'; return;
      }
      failures += 1;
      if (!opened && failures >= 3) {          // this host does not pass the socket through: poll instead
        setStatus('Switching to the slower follow mode\\u2026', false);
        location.replace('../?room=' + encodeURIComponent(ROOM));
        return;
      }
      setStatus('Reconnecting\\u2026', false);
      var wait = Math.min(10000, 500 * Math.pow(2, Math.min(failures, 5))) * (0.7 + 0.6 * Math.random());
      setTimeout(connect, wait);
    };
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && !ws && !ended) { connect(); }
  });
  setInterval(function () { if (ws && ws.readyState === 1) { ws.send('{"type":"ping"}'); } }, 25000);
  connect();
})();
</script>
</body></html>
"""

_ENDED = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Room ended</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 3em auto; padding: 0 1em;">
<h1>This live room has ended</h1>
<p>The presenter has ended it, or the link is wrong. You can still <a href="../">browse the deck</a>.</p>
</body></html>
"""


def page(room_id: str) -> tuple[str, dict[str, str]]:
    """The audience page of a room and its response headers (a CSP whose nonce admits only its script)."""
    nonce = secrets.token_urlsafe(16)
    body = (_PAGE.replace("__CSS__", PAGE_CSS + AUDIENCE_CSS)
            .replace("__ROOM_JSON__", json.dumps(room_id).replace("<", "\\u003c"))
            .replace("__ROOM__", html.escape(room_id, quote=True))
            .replace("__NONCE__", nonce))
    headers = {
        "Content-Security-Policy": (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
                                    "img-src data:; connect-src 'self' ws: wss:; base-uri 'none'; "
                                    "form-action 'none'; frame-ancestors 'self'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return body, headers


def ended_page() -> str:
    return _ENDED
