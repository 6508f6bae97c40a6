"""Driving Debian's chromium with Playwright: pages that record console errors, axe checks, screenshots."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Page

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
SIZES = {"phone": (375, 812), "desktop": (1280, 900)}


@dataclass
class Watched:
    """A page and every console error or uncaught exception it produced."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def record(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{self.page.url}: {message.text}")


def watch(page: Page) -> Watched:
    watched = Watched(page)
    page.on("console", watched.record)
    page.on("pageerror", lambda exc: watched.errors.append(f"{page.url}: {exc}"))
    return watched


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core findings on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("async () => JSON.stringify((await window.axe.run(document)).violations)")
    found: list[dict[str, Any]] = json.loads(result)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in found if v["impact"] in ("serious", "critical")]


def capture(page: Page, name: str, problems: list[str], *, dark: bool = False) -> None:
    """Screenshots at both sizes, and axe at each size (layouts differ); `dark` adds the dark scheme."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Loading skeletons announce themselves as role=status "Loading ...": wait until the screen has its data.
    page.wait_for_function("() => !document.querySelector('[role=status][aria-label^=Loading]')")
    before = page.viewport_size
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
        problems.extend(f"{name} at {width}px: {v}" for v in axe_violations(page))
    if dark:
        page.emulate_media(color_scheme="dark")
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-dark.png"), full_page=True)
        problems.extend(f"{name} dark: {v}" for v in axe_violations(page))
        page.emulate_media(color_scheme="light")
    if before:
        page.set_viewport_size(before)
