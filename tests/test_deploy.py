"""The self-hosting recipe (issue #18): deploy/nginx.conf renders and passes `nginx -t`; compose.yaml and
the Dockerfile cannot run here (no Docker), so they are parsed and checked against each other, the nginx
template and the files in the repository."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deck.cluster import render_nginx

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_test(conf_text: str, run: Path) -> subprocess.CompletedProcess:
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: apt-get install nginx (bash deck.sh test does)")
    conf = run / "nginx.conf"
    conf.write_text(conf_text)
    return subprocess.run([NGINX, "-t", "-p", str(run), "-c", str(conf), "-e", str(run / "error.log")],
                          capture_output=True, text=True, timeout=30)


def test_nginx_template_renders_and_passes_nginx_t(tmp_path):
    text = render_nginx("127.0.0.1:18080", ["127.0.0.1:18081", "127.0.0.1:18082"], tmp_path)
    assert "__" not in text  # every placeholder filled
    assert text.count("server 127.0.0.1:1808") == 2
    result = nginx_test(text, tmp_path)
    assert result.returncode == 0, result.stderr
    # sticky sessions and WebSocket upgrades for Streamlit's stream and the room sockets
    assert re.search(r"hash \$deck_node consistent;", text)
    for location in ("location = /_stcore/stream", "location ~ ^/room/[^/]+/(ws|presenter)$"):
        block = text.split(location, 1)[1].split("}", 1)[0]
        assert "proxy_set_header Upgrade $http_upgrade;" in block
        assert "proxy_set_header Connection $connection_upgrade;" in block


def test_render_refuses_no_servers(tmp_path):
    with pytest.raises(ValueError):
        render_nginx(80, [], tmp_path)


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_compose_services_agree_with_nginx_and_dockerfile(tmp_path):
    services = compose()["services"]
    decks = sorted(name for name in services if name.startswith("deck"))
    assert set(services) == {"redis", "nginx", *decks} and len(decks) >= 2
    expose = {port for _, args in dockerfile() if _ == "EXPOSE" for port in args.split()}
    for name in decks:
        svc = services[name]
        assert svc["build"] == "."
        assert svc["environment"]["DECK_REDIS_URL"] == "redis://redis:6379/0"
        assert "STREAMLIT_SERVER_COOKIE_SECRET" in svc["environment"]
        assert [str(p) for p in svc["expose"]] == ["8501"] and "8501" in expose
        assert "redis" in svc["depends_on"]
    nginx = services["nginx"]
    env = nginx["environment"]
    assert env["DECK_UPSTREAMS"].split() == [f"{name}:8501" for name in decks]
    host_port, container_port = str(nginx["ports"][0]).split(":")
    assert container_port == env["DECK_LISTEN"]
    source, target = nginx["volumes"][0].split(":")[:2]
    assert (ROOT / source).resolve() == ROOT / "deploy" / "nginx.conf"
    # run nginx's own start command here, on the real template, up to `nginx -t`
    script = nginx["command"][-1].replace("$$", "$")
    assert target in script and "exec nginx -c /tmp/deck-nginx/nginx.conf" in script
    script = (script.replace(target, str(ROOT / source)).replace("/tmp/deck-nginx", str(tmp_path))
              .replace("exec nginx -c", f"{shlex.quote(NGINX)} -t -e {tmp_path}/error.log -c"))
    loopback = " ".join(f"127.0.0.1:{18090 + i}" for i in range(len(decks)))
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30,
                            env={"DECK_UPSTREAMS": loopback, "DECK_LISTEN": "127.0.0.1:18089", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    rendered = (tmp_path / "nginx.conf").read_text()
    assert rendered == render_nginx("127.0.0.1:18089", loopback.split(), tmp_path)  # same as deck.sh cluster's


def test_dockerfile_uses_files_that_exist():
    steps = dockerfile()
    assert steps[0][0] == "FROM"
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()}
    copied: set[str] = set()
    for word, args in steps:
        if word == "COPY":
            *sources, _dest = args.split()
            for src in sources:
                assert (ROOT / src).exists(), f"Dockerfile copies {src}, which does not exist"
                assert src not in ignored, f"{src} is copied but .dockerignore leaves it out"
                copied.add(src)
        if word == "RUN":
            for name in re.findall(r"[\w.-]+\.(?:lock|txt)\b", args):
                assert name in copied, f"RUN uses {name} before it is copied"
    assert {"deck", "demos", "models", "slides", "streamlit_app.py", ".streamlit"} <= copied
    cmd = next(args for word, args in steps if word == "CMD")
    assert "streamlit_app.py" in cmd and "--server.port=8501" in cmd
    lock = (ROOT / "requirements-torch.lock").read_text()
    assert re.search(r"^torch==[0-9.]+ ", lock, re.M), "the Dockerfile reads torch's version from this line"


def test_deck_sh_cluster_subcommand_and_test_packages():
    text = (ROOT / "deck.sh").read_text()
    assert re.search(r"^\s*cluster\)", text, re.M) and "python -m deck.cluster" in text
    test_line = next(line for line in text.splitlines() if "chromium chromium-driver" in line)
    assert "redis-server" in test_line and "nginx" in test_line
    result = subprocess.run(["bash", "-n", str(ROOT / "deck.sh")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
