"""Matrix cases for the realtime routes: presence, notifications, watches."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import MatrixContext, expect

_MEMBERS = expect(owner=200, admin=200, moderator=200, member=200, guest=200, anonymous=401, other_org_owner=404)
_LISTERS = expect(owner=200, admin=200, moderator=200, member=200, guest=403, anonymous=401, other_org_owner=404)
_SIGNED_IN = expect(owner=200, admin=200, moderator=200, member=200, guest=200, anonymous=401, other_org_owner=200)
_WATCH = expect(owner=204, admin=204, moderator=204, member=204, guest=204, anonymous=401, other_org_owner=404)


# A fresh org per call: earlier cases (accepting an invitation) may have made other_org_owner an acme member.
async def _fresh_org(ctx: MatrixContext) -> dict[str, Any]:
    return {"org": (await ctx.fresh_org()).slug}


async def _forum_and_topic(ctx: MatrixContext) -> dict[str, Any]:
    org, admin = (await _fresh_org(ctx))["org"], ctx.personas.acme.admin.auth
    r = await ctx.client.post(f"/api/orgs/{org}/forums", headers=admin, json={"name": "Watched"})
    forum = r.json()["forum"]
    r = await ctx.client.post(f"/api/orgs/{org}/forums/{forum['id']}/topics", headers=admin,
                              json={"title": "Watch me", "content": "please"})
    return {"org": org, "forum_id": forum["id"], "topic_id": r.json()["topic"]["id"]}


def _watch(kind: str) -> list[dict[str, Any]]:
    rule = f"/api/orgs/<org>/{kind}s/<uuid:{kind}_id>/watch"
    return [{"method": method, "rule": rule, "setup": _forum_and_topic, "body": None, "expect": _WATCH,
             "path": lambda c, p, kind=kind: f"/api/orgs/{p['org']}/{kind}s/{p[kind + '_id']}/watch"}
            for method in ("PUT", "DELETE")]


CASES: list[dict[str, Any]] = [
    {"method": "GET", "rule": "/api/orgs/<org>/presence", "body": None, "expect": _LISTERS, "setup": _fresh_org,
     "path": lambda c, p: f"/api/orgs/{p['org']}/presence"},
    {"method": "GET", "rule": "/api/notifications", "body": None, "expect": _SIGNED_IN,
     "path": lambda c, p: "/api/notifications?unread=true"},
    {"method": "POST", "rule": "/api/notifications/read", "body": {"all": True}, "expect": _SIGNED_IN,
     "path": lambda c, p: "/api/notifications/read"},
    *_watch("forum"),
    *_watch("topic"),
]
