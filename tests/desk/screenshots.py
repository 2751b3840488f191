"""The desk's screenshots in docs/screenshots, taken from the real demo (`make screenshots`).

Starts `dorfhub demo --serve --no-kiosk` in a temporary directory, logs in with the login the
demo prints, and photographs the main pages in Debian's chromium (headless, launched by its
path, like the desk's tests). The first page of a notice's poster is rendered with pdftoppm.
Every picture is of what a fresh demo shows, so running this again after a change to the desk
keeps the README honest.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, sync_playwright

from tests.node.cli import DORFHUB, REPO

CHROMIUM = "/usr/bin/chromium"
OUT = REPO / "docs" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
DESK_LINE = re.compile(r"Schreibtisch: (\S+)\s+\(Anmeldung: (.+) / (\S+)\)")
DEMO_READY_S = 180


@dataclass(frozen=True)
class DemoDesk:
    url: str
    name: str
    passphrase: str


@contextmanager
def running_demo(directory: Path) -> Iterator[DemoDesk]:
    """The demo, kept serving until the block ends; its desk line parsed from its output."""
    log = directory / "demo.log"
    with log.open("w") as out:
        demo = subprocess.Popen(
            [*DORFHUB, "demo", "--dir", str(directory / "demo"), "--serve", "--no-kiosk"],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield _desk_of(log, demo)
    finally:
        demo.terminate()
        demo.wait(timeout=60)


def _desk_of(log: Path, demo: subprocess.Popen[bytes]) -> DemoDesk:
    """Wait for the demo to print its desk and to say its network runs (all built)."""
    deadline = time.monotonic() + DEMO_READY_S
    while time.monotonic() < deadline:
        text = log.read_text()
        found = DESK_LINE.search(text)
        if found and "Das Netz läuft:" in text:
            return DemoDesk(found[1].rstrip("/"), found[2], found[3])
        if demo.poll() is not None:
            raise SystemExit(f"the demo stopped:\n{text}")
        time.sleep(0.5)
    raise SystemExit("the demo did not print its desk in time")


def _shoot(page: Page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=OUT / f"{name}.png", full_page=False)
    print(f"docs/screenshots/{name}.png")


def _first_link(page: Page, selector: str) -> str:
    href = page.locator(selector).first.get_attribute("href")
    if href is None:
        raise SystemExit(f"no link {selector} on {page.url}")
    return href


def photograph(page: Page, desk: DemoDesk, work: Path) -> None:
    page.goto(f"{desk.url}/login")
    _shoot(page, "desk-login")
    page.get_by_label("Name").fill(desk.name)
    page.get_by_label("Passphrase").fill(desk.passphrase)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    _shoot(page, "desk-today")
    page.goto(f"{desk.url}/notices")
    _shoot(page, "desk-notices")
    notice = _first_link(page, "table.notice-list tbody th a")
    page.goto(desk.url.removesuffix("/desk") + notice)
    _shoot(page, "desk-notice")
    page.goto(desk.url.removesuffix("/desk") + notice + "/edit")
    _shoot(page, "desk-editor")
    page.locator("#preview-de .k-detail").scroll_into_view_if_needed()
    _shoot(page, "desk-preview")
    _poster(page, desk.url.removesuffix("/desk") + notice + "/poster.pdf", work)
    page.goto(f"{desk.url}/hubs")
    _shoot(page, "desk-hubs")
    page.goto(desk.url.removesuffix("/desk") + _first_link(page, "main table tbody th a"))
    _shoot(page, "desk-hub")


def _poster(page: Page, url: str, work: Path) -> None:
    """The poster's first page at 60 dpi, as a reader of the README sees it."""
    answer = page.request.get(url)
    if not answer.ok:
        raise SystemExit(f"{url}: {answer.status}")
    pdf = work / "poster.pdf"
    pdf.write_bytes(answer.body())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(OUT / "desk-poster")],
        check=True,
    )
    print("docs/screenshots/desk-poster.png")


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as scratch,
        running_demo(Path(scratch)) as desk,
        sync_playwright() as driver,
    ):
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(viewport=VIEWPORT, locale="de-DE")
        try:
            photograph(context.new_page(), desk, Path(scratch))
        finally:
            browser.close()


if __name__ == "__main__":
    main()
