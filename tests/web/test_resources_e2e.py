"""The resource library in a real browser: upload (file picker and drag and drop), preview, download."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.resources.conftest import minimal_pdf
from tests.web.browser import capture, watch

PASSWORD = "correct horse battery"


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

    page.goto(f"{base}/{org}/resources")
    expect(page.get_by_role("heading", name="Resources", exact=True)).to_be_visible()
    capture(page, "resources-empty", problems)

    # Upload through the file picker, with a progress bar on the way.
    pdf = tmp_path / "handbook.pdf"
    pdf.write_bytes(minimal_pdf("welcome to the library"))
    page.get_by_role("button", name="Upload Resource").click()
    page.get_by_label("File").set_input_files(str(pdf))
    expect(page.get_by_label("Title")).to_have_value("handbook")
    page.get_by_label("Title").fill("Member handbook")
    page.get_by_label("Category").first.fill("guides")
    capture(page, "resources-upload", problems)
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
    page.reload()
    expect(page.get_by_role("article", name="Member handbook")).to_contain_text("2 downloads")

    assert watched.errors == [], watched.errors
    assert problems == [], problems
    context.close()
