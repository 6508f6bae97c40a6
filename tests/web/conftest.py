"""A real `community serve` on loopback with the built app, and Debian's chromium to drive it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import trio
from playwright.sync_api import expect

from tests.conftest import _admin, with_database
from tests.dns_server import DnsServer
from tests.web.browser import CHROMIUM, FLAGS, ROOT

DIST = ROOT / "web" / "dist" / "index.html"

# `make test` runs these first, beside mypy, tsc, eslint and vitest and the other pytest worker, on two
# cores: a screen that answers in 0.5 s on a quiet box took over 5 s (Playwright's default) there, and CI
# failed on waits that were right. An assertion that holds passes as soon as it holds; only a wrong one
# waits the whole 15 s.
expect.set_options(timeout=15_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_database() -> str:
    """The name of the live server's database (for what no screen can set up: time passing)."""
    return f"e2e_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def live_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live server's log: its JSON lines, as `make run` prints them."""
    return tmp_path_factory.mktemp("e2e-log") / "server.log"


@pytest.fixture(scope="session")
def live_env(pg_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory,
             dns: DnsServer, live_database: str) -> Iterator[dict[str, str]]:
    """The environment of `community serve` on a fresh database (the database lives as long as the session)."""
    if not DIST.exists():
        pytest.fail("the browser app is not built (web/dist): run make install with Node.js 20+", pytrace=False)
    name = live_database
    trio.run(_admin, pg_url, f"CREATE DATABASE {name} TEMPLATE community_template")
    try:
        yield {**os.environ, "DATABASE_URL": with_database(pg_url, name), "HOST": "127.0.0.1",
               "COMMUNITY_DATA_DIR": str(tmp_path_factory.mktemp("e2e-var")), "LOG_FORMAT": "json",
               "LOG_LEVEL": "warning", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024",
               "DNS_RESOLVER": dns.address, "DNS_TIMEOUT_SECONDS": "2"}
    finally:
        trio.run(_admin, pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def live_server(live_env: dict[str, str], live_log: Path) -> Iterator[str]:
    """The whole product as `make run` starts it (no SMTP: mailed links go to its log)."""
    with serve(live_env, live_log) as base:
        yield base


@contextmanager
def serve(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`community serve` on free ports with `env`, logging to `log_path`; its base URL until the block ends.
    Another node on the live server's database serves the same product (the nodes share everything)."""
    port, ws_port = _free_port(), _free_port()
    env = {**env, "PORT": str(port), "WEBSOCKET_PORT": str(ws_port), "NEXT_PUBLIC_APP_URL": f"http://127.0.0.1:{port}"}
    log = log_path.open("w")
    server = subprocess.Popen([sys.executable, "-m", "community", "serve"], env=env, cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"community serve exited with {server.returncode}", pytrace=False)
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("community serve did not become ready in 60 s", pytrace=False)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.fail("no browser for the end-to-end tests: install Debian's chromium (apt-get install -y chromium)",
                    pytrace=False)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(chromium_path), args=FLAGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()
