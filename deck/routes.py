"""The live room's routes on the deck's own server (``st.App(routes=...)`` in ``streamlit_app.py``).

* ``GET /room/<id>`` -- the audience page (``deck/audience.py``): plain HTML + JS, no Streamlit session.
* ``WS /room/<id>/ws`` -- the audience socket: the hub (``deck/hub.py``) pushes the room's messages;
  the page may send small messages back (votes), size- and rate-limited by the hub.
* ``WS /room/<id>/presenter`` -- the presenter page's socket: its first message must carry the room's
  key (``{"type": "hello", "key": ...}``; never in the URL), then it sends the laser pointer.
* ``GET /room/<id>/ping`` -- 204 while the room exists (the presenter page's check that these
  routes reach the server through whatever proxy is in front of it).

A room id that does not exist gets a short "this room has ended" page (HTTP 404) or a closed socket.
"""
from __future__ import annotations

import asyncio
import json
import math
import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import audience, hub, rooms

VOTER_COOKIE = "deck_voter"
HELLO_TIMEOUT_S = 5.0
PRESENTER_RATE, PRESENTER_BURST = 40.0, 60.0   # pointer moves are throttled to ~20/s by the page
ROOM_ID_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _room_id(scope_params: dict) -> str:
    room_id = str(scope_params.get("room_id", ""))
    return room_id if 0 < len(room_id) <= 64 and set(room_id) <= ROOM_ID_CHARS else ""


async def audience_page(request: Request) -> Response:
    room_id = _room_id(request.path_params)
    if not room_id or not rooms.room_exists(room_id):
        return HTMLResponse(audience.ended_page(), status_code=404)
    body, headers = audience.page(room_id)
    response = HTMLResponse(body, headers=headers)
    if not _voter_ok(request.cookies.get(VOTER_COOKIE, "")):
        response.set_cookie(VOTER_COOKIE, secrets.token_urlsafe(16), max_age=7 * 24 * 3600,
                            httponly=True, samesite="lax")
    return response


async def ping(request: Request) -> Response:
    room_id = _room_id(request.path_params)
    return Response(status_code=204 if room_id and rooms.room_exists(room_id) else 404,
                    headers={"Cache-Control": "no-store"})


def _voter_ok(value: str) -> bool:
    return 16 <= len(value) <= 64 and set(value) <= ROOM_ID_CHARS


async def audience_socket(websocket: WebSocket) -> None:
    room_id = _room_id(websocket.path_params)
    if not room_id or not rooms.room_exists(room_id):
        await websocket.close(code=4404)
        return
    hub.bind_loop()
    await websocket.accept()
    voter = websocket.cookies.get(VOTER_COOKIE, "")
    voter_id = voter if _voter_ok(voter) else "anon-" + secrets.token_urlsafe(12)
    follower = hub.Follower(room_id, voter_id, websocket.send_text, lambda code: websocket.close(code=code))
    if not hub.attach(follower):
        await websocket.close(code=1013)  # try again later: the room is full
        return
    try:
        while True:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                break
            raw = event.get("text")
            if raw is None:
                raw = event.get("bytes")
            if hub.inbound(follower, raw) == "close":
                await websocket.close(code=1008)
                break
            if follower.closed:
                break
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.detach(follower)


def _pointer(message: dict) -> dict | None:
    """A presenter's pointer message, cleaned (only the fields followers get), or None if malformed."""
    if message.get("off") is True:
        return {"type": "pointer", "off": True}
    x, y = message.get("x"), message.get("y")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (x, y)):
        return None
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        return None
    return {"type": "pointer", "x": round(float(x), 4), "y": round(float(y), 4)}


async def presenter_socket(websocket: WebSocket) -> None:
    room_id = _room_id(websocket.path_params)
    if not room_id or not rooms.room_exists(room_id):
        await websocket.close(code=4404)
        return
    hub.bind_loop()
    await websocket.accept()
    try:
        first = await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT_S)
        hello = json.loads(first) if len(first) <= hub.MAX_INBOUND_BYTES else None
    except (asyncio.TimeoutError, ValueError, KeyError, WebSocketDisconnect, RuntimeError):
        hello = None
    key = hello.get("key") if isinstance(hello, dict) and hello.get("type") == "hello" else None
    if not isinstance(key, str) or not rooms.is_presenter(room_id, key):
        await _close(websocket, 4403)
        return
    hub.mark_presenter(room_id)
    await websocket.send_text(json.dumps({"type": "welcome", "followers": hub.follower_count(room_id)}))
    limit = hub.RateLimit(PRESENTER_RATE, PRESENTER_BURST)
    try:
        while rooms.room_exists(room_id):
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                break
            raw = event.get("text") or ""
            hub.mark_presenter(room_id)
            if len(raw) > hub.MAX_INBOUND_BYTES or not limit.allow():
                continue
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            if message.get("type") == "pointer":
                clean = _pointer(message)
                if clean is not None:
                    hub.broadcast(room_id, clean)
            elif message.get("type") == "ping":
                rooms.touch(room_id, key)  # the presenter is still there: the room is not idle
                await websocket.send_text(json.dumps({"type": "pong", "followers": hub.follower_count(room_id)}))
    except (WebSocketDisconnect, RuntimeError):
        pass


async def _close(websocket: WebSocket, code: int) -> None:
    try:
        await websocket.close(code=code)
    except RuntimeError:
        pass


ROUTES = [
    Route("/room/{room_id}", audience_page, methods=["GET"]),
    Route("/room/{room_id}/ping", ping, methods=["GET"]),
    WebSocketRoute("/room/{room_id}/ws", audience_socket),
    WebSocketRoute("/room/{room_id}/presenter", presenter_socket),
]
