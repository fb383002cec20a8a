# One deck server (CPU PyTorch) for self-hosting; compose.yaml runs several behind nginx with Redis.
# Untested here (no Docker on the machine this was written on); tests/test_deploy.py checks that every file
# it copies exists and that compose.yaml and deploy/nginx.conf agree. Same lock files as deck.sh.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# system packages the deck uses (packages.txt: what Streamlit Community Cloud installs too)
COPY packages.txt ./
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(cat packages.txt) \
 && rm -rf /var/lib/apt/lists/*

# CPU torch at the version pinned in requirements-torch.lock, then the hashed lock (as deck.sh does for cpu)
COPY requirements.lock requirements-torch.lock ./
RUN python -m venv /app/.venv \
 && TORCH_VERSION=$(sed -n 's/^torch==\([0-9.]*\).*/\1/p' requirements-torch.lock) \
 && /app/.venv/bin/python -m pip install -q --no-deps --extra-index-url https://download.pytorch.org/whl/cpu "torch==${TORCH_VERSION}+cpu" \
 && /app/.venv/bin/python -m pip install -q --require-hashes --no-deps -r requirements.lock

COPY streamlit_app.py pyproject.toml ./
COPY .streamlit ./.streamlit
COPY deck ./deck
COPY demos ./demos
COPY models ./models
COPY slides ./slides

RUN useradd --create-home --uid 1000 deck && chown -R deck /app
USER deck
EXPOSE 8501
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2)"
CMD ["/app/.venv/bin/python", "-m", "streamlit", "run", "streamlit_app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
