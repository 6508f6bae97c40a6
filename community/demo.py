"""`community demo-data`: a new organization full of realistic discussion, through the real services.

Every row is written by the same services the API uses, so counters, activity and
mentions are exactly what live use would produce.
"""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from community.db.queries import members, orgs
from community.domain.permissions import Role
from community.domain.principal import OrgMember, Principal
from community.handles import Handles
from community.services import forums, posts, topics
from community.services.identity import RegisterBody, check_register
from community.services.orgs import CreateOrgBody, UpdateOrgBody, access_org, check_create_org, check_update_org

PASSWORD = "community-demo-password"  # noqa: S105 - printed for people to sign in with
PEOPLE: list[tuple[str, Role]] = [
    ("Ana Lima", Role.OWNER), ("Ben Okafor", Role.ADMIN), ("Chloé Martin", Role.ADMIN),
    ("Dev Patel", Role.MODERATOR), ("Eva Novak", Role.MODERATOR), ("Farid Haddad", Role.MEMBER),
    ("Grace Kim", Role.MEMBER), ("Hugo Silva", Role.MEMBER), ("Ines Costa", Role.MEMBER),
    ("Jonas Berg", Role.MEMBER), ("Keiko Sato", Role.MEMBER), ("Liam Walsh", Role.MEMBER),
    ("Mona Said", Role.GUEST), ("Noah Fischer", Role.GUEST),
]


async def _people(h: Handles, tag: str) -> list[tuple[Principal, Role]]:
    made = []
    for name, role in PEOPLE:
        email = f"{name.split()[0].lower()}.{tag}@demo.community.test"
        # model_construct: the demo's own addresses are on .test, which EmailStr refuses for clients.
        user = (await check_register(h.db, h.identity, RegisterBody.model_construct(
            email=email, password=PASSWORD, display_name=name)))["user"]
        made.append((Principal(user_id=user["id"], email=email, display_name=name), role))
    return made


async def _join(h: Handles, org_id: UUID, people: list[tuple[Principal, Role]]) -> None:
    owner = people[0][0].user_id
    async with h.db.transaction(org_id=org_id, user_id=owner) as conn:
        for principal, role in people[1:]:
            await members.join_org(conn, org_id, principal.user_id, role=role, invited_by=owner)
            await orgs.take_seat(conn, org_id)


async def fill_demo(h: Handles, *, serving: bool = False) -> str:
    """The demo organization, and how to sign in to it; `serving`: a server already answers on the port."""
    tag = secrets.token_hex(3)
    people = await _people(h, tag)
    org = await check_create_org(h.db, h.publisher, people[0][0], CreateOrgBody(
        name=f"Demo Community {tag}", slug=f"demo-{tag}",
        description="A living community to explore: forums, questions, announcements."))
    await _join(h, org["id"], people)
    who = {p.display_name.split()[0].lower(): await access_org(h.db, p, org["slug"]) for p, _ in people}
    # Demo members are all brand new: lift the new-member posting limit for the seeding.
    await _settings(h, who["ana"], {"posting": {"per_minute": 20, "new_member_per_minute": 1000}})
    who = {name: await access_org(h.db, m.principal, org["slug"]) for name, m in who.items() if m.principal}
    await _content(h, who)
    await _settings(h, who["ana"], {})
    return _instructions(h, org, people, serving=serving)


def demo_host(host: str) -> str:
    """Where a browser on this machine reaches a server bound to `host`."""
    return host if host not in ("0.0.0.0", "::") else "localhost"  # noqa: S104


async def _settings(h: Handles, owner: OrgMember, settings: dict[str, Any]) -> None:
    body = UpdateOrgBody.model_validate({"settings": settings})
    await check_update_org(h.db, h.publisher, h.billing, h.files, h.settings, owner, body)


async def _forum(h: Handles, admin: OrgMember, name: str, description: str, **extra: Any) -> UUID:
    body = forums.CreateForumBody(name=name, description=description, **extra)
    forum = await forums.check_create_forum(h.db, h.publisher, admin, body)
    return UUID(str(forum["id"]))


async def _topic(h: Handles, author: OrgMember, forum_id: UUID, **fields: Any) -> dict[str, Any]:
    return await topics.check_create_topic(h.db, h.publisher, h.limiter, author, forum_id,
                                           topics.CreateTopicBody(**fields))


