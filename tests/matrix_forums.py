"""Authorization matrix cases for the forum routes (read by tests/test_matrix.py).

Each case: method, rule (as in app.url_map), an optional async `setup(ctx) -> params` run
fresh before every persona's call, `path(ctx, params)`, a body, and the status expected
for each persona (acme's five roles, anonymous, globex's owner).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

ORG = "/api/orgs/<org>"
Setup = Callable[[Any], Awaitable[dict[str, Any]]]


def _expect(owner: int, admin: int, moderator: int, member: int, guest: int) -> dict[str, int]:
    return {"owner": owner, "admin": admin, "moderator": moderator, "member": member, "guest": guest,
            "anonymous": 401, "other_org_owner": 404}


ALL = _expect(200, 200, 200, 200, 200)
MEMBERS_201 = _expect(201, 201, 201, 201, 403)
MEMBERS_200 = _expect(200, 200, 200, 200, 403)
MODS_200 = _expect(200, 200, 200, 403, 403)
MODS_204 = _expect(204, 204, 204, 403, 403)
ADMINS_200 = _expect(200, 200, 403, 403, 403)


async def _as_owner(ctx: Any, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    acme = ctx.personas.acme
    r = await ctx.client.request(method, f"/api/orgs/{acme.slug}{path}", json=body, headers=acme.owner.auth)
    assert r.status_code in (200, 201), (method, path, r.status_code, r.text)
    result: dict[str, Any] = r.json()
    return result


async def forum_setup(ctx: Any) -> dict[str, Any]:
    return {"forum_id": (await _as_owner(ctx, "POST", "/forums", {"name": "Matrix forum"}))["forum"]["id"]}


async def topic_setup(ctx: Any) -> dict[str, Any]:
    params = await forum_setup(ctx)
    body = {"title": "Matrix topic", "content": "Some *content*"}
    topic = (await _as_owner(ctx, "POST", f"/forums/{params['forum_id']}/topics", body))["topic"]
    return {**params, "topic_id": topic["id"]}


async def post_setup(ctx: Any) -> dict[str, Any]:
    params = await topic_setup(ctx)
    post = (await _as_owner(ctx, "POST", f"/topics/{params['topic_id']}/posts", {"content": "A reply"}))["post"]
    await _as_owner(ctx, "PUT", f"/posts/{post['id']}/reactions/👍")
    return {**params, "post_id": post["id"]}


async def flag_setup(ctx: Any) -> dict[str, Any]:
    params = await post_setup(ctx)
    flag = (await _as_owner(ctx, "POST", f"/posts/{params['post_id']}/flags", {"reason": "spam"}))["flag"]
    return {**params, "flag_id": flag["id"]}


async def target_member_setup(ctx: Any) -> dict[str, Any]:
    target = await ctx.factory.user("MatrixTarget")
    await ctx.factory.join(ctx.personas.acme, target, "member")
    return {"user_id": target.user_id}


def _path(suffix: str) -> Callable[[Any, dict[str, Any]], str]:
    return lambda ctx, p: f"/api/orgs/{ctx.personas.acme.slug}" + suffix.format(**p)


def _case(method: str, rule: str, expect: dict[str, int], *, setup: Setup | None = None,
          path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    case = {"method": method, "rule": ORG + rule, "path": _path(path), "body": body, "expect": expect}
    return {**case, "setup": setup} if setup else case


CASES: list[dict[str, Any]] = [
    _case("GET", "/forums", ALL, path="/forums"),
    _case("POST", "/forums", _expect(201, 201, 403, 403, 403), path="/forums", body={"name": "New forum"}),
    _case("GET", "/forums/<uuid:forum_id>", ALL, setup=forum_setup, path="/forums/{forum_id}"),
    _case("PATCH", "/forums/<uuid:forum_id>", ADMINS_200, setup=forum_setup, path="/forums/{forum_id}",
          body={"description": "Changed"}),
    _case("DELETE", "/forums/<uuid:forum_id>", _expect(204, 204, 403, 403, 403), setup=forum_setup,
          path="/forums/{forum_id}"),
    _case("POST", "/forums/<uuid:forum_id>/topics", MEMBERS_201, setup=forum_setup,
          path="/forums/{forum_id}/topics", body={"title": "Hello", "content": "World"}),
    _case("GET", "/topics/<uuid:topic_id>", ALL, setup=topic_setup, path="/topics/{topic_id}"),
    _case("PATCH", "/topics/<uuid:topic_id>", MODS_200, setup=topic_setup, path="/topics/{topic_id}",
          body={"is_pinned": True}),
    _case("DELETE", "/topics/<uuid:topic_id>", MODS_204, setup=topic_setup, path="/topics/{topic_id}"),
    _case("POST", "/topics/<uuid:topic_id>/posts", MEMBERS_201, setup=topic_setup,
          path="/topics/{topic_id}/posts", body={"content": "Me too"}),
    _case("GET", "/posts/<uuid:post_id>", ALL, setup=post_setup, path="/posts/{post_id}"),
    _case("PATCH", "/posts/<uuid:post_id>", MODS_200, setup=post_setup, path="/posts/{post_id}",
          body={"content": "Edited"}),
    _case("DELETE", "/posts/<uuid:post_id>", MODS_204, setup=post_setup, path="/posts/{post_id}"),
    _case("GET", "/posts/<uuid:post_id>/revisions", ALL, setup=post_setup, path="/posts/{post_id}/revisions"),
    _case("PUT", "/posts/<uuid:post_id>/reactions/<emoji>", MEMBERS_200, setup=post_setup,
          path="/posts/{post_id}/reactions/🎉"),
    _case("DELETE", "/posts/<uuid:post_id>/reactions/<emoji>", MEMBERS_200, setup=post_setup,
          path="/posts/{post_id}/reactions/👍"),
    _case("POST", "/posts/<uuid:post_id>/solution", MODS_200, setup=post_setup, path="/posts/{post_id}/solution"),
    _case("POST", "/posts/<uuid:post_id>/flags", MEMBERS_201, setup=post_setup, path="/posts/{post_id}/flags",
          body={"reason": "Off topic"}),
    _case("GET", "/moderation/flags", MODS_200, path="/moderation/flags"),
    _case("POST", "/moderation/flags/<uuid:flag_id>/resolve", MODS_200, setup=flag_setup,
          path="/moderation/flags/{flag_id}/resolve", body={"action": "dismiss"}),
    _case("POST", "/moderation/members/<uuid:user_id>/suspend", MODS_200, setup=target_member_setup,
          path="/moderation/members/{user_id}/suspend", body={"reason": "cool off"}),
    _case("GET", "/moderation/log", ADMINS_200, path="/moderation/log"),
    _case("GET", "/dashboard", ALL, path="/dashboard"),
]
