"""Swagger UI in a real browser: Debian's Chromium, driven by Playwright (no browser is
downloaded), against the service served with the demo data. Authorize as the demo proposer
through the dialog's password flow, "Try it out" `GET /api/v1/me`, and find the 200 and the
proposer's username in the page; open ReDoc. Screenshots of both go to the test's output
directory (`JIEBANG_BROWSER_OUTPUT`, default `tests_browser/output`), for people: the test
asserts on the page itself."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from jiebang_api.demo import cast

CHROMIUM = os.environ.get("JIEBANG_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(os.environ.get("JIEBANG_BROWSER_OUTPUT", Path(__file__).parent / "output"))
STARTUP_SECONDS = 60
RENDER_MS = 120_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(database: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.upper().startswith("JIEBANG_")}
    environ.update(
        {
            "JIEBANG_ENV": "dev",
            "JIEBANG_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "JIEBANG_STORAGE_DIR": str(database.parent / "files"),
        }
    )
    return environ


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`jiebang-api seed-demo`, then `jiebang-api serve` on a free loopback port."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium is not at {CHROMIUM}: apt-get install chromium (CI does)")
    directory = tmp_path_factory.mktemp("served")
    environ = _environment(directory / "demo.db")
    seeded = subprocess.run(
        [sys.executable, "-m", "jiebang_api", "seed-demo"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if seeded.returncode != 0:
        pytest.fail(f"seed-demo failed: {seeded.stderr}")
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "jiebang_api", "serve", "--port", str(port), "--no-migrate"],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the service did not become ready")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def test_swagger_ui_authorizes_through_its_dialog_and_tries_an_operation(
    served: str, page: Page
) -> None:
    page.goto(f"{served}/docs")
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    expect(dialog).to_contain_text("password")
    expect(dialog).to_contain_text("clientCredentials")
    flow = dialog.locator(".auth-container").first  # the password flow
    flow.locator("#oauth_username").fill(cast.PROPOSER.username)
    flow.locator("#oauth_password").fill(cast.PASSWORD)
    flow.locator("button.authorize").click()
    expect(flow).to_contain_text("Authorized")
    expect(flow).to_contain_text("Logout")
    flow.locator("button.btn-done").click()

    operation = page.locator("#operations-users-read_me")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    answer = operation.locator(".live-responses-table .response")
    expect(answer.locator(".response-col_status")).to_contain_text("200")
    expect(answer.locator(".response-col_description")).to_contain_text(cast.PROPOSER.username)
    answer.scroll_into_view_if_needed()
    page.screenshot(path=OUTPUT / "swagger-ui.png", full_page=False)


def test_redoc_renders_the_contract(served: str, page: Page) -> None:
    page.goto(f"{served}/redoc")
    # ReDoc renders the whole contract (a few MB of JSON) before it shows anything.
    expect(page.locator("h1").first).to_contain_text("jiebang", timeout=RENDER_MS)
    expect(page.get_by_text("/api/v1/me").first).to_be_attached(timeout=RENDER_MS)
    page.screenshot(path=OUTPUT / "redoc.png", full_page=False)
