"""Suite-wide rule: in CI a skipped test is a failed test.

CI (the environment variable CI set to anything but "", 0, false or no) has every shipped artefact,
data package and system package, so a skip there can only hide something missing. A test that skips
is reported as failed with its skip reason, a module that skips at collection is a collection error,
and if any skip still reaches the summary (a plugin's, say) the run's exit status is made non-zero.
Outside CI skips stay skips (a laptop without the word list, a torch without int8 kernels), and
``deck.sh test`` runs pytest with ``-rfEs`` so every skip is listed with its reason.
"""
import os

import pytest

CI_NOTE = "skipped while CI is set, which counts as a failure here"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _reason(longrepr) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:   # (file, line, "Skipped: why")
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if in_ci() and rep.skipped and not hasattr(rep, "wasxfail"):
        rep.outcome = "failed"
        rep.longrepr = f"{item.nodeid}: {CI_NOTE} ({_reason(rep.longrepr)})"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    rep = outcome.get_result()
    if in_ci() and rep.skipped:
        rep.outcome = "failed"
        rep.longrepr = f"{collector.nodeid}: {CI_NOTE} ({_reason(rep.longrepr)})"


def pytest_sessionfinish(session, exitstatus):
    if not in_ci():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
