"""Demo mirroring, the deck's side: the presenter's session of a live room gets a mirror sink.

``attach`` runs once per full run of the deck page (``deck/app.py``), before the slide's demo: for the
presenter of a room (``deck.follow.role``) it registers a :class:`demos.kit.mirror.Sink` in this session, so
the demo's ``mirror.publish`` calls reach the room's audience pages as
``{"type": "mirror", "talk", "index", "demo", "image", "text", "data"}`` through ``deck.hub.broadcast``;
for anyone else it removes the sink, so ``publish`` is a no-op (an audience window, a solo visitor).
The throttle (4 a second per room), picture size and encoding live in ``demos/kit/mirror.py``.
"""
from __future__ import annotations

import functools
import logging

from demos.kit import mirror as kit_mirror

from . import hub, rooms

_LOG = logging.getLogger(__name__)


def _send(room_id: str, talk_id: str, index: int, update: dict) -> None:
    """Called from the mirror's worker thread with one encoded update (dropped if the room has ended)."""
    if not rooms.room_exists(room_id):
        return
    message = {"type": "mirror", "talk": talk_id, "index": index, "demo": update.get("demo"),
               "image": update.get("image"), "text": update.get("text"), "data": update.get("data")}
    try:
        hub.broadcast(room_id, message)
    except ValueError as exc:  # too large for the hub: say so once per update, never take the worker down
        _LOG.warning("mirror update for room %s not sent: %s", room_id, exc)


def sink_for(room_id: str, talk_id: str, index: int) -> kit_mirror.Sink:
    return kit_mirror.Sink(room_id, functools.partial(_send, room_id, talk_id, int(index)), (talk_id, int(index)))


def attach(session_state, room_id: str, role_name: str, talk_id: str, index: int) -> None:
    """Register this session's mirror sink when it presents room ``room_id`` on slide (talk, index);
    remove it otherwise. Cheap: the same sink is not stored twice."""
    if room_id and role_name == "presenter":
        kit_mirror.set_sink(session_state, sink_for(room_id, talk_id, index))
    else:
        kit_mirror.set_sink(session_state, None)


rooms.on_end(kit_mirror.forget)  # a room that ended: drop its waiting update
