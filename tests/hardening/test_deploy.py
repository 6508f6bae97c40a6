"""The deployment files: the Procfile's roles and render.yaml's services start what they name.

`release` migrates an empty database, then `web` and `ws` run as separate processes on it, as
Render runs them: a token issued by `web` opens a socket on `ws`, and an event committed
through `web` reaches that socket.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import yaml
from trio_websocket import open_websocket_url

from community.settings import Settings
from tests.conftest import _admin, with_database
from tests.factories import PASSWORD
from tests.realtime.conftest import recv_type, send
from tests.tls import TLS

ROOT = Path(__file__).resolve().parents[2]
ROLES = {"release", "web", "ws"}


def _procfile() -> dict[str, str]:
    lines = [line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()]
    return {role.strip(): command.strip() for role, command in lines}


def _environments() -> dict[str, dict[str, Any]]:
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    [project] = blueprint["projects"]
    return {env["name"]: env for env in project["environments"]}


def test_the_procfile_has_the_three_roles() -> None:
    assert set(_procfile()) == ROLES


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_render_yaml_runs_the_procfile_roles_on_one_database(environment: str) -> None:
    env = _environments()[environment]
    procfile = _procfile()
    [database] = env["databases"]
    static = [s for s in env["services"] if s.get("runtime") == "static"]
    python = {s["startCommand"]: s for s in env["services"] if s.get("runtime") == "python"}
    assert len(static) == 1 and len(env["services"]) == 3
    assert set(python) == {procfile["web"], procfile["ws"]}  # the API and the websocket: the Procfile's roles
    api, ws = python[procfile["web"]], python[procfile["ws"]]
    assert api["preDeployCommand"] == procfile["release"]  # migrations before each deploy
    assert api["healthCheckPath"] == "/readyz"
    fields = {name.upper() for name in Settings.model_fields} | {"PYTHON_VERSION"}
    for service in (api, ws):
        variables = {v["key"]: v for v in service["envVars"]}
        assert variables["DATABASE_URL"]["fromDatabase"] == {"name": database["name"], "property": "connectionString"}
        assert set(variables) <= fields, set(variables) - fields  # no misspelt setting
        assert variables["PUBLIC_WS_URL"]["value"] == f"wss://{ws['name']}.onrender.com/ws"
        assert variables["NEXT_PUBLIC_APP_URL"]["value"] == f"https://{static[0]['name']}.onrender.com"
        assert "TOKEN_SIGNING_KEY" not in variables  # keys live in the shared database
    rewrites = {r["source"]: r["destination"] for r in static[0]["routes"]}
    assert rewrites["/api/*"] == f"https://{api['name']}.onrender.com/api/*"
    assert rewrites["/*"] == "/index.html"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def empty_database(pg_url: str) -> AsyncIterator[str]:
    name = f"deploy_{uuid.uuid4().hex[:12]}"
    await _admin(pg_url, f"CREATE DATABASE {name}")
    try:
        yield with_database(pg_url, name)
    finally:
        await _admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def role_env(empty_database: str, tmp_path: Path) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "DATABASE_URL": empty_database,
           "COMMUNITY_DATA_DIR": str(tmp_path / "var"), "LOG_FORMAT": "json", "LOG_LEVEL": "info",
           "WORKERS": "1", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}


def _start(role: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    # As a Procfile runner does: the line through a shell, $PORT given by the platform.
    with log.open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen(["bash", "-c", f"exec {_procfile()[role]}"], env={**env, "PORT": str(port)},
                                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


async def _until_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    with trio.fail_after(120):
        while True:
            assert proc.poll() is None, _tail(log)
            try:
                stream = await trio.open_tcp_stream("127.0.0.1", port)
                await stream.aclose()
                return
            except OSError:
                await trio.sleep(0.2)


def _tail(log: Path) -> str:
    return log.read_text()[-3000:]


def _events(log: Path) -> list[dict[str, Any]]:
    lines = log.read_text().splitlines()
    assert all(line.startswith("{") for line in lines if line.strip()), lines  # every line one JSON event
    return [json.loads(line) for line in lines if line.strip()]


async def test_release_then_web_and_ws_as_separate_processes(role_env: dict[str, str], tmp_path: Path) -> None:
    with trio.fail_after(120):
        release = await trio.run_process(["bash", "-c", f"exec {_procfile()['release']}"], env=role_env, cwd=ROOT,
                                         capture_stdout=True, capture_stderr=True, check=False)
    assert release.returncode == 0, release.stderr.decode()
    assert all(line.startswith(b"{") for line in release.stdout.splitlines() if line.strip())
    web_port, ws_port = _free_port(), _free_port()
    web_log, ws_log = tmp_path / "web.log", tmp_path / "ws.log"
    web = _start("web", role_env, web_port, web_log)
    ws = _start("ws", role_env, ws_port, ws_log)
    try:
        await _until_listening(web_port, web, web_log)
        await _until_listening(ws_port, ws, ws_log)
        async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{web_port}", timeout=20) as client:
            with trio.fail_after(60):
                while True:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                    await trio.sleep(0.2)
            r = await client.post("/api/auth/register", json={"email": "deploy@example.com", "password": PASSWORD,
                                                              "display_name": "Deploy"})
            assert r.status_code == 201, r.text
            auth = {"Authorization": f"Bearer {r.json()['token']}"}
            r = await client.post("/api/orgs", json={"name": "Deployed"}, headers=auth)
            assert r.status_code == 201, r.text
            slug = r.json()["organization"]["slug"]
            forum = (await client.post(f"/api/orgs/{slug}/forums", json={"name": "General"},
                                       headers=auth)).json()["forum"]
            url = f"ws://127.0.0.1:{ws_port}/ws?org={slug}"
            async with open_websocket_url(url, extra_headers=[(b"authorization", auth["Authorization"].encode())]) \
                    as sock:
                assert (await recv_type(sock, "welcome", 20))["type"] == "welcome"
                await send(sock, type="subscribe", channel=f"forum:{forum['id']}")
                await recv_type(sock, "subscribed", 20)
                r = await client.post(f"/api/orgs/{slug}/forums/{forum['id']}/topics",
                                      json={"title": "Across processes", "content": "Hello"}, headers=auth)
                assert r.status_code == 201, r.text
                frame = await recv_type(sock, "topic_created", 20)
                assert frame["topic"]["title"] == "Across processes"
        # The web role has no websocket listener and the ws role no REST one.
        assert (await client_refused(ws_port, "/healthz"))
    finally:
        codes = (_stop(web), _stop(ws))
    assert codes == (0, 0)
    web_children = {e["child"] for e in _events(web_log) if e["event"] == "supervisor.child_started"}
    ws_children = {e["child"] for e in _events(ws_log) if e["event"] == "supervisor.child_started"}
    assert "http" in web_children and "ws" not in web_children
    assert "ws" in ws_children and "http" not in ws_children


async def client_refused(port: int, path: str) -> bool:
    """The ws role answers plain HTTP with a refusal, never with the REST API."""
    async with httpx.AsyncClient(verify=TLS, timeout=10) as client:
        try:
            r = await client.get(f"http://127.0.0.1:{port}{path}")
        except httpx.HTTPError:
            return True
        return r.status_code != 200



async def test_a_port_in_use_is_one_json_event_and_exit_1(role_env: dict[str, str]) -> None:
    """Issue 11: a port already in use printed a raw traceback. In either role the operator sees JSON lines
    only, the last one naming the cause, and the process exits 1 at once (no restart loop)."""
    with trio.fail_after(120):
        release = await trio.run_process(["community", "migrate"], env=role_env, cwd=ROOT, capture_stdout=True,
                                         capture_stderr=True, check=False)
    assert release.returncode == 0, release.stderr.decode()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for role, flag in (("http", "--port"), ("ws", "--ws-port")):
            with trio.fail_after(120):
                served = await trio.run_process(
                    ["community", "serve", "--role", role, "--host", "127.0.0.1", flag, str(port)], env=role_env,
                    cwd=ROOT, capture_stdout=True, capture_stderr=True, check=False)
            lines = [line for line in (served.stdout + served.stderr).decode().splitlines() if line.strip()]
            assert served.returncode == 1, lines
            events = [json.loads(line) for line in lines]  # every line one JSON event (a traceback inside one)
            assert (events[-1]["event"], events[-1]["level"]) == ("community.port_in_use", "critical"), lines
            assert "Address already in use" in events[-1]["reason"]
            assert not [e for e in events if e.get("restarts", 0) > 0]  # stopped at once, never retried
