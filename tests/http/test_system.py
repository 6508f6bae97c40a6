"""Operator endpoints, error shapes, limits and the request log, over real HTTP."""

from __future__ import annotations

import re
import uuid

import httpx
import structlog

from community.actors.mailbox import held_by
from community.app import System


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "failing": []}


async def test_readyz_names_a_stopped_core_child(client: httpx.AsyncClient, runtime: System) -> None:
    assert runtime.core is not None
    await runtime.core.terminate_child("indexer")
    r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["failing"] == ["indexer"]


async def test_unknown_path_is_problem_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/nothing-here")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert {"type", "title", "detail"} <= body.keys()


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    r = await client.post("/healthz")
    assert r.status_code == 405
    assert r.json()["code"] == "method_not_allowed"
    assert "GET" in r.headers["allow"]


async def test_body_over_the_cap_is_413(client: httpx.AsyncClient, runtime: System) -> None:
    too_big = b"x" * (runtime.handles.settings.max_body_bytes + 1)
    r = await client.post("/api/auth/register", content=too_big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


async def test_config_names_the_ws_url(client: httpx.AsyncClient, runtime: System) -> None:
    body = (await client.get("/api/config")).json()
    assert body["ws_url"] == f"ws://127.0.0.1:{runtime.ws_port}/ws"
    assert body["auth"] == "builtin"


async def test_openapi_is_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/readyz" in spec["paths"]


async def test_metrics_tell_the_truth(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    text = (await client.get("/metrics")).text
    assert 'community_child_running{supervisor="core",child="db_pool"} 1' in text
    assert "community_http_requests_total" in text
    assert text.count("# HELP community_child_running ") == 1


async def test_metrics_show_every_mailbox(runtime: System, client: httpx.AsyncClient) -> None:
    text = (await client.get("/metrics")).text
    shown = set(re.findall(r'community_mailbox_pending\{actor="([^"]+)"\} ', text))
    # Every mailbox any handle holds, an actor's or one of its parts' (billing.worker, files.worker...).
    held = {box.name for value in vars(runtime.handles).values()
            for owner in (value, *getattr(value, "__dict__", {}).values()) for box in held_by(owner)}
    assert len(held) >= 12
    assert held <= shown
    assert {"mailer", "cluster_bus", "notification_writer", "notifier", "ws_manager"} <= shown
    assert text.count("# HELP community_mailbox_pending ") == 1


async def test_request_log_never_carries_tokens(client: httpx.AsyncClient) -> None:
    with structlog.testing.capture_logs() as logs:
        await client.get("/healthz?access_token=secret-token",
                         headers={"Authorization": "Bearer secret-token"})
    lines = [e for e in logs if e["event"] == "http.request"]
    assert lines
    assert lines[0]["path"] == "/healthz"
    assert lines[0]["status"] == 200
    assert "secret-token" not in repr(logs)


async def test_json_answers_keep_their_wire_format(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/register", json={"email": "wire@example.com", "password": "a-long-password-1",
                                                      "display_name": "Zoë"})
    assert r.status_code == 201 and r.headers["content-type"] == "application/json"
    user = r.json()["user"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", user["created_at"])
    assert user["display_name"] == "Zoë" and str(uuid.UUID(user["id"])) == user["id"]
