"""The real process: boot on an empty data directory, serve, and stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, proc: subprocess.Popen[bytes], deadline: float) -> float:
    started = time.monotonic()
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited during boot"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("not ready in time")


@pytest.mark.parametrize("restarts", [2])
def test_boot_empty_data_dir_then_sigterm(tmp_path: Path, restarts: int) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(COMMUNITY_DATA_DIR=str(tmp_path / "var"), LOG_FORMAT="json", LOG_LEVEL="info")
    for _ in range(restarts):  # the first boot is on an empty directory, the second reuses it
        port, ws_port = _free_port(), _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "community", "serve", "--port", str(port), "--ws-port", str(ws_port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
        try:
            _wait_ready(port, proc, time.monotonic() + 90)
            proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            out, err = proc.communicate(timeout=10)
            assert time.monotonic() - started < 10
        finally:
            proc.kill()
        assert proc.returncode == 0, err.decode()
        events = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
        started_children = {e["child"] for e in events if e["event"] == "supervisor.child_started"}
        assert {"db_pool", "ws_manager", "notifier", "indexer", "core", "http", "ws"} <= started_children
        stopped = [e["child"] for e in events if e["event"] == "supervisor.child_stopped"
                   and e["supervisor"] == "root"]
        assert stopped == ["ws", "http", "workers", "core"]
    assert (tmp_path / "var" / "pgdata" / "PG_VERSION").exists()


def test_invalid_setting_stops_startup_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PORT": "not-a-port", "COMMUNITY_DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "community", "serve"], env=env, capture_output=True,
                          timeout=30, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert "PORT" in lines[0]
