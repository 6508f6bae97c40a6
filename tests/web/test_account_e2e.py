"""Your account: display name, a picture uploaded as the avatar, and a password change that ends the other
sessions (their websockets close with 4401 and the app signs them out) while this browser carries on live."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import Browser, expect

from tests.web.browser import capture, watch
from tests.web.test_e2e import PASSWORD
from tests.web.test_reading_e2e import community, forum_topic, signed_in

NEW_PASSWORD = "a brand new secret phrase"


def test_profile_picture_and_a_password_change(browser: Browser, live_server: str, tmp_path: Path) -> None:
    base, problems = live_server, []
    slug, auth, emails = community(base, "Account")
    _, topic_id = forum_topic(base, slug, auth["Ana"], "Still live after a password change")
    topic_url = f"{base}/{slug}/topics/{topic_id}"

    laptop, ana = signed_in(browser, base, emails["Ana"])
    phone, ana_phone = signed_in(browser, base, emails["Ana"])
    ana_phone.page.goto(topic_url)
    expect(ana_phone.page.get_by_role("heading", name="Still live after a password change")).to_be_visible()
    # A second tab of the laptop's browser keeps the topic open (the same stored session as the first tab).
    tab = watch(laptop.new_page())
    tab.page.goto(topic_url)
    expect(tab.page.get_by_role("heading", name="Still live after a password change")).to_be_visible()

    page = ana.page
    page.goto(f"{base}/{slug}")
    page.locator("summary").filter(has_text="Account menu for Ana Lima").click()
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    capture(page, "account", problems)

    page.get_by_label("Display name").fill("Ana Lima Souza")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()

    photo = tmp_path / "me.png"
    Image.new("RGB", (96, 96), (20, 120, 200)).save(photo)
    page.get_by_label("Picture").set_input_files(str(photo))
    expect(page.get_by_text("Picture saved.")).to_be_visible()
    picture = page.get_by_role("img", name="Ana Lima Souza (you)")
    expect(picture).to_have_attribute("src", re.compile(r"/api/images/"))
    page.wait_for_function("() => [...document.images].some((i) => i.alt.endsWith('(you)') && i.naturalWidth > 0)")
    user = httpx.get(f"{base}/api/me", headers=auth["Ana"]).json()["user"]
    assert user["display_name"] == "Ana Lima Souza"
    assert user["avatar_url"] == picture.get_attribute("src")
    capture(page, "account-picture", problems)

    # A wrong current password is refused next to its field; the right one changes it.
    page.get_by_label("Current password").fill("not my password at all")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("is not your current password")).to_be_visible()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()

    # The phone's session ended: its socket closed (4401), the app goes to sign-in and back after it.
    expect(ana_phone.page.get_by_text("Your session ended")).to_be_visible(timeout=15_000)
    expect(ana_phone.page).to_have_url(re.compile(r"/login\?next="))
    ana_phone.page.get_by_label("Email").fill(emails["Ana"])
    ana_phone.page.get_by_label("Password").fill(PASSWORD)
    ana_phone.page.get_by_role("button", name="Sign in").click()
    expect(ana_phone.page.get_by_role("alert")).to_be_visible()  # the old password no longer works
    ana_phone.page.get_by_label("Password").fill(NEW_PASSWORD)
    ana_phone.page.get_by_role("button", name="Sign in").click()
    expect(ana_phone.page).to_have_url(topic_url)

    # The laptop's other tab lost its socket too (the old token), and carries on with the new one: live.
    r = httpx.post(f"{base}/api/orgs/{slug}/topics/{topic_id}/posts", json={"content": "Ben here, after the change"},
                   headers=auth["Ben"])
    assert r.status_code == 201, r.text
    expect(tab.page.get_by_role("article").filter(has_text="Ben here, after the change")).to_be_visible(timeout=15_000)
    expect(tab.page).to_have_url(topic_url)
    assert httpx.get(f"{base}/api/me", headers=auth["Ana"]).status_code == 401

    # Chromium logs what the server refused the ended session (401; 404 for the private community it then
    # no longer shows) and the old password (401) as console errors; nothing else may appear.
    refused = re.compile(r"Failed to load resource: .* status of 40[14]")
    wrong_password = re.compile(r"/me: Failed to load resource: .* status of 422")  # the refused try above
    assert problems == []
    assert [e for e in ana.errors if not wrong_password.search(e)] == []
    assert tab.errors == []
    assert [e for e in ana_phone.errors if not refused.search(e)] == []
    laptop.close()
    phone.close()
