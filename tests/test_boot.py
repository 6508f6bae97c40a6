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
            [sys.executable, "-m", "community", "serve", "--port", str(port), "--ws-port", str(ws_port),
             "--workers", "1"],
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
        # Once up, the boot's heap is out of the collector's reach (full collections walk only what
        # came after; issue 18: they were the slow request in a hundred).
        frozen = [e["objects"] for e in events if e["event"] == "community.heap_frozen"]
        assert len(frozen) == 1 and isinstance(frozen[0], int) and frozen[0] > 10_000
    assert (tmp_path / "var" / "pgdata" / "PG_VERSION").exists()


def test_invalid_setting_stops_startup_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PORT": "not-a-port", "COMMUNITY_DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "community", "serve"], env=env, capture_output=True,
                          timeout=30, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert "PORT" in lines[0]



class _Output:
    """What a running server printed so far, read without blocking."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.stream, self.text = proc.stdout, ""
        os.set_blocking(self.stream.fileno(), False)

    def events(self, name: str) -> list[dict[str, object]]:
        self.text += (self.stream.read() or b"").decode()
        return [e for e in _events(self.text) if e["event"] == name]


def _events(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], int, int]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(COMMUNITY_DATA_DIR=str(tmp_path / "var"), LOG_FORMAT="json", LOG_LEVEL="info")
    port, ws_port = _free_port(), _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "community", "serve", "--port", str(port), "--ws-port",
                             str(ws_port), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path)
    return proc, port, ws_port


def test_workers_share_the_ports_and_stop_together(tmp_path: Path) -> None:
    proc, port, ws_port = _serve(tmp_path, "--workers", "2")
    output = _Output(proc)
    try:
        _wait_ready(port, proc, time.monotonic() + 120)
        deadline = time.monotonic() + 60
        while len(output.events("community.ready")) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        for _ in range(10):  # a fresh connection each: the kernel spreads them over the workers
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        socket.create_connection(("127.0.0.1", ws_port), timeout=5).close()
        proc.send_signal(signal.SIGTERM)
        os.set_blocking(output.stream.fileno(), True)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err.decode()
    events = _events(output.text + out.decode())
    assert [e["workers"] for e in events if e["event"] == "community.workers_starting"] == [2]
    assert len([e for e in events if e["event"] == "community.ready"]) == 2
    assert len([e for e in events if e["event"] == "community.heap_frozen"]) == 2  # each worker its own
    assert len([e for e in events if e["event"] == "db.embedded_started"]) == 1
    assert not [e for e in events if e["event"] == "community.worker_exited"]


def test_role_http_runs_no_websocket_listener(tmp_path: Path) -> None:
    proc, port, ws_port = _serve(tmp_path, "--workers", "1", "--role", "http")
    try:
        _wait_ready(port, proc, time.monotonic() + 90)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", ws_port), timeout=5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err.decode()
    started = {e["child"] for e in _events(out.decode()) if e["event"] == "supervisor.child_started"}
    assert "http" in started and "ws" not in started
