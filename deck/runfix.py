"""A fragment's tick that arrives just as a full run ends waits for that run's last messages (Streamlit 1.67).

What happens without it: ``AppSession.request_rerun`` hands a fragment's rerun (the painting demo asks every
0.12 s) to the current ScriptRunner; a runner whose script has just ended refuses it, and the session then
starts a new ScriptRunner at once. Messages the ended run had queued but the event loop had not yet sent
belong to a runner that is no longer current, and are dropped: the run's last elements (the deck's
end-of-run marker), its "script finished" (so the previous slide's leftover elements are never cleared).
Measured before this fix: 4 of 240 moves between the painting slides "Two-Ply Network" and "Deep Network and
Time" at 1920x1080 lost the marker (the browser tests' intermittent "run did not finish"); with it, 0 of 320
(half of them with a third core's worth of load; one tick was deferred), and no leftover elements.

With ``install()``: in that one case -- a fragment's rerun while the ended runner is still the current one
-- the request is asked again ``RETRY_S`` later, by then after the ended runner's messages and its
shutdown. Full reruns (a key press) and every other case go through unchanged; a deferred tick is never
lost, only late by a few milliseconds.
"""
from __future__ import annotations

RETRY_S = 0.02
_MARK = "_deck_defers_fragment_ticks"


def install() -> None:
    """Patch ``AppSession`` once per process (idempotent)."""
    from streamlit.runtime.app_session import AppSession

    if getattr(AppSession, _MARK, False):
        return
    if not (hasattr(AppSession, "_create_scriptrunner") and hasattr(AppSession, "request_rerun")):
        return  # another Streamlit: the deck runs as before (tests/test_deck_app.py fails and says so)
    request_rerun = AppSession.request_rerun
    create = AppSession._create_scriptrunner

    def request_rerun_remembering(self, client_state=None):
        self._deck_asking = client_state  # what _create_scriptrunner below may have to ask again
        try:
            request_rerun(self, client_state)
        finally:
            self._deck_asking = None

    def create_unless_a_run_is_ending(self, initial_rerun_data):
        asking = getattr(self, "_deck_asking", None)
        if initial_rerun_data.fragment_id and self._scriptrunner is not None and asking is not None:
            self._event_loop.call_later(RETRY_S, request_rerun_remembering, self, asking)
            return
        create(self, initial_rerun_data)

    AppSession.request_rerun = request_rerun_remembering
    AppSession._create_scriptrunner = create_unless_a_run_is_ending
    setattr(AppSession, _MARK, True)
