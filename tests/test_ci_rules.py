"""Skips cannot hide failures: in CI a skip fails the run, and no test module skips itself on import."""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

SKIPPING = '''
import pytest

def test_passes():
    assert True

@pytest.mark.skipif(True, reason="pretend the word list is missing")
def test_marked():
    pass

def test_skips_inside():
    pytest.skip("pretend an artefact is missing")

@pytest.mark.xfail(reason="expected failures are not skips", strict=True)
def test_expected_failure():
    assert False
'''

MODULE_SKIP = '''
import pytest
nothing = pytest.importorskip("a_module_that_does_not_exist_anywhere")

def test_never_collected():
    pass
'''


def run_pytest(folder: Path, ci: str | None):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider",
                        "--rootdir", str(folder), "-c", os.devnull, str(folder)],
                       cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def _suite(tmp_path, body):
    shutil.copy(TESTS / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(body)
    return tmp_path


def test_skips_are_listed_and_pass_outside_ci(tmp_path):
    rc, out = run_pytest(_suite(tmp_path, SKIPPING), ci=None)
    assert rc == 0, out
    assert "2 skipped" in out and "pretend the word list is missing" in out and "pretend an artefact" in out


def test_every_skip_fails_in_ci(tmp_path):
    rc, out = run_pytest(_suite(tmp_path, SKIPPING), ci="true")
    assert rc == 1, out
    assert "skipped" not in out.splitlines()[-1], out          # the summary line counts none as skipped
    assert out.count("counts as a failure") >= 2, out
    assert "pretend the word list is missing" in out and "pretend an artefact is missing" in out
    assert "1 passed" in out and "1 xfailed" in out


def test_ci_false_is_not_ci(tmp_path):
    rc, out = run_pytest(_suite(tmp_path, SKIPPING), ci="false")
    assert rc == 0 and "2 skipped" in out, out


def test_a_module_that_skips_on_import_fails_in_ci(tmp_path):
    rc, out = run_pytest(_suite(tmp_path, MODULE_SKIP), ci="true")
    assert rc != 0 and "counts as a failure" in out, out
    rc, out = run_pytest(_suite(tmp_path, MODULE_SKIP), ci=None)
    assert rc == pytest.ExitCode.NO_TESTS_COLLECTED and "1 skipped" in out, out     # a skip, not a failure


def _module_level_skips(tree: ast.Module):
    """Calls of importorskip, or of skip(..., allow_module_level=True), outside any function or class."""
    found = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "importorskip" or (name == "skip" and any(k.arg == "allow_module_level" for k in node.keywords)):
                found.append(node.lineno)
    return found


def test_no_test_module_turns_an_import_error_into_a_skip():
    assert _module_level_skips(ast.parse(MODULE_SKIP)) == [3]          # the check itself finds one
    bad = {}
    for path in sorted(TESTS.rglob("*.py")):
        lines = _module_level_skips(ast.parse(path.read_text(), str(path)))
        if lines:
            bad[str(path.relative_to(TESTS))] = lines
    assert not bad, f"module-level importorskip / skip(allow_module_level=True) in {bad}"


def test_the_suite_command_lists_skips_with_their_reasons():
    import re

    lines = [ln for ln in (TESTS.parent / "deck.sh").read_text().splitlines() if "-m pytest" in ln]
    assert lines and all(re.search(r"\s-r[a-zA-Z]*s", ln) for ln in lines), lines     # e.g. -rfEs