async def _content(h: Handles, who: dict[str, OrgMember]) -> None:
    ben = who["ben"]
    news = await _forum(h, ben, "Announcements", "News from the team.", sort_order=0)
    help_ = await _forum(h, ben, "Help & Support", "Ask anything; mark the answer that solved it.",
                         sort_order=1)
    start = await _forum(h, ben, "Getting started", "First steps.", parent_id=help_)
    trouble = await _forum(h, ben, "Troubleshooting", "When things break.", parent_id=help_)
    show = await _forum(h, ben, "Show and tell", "Share what you built.", sort_order=2)
    staff = await _forum(h, ben, "Staff lounge", "Moderators and admins only.", sort_order=9,
                         is_private=True, required_role=Role.MODERATOR)

    welcome = await _topic(h, who["ana"], news,
        title="Welcome to the community!", is_announcement=True, tags=["welcome"],
        content="Hello everyone 👋\n\nThis is our new home. Please read the **guidelines** and say hi in "
                "*Show and tell*.\n\n| Where | What |\n|---|---|\n| Help & Support | questions |\n"
                "| Show and tell | your projects |")
    await topics.check_update_topic(h.db, h.publisher, who["dev"], welcome["id"],
                                    topics.UpdateTopicBody(is_pinned=True))
    hi = await posts.check_create_post(h.db, h.publisher, h.limiter, who["farid"], welcome["id"],
                                       posts.CreatePostBody(content="Happy to be here!"))
    await posts.check_create_post(h.db, h.publisher, h.limiter, who["ana"], welcome["id"],
                                  posts.CreatePostBody(content="Welcome @faridhaddad 🎉", parent_id=hi["id"]))
    for name in ("grace", "hugo", "ines", "keiko"):
        await posts.check_react(h.db, h.publisher, who[name], hi["id"], "🎉", add=True)

    question = await _topic(h, who["grace"], start,
        title="How do I invite my team?", tags=["invitations", "how-to"],
        content="I created an organization. How do I get my colleagues in?")
    wrong = await posts.check_create_post(h.db, h.publisher, h.limiter, who["hugo"], question["id"],
                                          posts.CreatePostBody(content="Maybe send them the link to the org page?"))
    await posts.check_create_post(h.db, h.publisher, h.limiter, who["grace"], question["id"],
                                  posts.CreatePostBody(content="That page says *not found* for them.",
                                                       parent_id=wrong["id"]))
    answer = await posts.check_create_post(h.db, h.publisher, h.limiter, who["dev"], question["id"],
                                           posts.CreatePostBody(content=(
        "Admins invite from **Members → Invite**: enter the e-mail and a role. The invitation link works "
        "for 7 days.\n\n```\nPOST /api/orgs/{org}/invitations\n```")))
    await posts.check_mark_solution(h.db, h.publisher, who["grace"], answer["id"])
    for name in ("grace", "hugo", "jonas"):
        await posts.check_react(h.db, h.publisher, who[name], answer["id"], "👍", add=True)

    bug = await _topic(h, who["jonas"], trouble,
        title="Notifications arrive twice", tags=["bug"],
        content="Since yesterday every reply notification shows up twice. Anyone else? cc @devpatel")
    first = await posts.check_create_post(h.db, h.publisher, h.limiter, who["keiko"], bug["id"],
                                          posts.CreatePostBody(content="Same here on Firefox."))
    await posts.check_create_post(h.db, h.publisher, h.limiter, who["eva"], bug["id"],
                                  posts.CreatePostBody(content="Thanks both, we are looking into it.",
                                                       parent_id=first["id"]))
    await posts.check_react(h.db, h.publisher, who["liam"], first["id"], "👀", add=True)

    project = await _topic(h, who["ines"], show,
        title="I built a bot that summarises long threads", tags=["bots", "python"],
        content="It reads a topic through the API and posts a three-line summary. Feedback welcome!")
    for name, text in (("liam", "This is great 🚀"), ("farid", "Does it handle code blocks?"),
                       ("ines", "@faridhaddad yes, it skips them.")):
        await posts.check_create_post(h.db, h.publisher, h.limiter, who[name], project["id"],
                                      posts.CreatePostBody(content=text))

    await _topic(h, who["eva"], staff,
        title="Moderation rota for next month", content="Please add your availability below.")


def _instructions(h: Handles, org: dict[str, Any], people: list[tuple[Principal, Role]], *, serving: bool) -> str:
    settings = h.settings
    url = f"http://{demo_host(settings.host)}:{settings.port}/{org['slug']}"
    start = (f"The server is running: open {url}" if serving
             else f"Start the server (make run, or community serve) and open {url}")
    lines = [f"Demo organization {org['name']!r} is ready (slug {org['slug']}).", "", start, "",
             f"Sign in with any of these accounts (password: {PASSWORD}):"]
    lines += [f"  {role.value:<9} {p.display_name:<14} {p.email}" for p, role in people]
    lines += ["", "Or with the API: POST /api/auth/login {\"email\": ..., \"password\": ...}, then "
              f"GET /api/orgs/{org['slug']}/dashboard with the token."]
    return "\n".join(lines)
