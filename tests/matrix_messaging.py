"""Matrix cases for conversations, messages, read state and blocks.

Each conversation route has two cases: a group that every acme persona takes part in (owned
and written by a fresh member, so the personas are participants but never owner or author),
and a conversation between two other acme members (non-participants: 404 for everyone).
"""

from __future__ import annotations

from typing import Any

from tests.factories import Persona
from tests.matrix_support import ROLES, MatrixContext, expect

_CONVS = "/api/orgs/<org>/conversations"
_CONV = _CONVS + "/<uuid:conversation_id>"
_MESSAGE = _CONV + "/messages/<uuid:message_id>"
_PARTICIPANT = expect(200, 200, 200, 200, 200, 401, 404)
_SENDER = expect(201, 201, 201, 201, 403, 401, 404)
_NOT_OWNER = expect(403, 403, 403, 403, 403, 401, 404)
_OUTSIDE = expect(404, 404, 404, 404, 404, 401, 404)


async def _member(ctx: MatrixContext, name: str) -> Persona:
    person = await ctx.factory.user(name)
    await ctx.factory.join(ctx.personas.acme, person, "member")
    return person


async def _conversation(ctx: MatrixContext, host: Persona, others: list[Persona], title: str | None) -> str:
    body: dict[str, Any] = {"participant_ids": [str(p.user_id) for p in others]}
    if title:
        body["title"] = title
    r = await ctx.client.post(f"/api/orgs/{ctx.personas.acme.slug}/conversations", json=body, headers=host.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["conversation"]["id"])


async def _with_message(ctx: MatrixContext, host: Persona, conversation_id: str) -> str:
    r = await ctx.client.post(f"/api/orgs/{ctx.personas.acme.slug}/conversations/{conversation_id}/messages",
                              json={"content": "from the host"}, headers=host.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["message"]["id"])


async def _shared(ctx: MatrixContext) -> dict[str, Any]:
    """A group of a fresh host, a fresh extra member and all five acme personas, with one message."""
    host, extra = await _member(ctx, "Host"), await _member(ctx, "Extra")
    personas = [getattr(ctx.personas.acme, role) for role in ROLES]
    conversation_id = await _conversation(ctx, host, [extra, *personas], "Matrix")
    return {"id": conversation_id, "message_id": await _with_message(ctx, host, conversation_id),
            "user_id": extra.user_id, "new_user_id": (await _member(ctx, "Newcomer")).user_id}


async def _private(ctx: MatrixContext) -> dict[str, Any]:
    """A direct conversation between two other acme members."""
    host, other = await _member(ctx, "Host"), await _member(ctx, "Other")
    conversation_id = await _conversation(ctx, host, [other], None)
    return {"id": conversation_id, "message_id": await _with_message(ctx, host, conversation_id),
            "user_id": other.user_id, "new_user_id": (await _member(ctx, "Newcomer")).user_id}


async def _target(ctx: MatrixContext) -> dict[str, Any]:
    return {"user_id": (await _member(ctx, "Target")).user_id}


def _acme(ctx: MatrixContext) -> str:
    return ctx.personas.acme.slug


def _conv_path(suffix: str = "") -> Any:
    return lambda c, p: f"/api/orgs/{_acme(c)}/conversations/{p['id']}{suffix}"


def _message_path(suffix: str = "") -> Any:
    return lambda c, p: f"/api/orgs/{_acme(c)}/conversations/{p['id']}/messages/{p['message_id']}{suffix}"


def _both(method: str, rule: str, path: Any, inside: dict[str, int], body: Any = None) -> list[dict[str, Any]]:
    shared = {"method": method, "rule": rule, "path": path, "body": body}
    return [{**shared, "setup": _shared, "expect": inside}, {**shared, "setup": _private, "expect": _OUTSIDE}]


CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": _CONVS, "path": lambda c, p: f"/api/orgs/{_acme(c)}/conversations",
     "expect": _PARTICIPANT},
    {"method": "POST", "rule": _CONVS, "setup": _target, "path": lambda c, p: f"/api/orgs/{_acme(c)}/conversations",
     "body": lambda c, p: {"participant_ids": [str(p["user_id"])]}, "expect": _SENDER},
    *_both("GET", _CONV, _conv_path(), _PARTICIPANT),
    *_both("PATCH", _CONV, _conv_path(), _NOT_OWNER, {"title": "Renamed"}),
    *_both("POST", _CONV + "/participants", _conv_path("/participants"), _NOT_OWNER,
           lambda c, p: {"user_ids": [str(p["new_user_id"])]}),
    *_both("DELETE", _CONV + "/participants/<uuid:user_id>",
           lambda c, p: f"/api/orgs/{_acme(c)}/conversations/{p['id']}/participants/{p['user_id']}", _NOT_OWNER),
    *_both("GET", _CONV + "/messages", _conv_path("/messages"), _PARTICIPANT),
    *_both("POST", _CONV + "/messages", _conv_path("/messages"), _SENDER, {"content": "hello"}),
    *_both("PATCH", _MESSAGE, _message_path(), _NOT_OWNER, {"content": "not yours"}),
    *_both("DELETE", _MESSAGE, _message_path(), _NOT_OWNER),
    *_both("PUT", _MESSAGE + "/reactions/<emoji>", _message_path("/reactions/👍"),
           expect(200, 200, 200, 200, 403, 401, 404)),
    *_both("DELETE", _MESSAGE + "/reactions/<emoji>", _message_path("/reactions/👍"),
           expect(200, 200, 200, 200, 403, 401, 404)),
    *_both("POST", _CONV + "/read", _conv_path("/read"), _PARTICIPANT,
           lambda c, p: {"up_to": p["message_id"]}),
    {"method": "GET", "rule": "/api/orgs/<org>/blocks", "path": lambda c, p: f"/api/orgs/{_acme(c)}/blocks",
     "expect": _PARTICIPANT},
    {"method": "PUT", "rule": "/api/orgs/<org>/blocks/<uuid:user_id>", "setup": _target,
     "path": lambda c, p: f"/api/orgs/{_acme(c)}/blocks/{p['user_id']}", "expect": expect(204, 204, 204, 204, 204, 401, 404)},
    {"method": "DELETE", "rule": "/api/orgs/<org>/blocks/<uuid:user_id>", "setup": _target,
     "path": lambda c, p: f"/api/orgs/{_acme(c)}/blocks/{p['user_id']}", "expect": expect(204, 204, 204, 204, 204, 401, 404)},
]
