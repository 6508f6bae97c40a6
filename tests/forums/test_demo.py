"""`community demo-data` makes a living community through the real services."""

from __future__ import annotations

import httpx
import trio

from community.app import System
from community.demo import PASSWORD, fill_demo


async def test_demo_data(runtime: System, client: httpx.AsyncClient) -> None:
    with trio.fail_after(30):
        text = await fill_demo(runtime.handles)
    assert PASSWORD in text and "moderator" in text
    assert "Start the server (make run" in text  # nothing said it is serving
    email = next(line.split()[-1] for line in text.splitlines() if line.strip().startswith("member"))
    slug = text.split("(slug ")[1].split(")")[0]
    r = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    dash = (await client.get(f"/api/orgs/{slug}/dashboard", headers=auth)).json()
    assert dash["stats"]["member_count"] == 14 and dash["stats"]["total_posts"] >= 12
    assert dash["announcements"][0]["is_pinned"]
    names = str(dash["forums"])
    assert "Getting started" in names and "Staff lounge" not in names
    help_forum = next(f for f in dash["forums"] if f["name"] == "Help & Support")
    start = help_forum["children"][0]
    listing = (await client.get(f"/api/orgs/{slug}/forums/{start['id']}", headers=auth)).json()
    page = (await client.get(f"/api/orgs/{slug}/topics/{listing['topics'][0]['id']}", headers=auth)).json()
    assert page["topic"]["solution_post_id"] and any(p["is_solution"] for p in page["posts"])


async def test_demo_data_says_the_server_is_running(runtime: System) -> None:
    with trio.fail_after(30):
        text = await fill_demo(runtime.handles, serving=True)
    slug = text.split("(slug ")[1].split(")")[0]
    assert "The server is running: open http://" in text and text.count(f"/{slug}") >= 1
    assert "Start the server" not in text
