"""The browser app's budgets: JS the sign-in and dashboard routes load (gzipped), and how long a
200-post topic takes to show its first page after an in-app navigation, in Debian's chromium.

`python -m bench.web [--runs 15]` (`BENCH_WEB_PORT` moves it off 9142): starts `community serve` on
loopback (embedded PostgreSQL in a temporary data directory),
seeds one org with a 200-post topic over the API, drives chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
PORT = int(os.environ.get("BENCH_WEB_PORT", "9142"))  # the websocket listener takes the next one
BASE = f"http://127.0.0.1:{PORT}"


def serve(data_dir: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PORT": str(PORT), "WEBSOCKET_PORT": str(PORT + 1), "HOST": "127.0.0.1",
           "NEXT_PUBLIC_APP_URL": BASE, "COMMUNITY_DATA_DIR": data_dir, "LOG_LEVEL": "warning",
           "LOG_FORMAT": "json", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "community", "serve"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{BASE}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("community serve did not start")


def seed(posts: int) -> dict[str, str]:
    with httpx.Client(base_url=BASE, timeout=30) as http:
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        token = http.post("/api/auth/register", json={"email": email, "password": "bench password 1",
                                                      "display_name": "Bench Owner"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        org = http.post("/api/orgs", json={"name": f"Bench {uuid.uuid4().hex[:6]}"}, headers=auth).json()
        slug = org["organization"]["slug"]
        forum = http.post(f"/api/orgs/{slug}/forums", json={"name": "General"}, headers=auth).json()["forum"]
        topic = http.post(f"/api/orgs/{slug}/forums/{forum['id']}/topics", headers=auth,
                          json={"title": "A long thread", "content": "Two hundred replies follow."}).json()["topic"]
        for i in range(posts):
            body = {"content": f"Reply {i}: **markdown** with a [link](https://example.com) and `code`."}
            http.post(f"/api/orgs/{slug}/topics/{topic['id']}/posts", json=body, headers=auth).raise_for_status()
        return {"token": token, "slug": slug, "forum": forum["id"], "topic": topic["id"]}


def js_loaded(page: Page, url: str, ready: str) -> tuple[int, int, list[str]]:
    """(raw bytes, gzip bytes, files) of every script the page loaded to show `ready`."""
    seen: list[str] = []
    page.on("response", lambda r: seen.append(r.url) if r.url.endswith(".js") else None)
    page.goto(url)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    files = sorted({u.split("/assets/", 1)[1] for u in seen if "/assets/" in u})
    raw = sum((DIST / "assets" / f).stat().st_size for f in files)
    gz = sum((DIST / "assets" / f"{f}.gz").stat().st_size if (DIST / "assets" / f"{f}.gz").exists()
             else (DIST / "assets" / f).stat().st_size for f in files)
    return raw, gz, files


def topic_navigation_ms(page: Page, seeded: dict[str, str]) -> float:
    """From the click on the topic's link in its forum to its first page (opening post + 20 replies) in the DOM."""
    page.goto(f"{BASE}/{seeded['slug']}/forums/{seeded['forum']}")
    page.wait_for_selector("text=A long thread")
    return float(page.evaluate("""() => new Promise((resolve) => {
        const link = [...document.querySelectorAll('a')].find((a) => a.textContent === 'A long thread');
        const start = performance.now();
        const done = () => document.querySelectorAll('article[data-post]').length >= 21;
        const observer = new MutationObserver(() => {
            if (done()) { observer.disconnect(); requestAnimationFrame(() => resolve(performance.now() - start)); }
        });
        observer.observe(document.body, { childList: true, subtree: true });
        link.click();
    })"""))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--posts", type=int, default=200)
    args = parser.parse_args()
    if not (DIST / "index.html").exists():
        raise SystemExit("build the app first: make install")
    with tempfile.TemporaryDirectory() as data_dir:
        server = serve(data_dir)
        try:
            seeded = seed(args.posts)
            result = measure(seeded, args.runs)
        finally:
            server.terminate()
            server.wait(timeout=30)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "web.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


def measure(seeded: dict[str, str], runs: int) -> dict[str, Any]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        anon = browser.new_page()
        login = js_loaded(anon, f"{BASE}/login", "text=Sign in")
        context = browser.new_context()
        context.add_init_script(f"localStorage.setItem('community.token', {json.dumps(seeded['token'])})")
        page = context.new_page()
        dashboard = js_loaded(page, f"{BASE}/{seeded['slug']}", "text=Community Forums")
        topic_navigation_ms(page, seeded)  # warm: the topic chunk is fetched once per session
        times = sorted(topic_navigation_ms(page, seeded) for _ in range(runs))
        browser.close()
    api_times = sorted(api_ms(seeded) for _ in range(runs))
    return {
        "login_js": {"raw_bytes": login[0], "gzip_bytes": login[1], "files": login[2]},
        "dashboard_js": {"raw_bytes": dashboard[0], "gzip_bytes": dashboard[1], "files": dashboard[2]},
        "topic_200_posts_navigation_ms": {"runs": runs, "p50": round(statistics.median(times), 1),
                                          "p90": round(times[int(len(times) * 0.9) - 1], 1),
                                          "max": round(times[-1], 1), "min": round(times[0], 1)},
        "topic_first_page_api_ms": {"runs": runs, "p50": round(statistics.median(api_times), 1),
                                    "p90": round(api_times[int(len(api_times) * 0.9) - 1], 1)},
        "load_average": os.getloadavg()[0],
    }


def api_ms(seeded: dict[str, str]) -> float:
    """The same first-page request without the browser: how much of the navigation is the server."""
    started = time.perf_counter()
    httpx.get(f"{BASE}/api/orgs/{seeded['slug']}/topics/{seeded['topic']}?limit=20",
              headers={"Authorization": f"Bearer {seeded['token']}"}, timeout=30).raise_for_status()
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    sys.exit(main())
