"""Real-browser fixtures: a real Streamlit server of the deck and Debian's Chromium via playwright."""
import pytest

from deck.serve import CHROMIUM_FLAGS, chromium_path, deck_server


@pytest.fixture(scope="session")
def deck_url():
    with deck_server() as (url, _proc, _secs):
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_FLAGS}


@pytest.fixture
def shots(tmp_path_factory):
    from pathlib import Path

    out = Path(__file__).resolve().parents[2] / "test-output"
    out.mkdir(exist_ok=True)
    return out


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
