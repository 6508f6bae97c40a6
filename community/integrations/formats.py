"""What each kind of integration is sent: a Standard Webhooks JSON body, Slack Block Kit, Discord embeds.

Built from the activity's payload as recorded (what members saw at the time), reduced to what a
receiver needs: ids, titles, a plain-text excerpt, the author's display name and a link.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from community.domain.events import dumps

_EXCERPT = 500
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
_DISCORD_COLOR = 0x4F46E5


def excerpt(text: object, limit: int = _EXCERPT) -> str:
    plain = _SPACES.sub(" ", _TAGS.sub(" ", str(text or ""))).strip()
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


def _author(obj: dict[str, Any]) -> dict[str, Any] | None:
    author = obj.get("author")
    return {"id": author.get("id"), "display_name": author.get("display_name")} if isinstance(author, dict) else None


def event_data(event_type: str, payload: dict[str, Any], org: dict[str, Any], app_url: str) -> dict[str, Any]:
    """The `data` of a webhook body: what happened, with links into the app."""
    base = f"{app_url.rstrip('/')}/{org['slug']}"
    data: dict[str, Any] = {"organization": {"id": org["id"], "slug": org["slug"], "name": org["name"]}}
    topic, post = payload.get("topic"), payload.get("post")
    if event_type == "topic_created" and isinstance(topic, dict):
        data["topic"] = {"id": topic.get("id"), "forum_id": topic.get("forum_id"), "title": topic.get("title"),
                         "tags": topic.get("tags") or [],
                         "excerpt": excerpt(topic.get("content") or topic.get("excerpt")),
                         "author": _author(topic), "created_at": topic.get("created_at"),
                         "url": f"{base}/topics/{topic.get('id')}"}
    elif event_type in ("post_created", "solution_marked") and isinstance(post, dict):
        data["post"] = {"id": post.get("id"), "topic_id": post.get("topic_id"), "parent_id": post.get("parent_id"),
                        "excerpt": excerpt(post.get("content")), "author": _author(post),
                        "is_solution": bool(post.get("is_solution")), "created_at": post.get("created_at"),
                        "url": f"{base}/topics/{post.get('topic_id')}#post-{post.get('id')}"}
    elif event_type == "member_joined" and isinstance(payload.get("membership"), dict):
        member = payload["membership"]
        user = member.get("user") or {}
        data["member"] = {"user": {"id": user.get("id"), "display_name": user.get("display_name")},
                          "role": member.get("role"), "joined_at": member.get("joined_at")}
    elif event_type == "event_created":
        found: dict[str, Any] = payload["event"] if isinstance(payload.get("event"), dict) else {}
        event_id = found.get("id") or payload.get("event_id")
        data["event"] = {"id": event_id, "title": found.get("title"), "start_time": found.get("start_time"),
                         "end_time": found.get("end_time"), "timezone": found.get("timezone"),
                         "location": found.get("location"), "url": f"{base}/events/{event_id}"}
    elif event_type == "resource_created":
        found = payload["resource"] if isinstance(payload.get("resource"), dict) else {}
        resource_id = found.get("id") or payload.get("resource_id")
        data["resource"] = {"id": resource_id, "title": found.get("title"), "file_name": found.get("file_name"),
                            "category": found.get("category"), "url": f"{base}/resources"}
    elif event_type == "ping":
        data["message"] = "A test delivery from Community: this integration is set up."
    return data


def webhook_body(event_type: str, data: dict[str, Any], at: datetime) -> str:
    return dumps({"type": event_type, "timestamp": at.astimezone(UTC), "data": data})


def _headline(event_type: str, data: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    """(title, text, url, author) for chat messages."""
    org = data["organization"]["name"]
    if "topic" in data:
        t = data["topic"]
        return f"New topic: {t['title']}", t["excerpt"], t["url"], (t["author"] or {}).get("display_name")
    if "post" in data:
        p = data["post"]
        title = "Marked as the solution" if event_type == "solution_marked" else "New reply"
        return title, p["excerpt"], p["url"], (p["author"] or {}).get("display_name")
    if "member" in data:
        name = data["member"]["user"]["display_name"]
        return f"{name} joined {org}", f"Joined as {data['member']['role']}.", None, name
    if "event" in data:
        e = data["event"]
        return f"New event: {e['title'] or 'an event'}", f"Starts {e['start_time'] or 'soon'}.", e["url"], None
    if "resource" in data:
        r = data["resource"]
        return f"New resource: {r['title'] or r['file_name'] or 'a file'}", r["file_name"] or "", r["url"], None
    return "Community test delivery", data.get("message", ""), None, None


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(event_type: str, data: dict[str, Any]) -> str:
    title, text, url, author = _headline(event_type, data)
    heading = f"*<{url}|{_slack_escape(title)}>*" if url else f"*{_slack_escape(title)}*"
    context = " · ".join(x for x in (author, data["organization"]["name"]) if x)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{heading}\n{_slack_escape(text)}"[:3000]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(context)[:300]}]},
    ]
    return json.dumps({"text": f"{title}: {text}"[:3000], "blocks": blocks}, ensure_ascii=False)


def discord_body(event_type: str, data: dict[str, Any], at: datetime) -> str:
    title, text, url, author = _headline(event_type, data)
    embed: dict[str, Any] = {"title": title[:256], "description": text[:4096], "color": _DISCORD_COLOR,
                             "timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                             "footer": {"text": data["organization"]["name"][:2048]}}
    if url:
        embed["url"] = url
    if author:
        embed["author"] = {"name": author[:256]}
    # No pings from user content: @everyone or <@id> in a post must not notify a whole server.
    return json.dumps({"username": "Community", "embeds": [embed], "allowed_mentions": {"parse": []}},
                      ensure_ascii=False)
