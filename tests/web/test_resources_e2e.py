"""The resource library in a real browser: upload (file picker and drag and drop), preview, download."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

from tests.resources.conftest import minimal_pdf
from tests.web.browser import SCREENSHOTS, capture, watch
from tests.web.test_admin_screens import owner_of_new_org

PASSWORD = "correct horse battery"


def _stat(page: Page, label: str) -> Locator:
    return page.locator(f"div:has(> div:text-is('{label}'))").last


def _at_390(page: Page, name: str) -> None:
    """A screenshot at a 390 px phone (the common size today) besides capture's 375."""
    before = page.viewport_size
    page.set_viewport_size({"width": 375, "height": 812})
    page.wait_for_timeout(150)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"), full_page=True)
    if before:
        page.set_viewport_size(before)


def test_upload_preview_and_download_a_resource(browser: Browser, live_server: str, tmp_path: Path) -> None:
    base, tag = live_server, uuid.uuid4().hex[:6]
    org = f"library-{tag}"
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    watched = watch(context.new_page())
    page = watched.page

    page.goto(f"{base}/signup")
    page.get_by_label("Display name").fill("Lena Ortiz")
    page.get_by_label("Email").fill(f"lena-{tag}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    page.get_by_role("link", name="Create a community").first.click()
    page.get_by_label("Name").fill(f"Library {tag}")
    page.get_by_role("button", name="Create community").click()
    expect(page).to_have_url(re.compile(rf"/{org}$"))

    # The dashboard's quick action opens the upload form in the library; its count is what the caller may read.
    expect(_stat(page, "Resources")).to_contain_text("0")
    page.get_by_role("link", name="Upload Resource").click()
    expect(page).to_have_url(re.compile(rf"/{org}/resources\?upload=1$"))
    expect(page.get_by_role("form", name="Upload a resource")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="Resources", exact=True)).to_be_visible()
    capture(page, "resources-empty", problems)

    # Upload through the file picker over a slow uplink: the progress bar moves on the way.
    minutes = tmp_path / "minutes.txt"
    minutes.write_bytes(b"Minutes of the meeting.\n" * 6000)  # 144 KB
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": 40 * 1024})
    moving = """() => {
        const bar = document.querySelector('progress[aria-label="Upload progress"]');
        return bar !== null && bar.value > 0.05 && bar.value < 1;
    }"""
    page.get_by_role("button", name="Upload Resource").click()
    page.get_by_label("File").set_input_files(str(minutes))
    page.get_by_role("button", name="Upload", exact=True).click()
    progress = page.get_by_label("Upload progress")
    expect(progress).to_be_visible()
    page.wait_for_function(moving)
    page.get_by_role("button", name="Stop upload").click()  # stopped half way: nothing is added, the form stays
    expect(progress).to_have_count(0)
    expect(page.get_by_label("Title")).to_have_value("minutes")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_function(moving)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    expect(page.get_by_role("article", name="minutes")).to_have_count(1)
    expect(progress).to_have_count(0)

    # Then a PDF, described before it goes.
    pdf = tmp_path / "handbook.pdf"
    pdf.write_bytes(minimal_pdf("welcome to the library"))
    page.get_by_role("button", name="Upload Resource").click()
    page.get_by_label("File").set_input_files(str(pdf))
    expect(page.get_by_label("Title")).to_have_value("handbook")
    page.get_by_label("Title").fill("Member handbook")
    page.get_by_label("Category").first.fill("guides")
    capture(page, "resources-upload", problems)
    _at_390(page, "resources-upload")
    page.get_by_role("button", name="Upload", exact=True).click()
    item = page.get_by_role("article", name="Member handbook")
    expect(item).to_be_visible()
    expect(item).to_contain_text("handbook.pdf")

    # Upload by dropping a file on the drop zone.
    page.get_by_role("button", name="Upload Resource").click()
    page.evaluate("""() => {
        const data = new DataTransfer();
        data.items.add(new File(["# Notes\\n\\nBring snacks."], "notes.md", { type: "text/markdown" }));
        const zone = document.querySelector('[data-testid="drop-zone"]');
        zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
        zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    }""")
    expect(page.get_by_label("Title")).to_have_value("notes")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("article", name="notes")).to_be_visible()
    capture(page, "resources-list", problems)
    _at_390(page, "resources-list")

    # Preview the PDF in place, then download it.
    item.get_by_role("button", name="Preview").click()
    dialog = page.get_by_role("dialog", name="Preview of Member handbook")
    expect(dialog).to_be_visible()
    expect(dialog.locator("iframe")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    with page.expect_download() as download:
        item.get_by_role("button", name="Download").click()
    saved = Path(download.value.path())
    assert saved.read_bytes() == pdf.read_bytes()
    assert download.value.suggested_filename == "handbook.pdf"
    # Downloads are counted in batches (flushed every few seconds, no write per download): look until it is there.
    for _ in range(30):
        page.reload()
        if "2 downloads" in page.get_by_role("article", name="Member handbook").inner_text():
            break
        page.wait_for_timeout(500)
    expect(page.get_by_role("article", name="Member handbook")).to_contain_text("2 downloads")

    # Edit what the library says about it: featured now, so it leads the page.
    item.get_by_role("button", name="Edit").click()
    editing = page.get_by_role("form", name="Edit Member handbook")
    editing.get_by_label("Description").fill("Read this first")
    editing.get_by_label("Feature it").check()
    editing.get_by_role("button", name="Save").click()
    featured = page.locator("section", has=page.get_by_role("heading", name="Featured", exact=True))
    expect(featured.get_by_role("article", name="Member handbook")).to_contain_text("Read this first")
    page.get_by_label("Featured only").check()
    expect(page.get_by_role("article")).to_have_count(1)

    page.get_by_role("link", name="Dashboard").click()
    expect(_stat(page, "Resources")).to_contain_text("3")

    assert watched.errors == [], watched.errors
    assert problems == [], problems
    context.close()


def test_a_reply_carries_an_image_inline_and_a_file_card(browser: Browser, live_server: str, tmp_path: Path) -> None:
    from PIL import Image

    context, watched, _ = owner_of_new_org(browser, live_server, "Attach")
    page = watched.page
    problems: list[str] = []
    page.get_by_role("link", name="Create New Forum").click()
    page.get_by_label("Forum name").fill("Show and tell")
    page.get_by_role("button", name="Create forum").click()
    page.get_by_role("link", name="Show and tell", exact=True).click()
    page.get_by_role("link", name="New topic").click()
    page.get_by_label("Title").fill("Our new workshop")
    page.get_by_label("Content").fill("Photos and the floor plan below.")
    page.get_by_role("button", name="Create topic").click()
    expect(page.get_by_role("heading", name="Our new workshop")).to_be_visible()

    photo, plan = tmp_path / "bench.png", tmp_path / "floor-plan.pdf"
    Image.new("RGB", (120, 80), (30, 120, 200)).save(photo)
    plan.write_bytes(minimal_pdf("floor plan"))
    page.get_by_label("Attach files").set_input_files([str(photo), str(plan)])
    pending = page.get_by_role("list", name="Attachments")
    expect(pending.get_by_text("bench.png")).to_be_visible()
    expect(pending.get_by_text("floor-plan.pdf")).to_be_visible()
    expect(page.locator("progress")).to_have_count(0)  # both uploaded
    page.get_by_label("Reply").fill("Here they are")
    page.get_by_role("button", name="Post reply").click()

    reply = page.get_by_role("article").filter(has_text="Here they are")
    expect(reply.get_by_role("img", name="bench.png")).to_be_visible()
    card = reply.get_by_role("button", name=re.compile("floor-plan.pdf"))
    expect(card).to_be_visible()
    capture(page, "post-attachments", problems)
    page.reload()  # the attachments are the post's, not the page's memory
    reply = page.get_by_role("article").filter(has_text="Here they are")
    expect(reply.get_by_role("img", name="bench.png")).to_be_visible()
    # The inline image is the thumbnail (or the original until it is made); the whole image opens over the page.
    reply.get_by_role("button", name="Open bench.png").click()
    viewer = page.get_by_role("dialog", name="bench.png")
    expect(viewer.get_by_role("img", name="bench.png")).to_be_visible()
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(reply.get_by_role("button", name="Open bench.png")).to_be_focused()
    with page.expect_download() as download:
        reply.get_by_role("button", name=re.compile("floor-plan.pdf")).click()
    assert Path(download.value.path()).read_bytes() == plan.read_bytes()
    assert download.value.suggested_filename == "floor-plan.pdf"
    assert watched.errors == [], watched.errors
    assert problems == [], problems
    context.close()
