"""The desk's test harness: a real `dorfhub serve` on 127.0.0.1 (a port it picks itself), desk
users made through the real CLI, and Debian's chromium driven headless by Playwright.

The browser is launched by its path (/usr/bin/chromium): nothing downloads one. It starts once
per test process and each test gets a fresh context (its own cookies). Every page a test visits
goes through `DeskSite.visit`/`after_navigation`, which run axe-core with the WCAG 2.2 AA tags
and fail with a readable report on any violation.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.node.cli import DORFHUB, REPO
from tests.sync.conftest import PeerProcess, make_town, running

CHROMIUM = "/usr/bin/chromium"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WAIT_MS = 30_000  # generous: the machine is shared


@dataclass(frozen=True)
class Login:
    name: str
    passphrase: str


# One user per test that changes a user's state for good (locked, disabled, expired), so tests
# sharing a server stay independent of their order.
ANNA = Login("Anna Berger", "Sonnenblume-am-Dorfplatz-7")
LENA = Login("Lena Sperr", "Schneeglöckchen-im-März")
DIETER = Login("Dieter Weggang", "Kirchturm-von-Ringelai")
ERIKA = Login("Erika Ablauf", "Holzofen-und-Semmeln-3")
HANS = Login("Hans Sprache", "Bürgerbus-nach-Grafenau")
USERS = (ANNA, LENA, DIETER, ERIKA, HANS)


def add_desk_users(home: Path, users: Sequence[Login]) -> None:
    """`dorfhub desk user add NAME --role admin` for each, side by side (Argon2id each)."""
    procs = []
    for user in users:
        env = {**os.environ, "DORFHUB_DESK_PASSPHRASE": user.passphrase}
        args = [*DORFHUB, "desk", "user", "add", user.name, "--role", "admin", "--home", home]
        procs.append(
            subprocess.Popen(
                [str(a) for a in args],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"desk user add failed: {err}"
        assert "added" in out


@pytest.fixture(scope="session")
def desk_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A town server's home with the desk users, made once per test process; tests that run
    a server of their own copy it."""
    home = tmp_path_factory.mktemp("desk") / "town"
    make_town(home)
    add_desk_users(home, USERS)
    return home


@pytest.fixture(scope="session")
def desk_server(desk_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PeerProcess]:
    home = tmp_path_factory.mktemp("desk-served") / "town"
    shutil.copytree(desk_home, home)
    with running(home) as server:
        yield server


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context()
    made.set_default_timeout(WAIT_MS)
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


class AxeChecker:
    """axe-core on pages the tests visit. Pages from a context without JavaScript (where axe
    cannot run) are checked by serving the very HTML that context received to a page with
    JavaScript, at the same address, so the stylesheet comes from the server as before."""

    def __init__(self, axe: Axe, browser: Browser) -> None:
        self.axe = axe
        self.browser = browser
        self.clean: set[str] = set()  # markup found clean, by its digest
        self.copies: BrowserContext | None = None  # where copies of no-script pages are checked

    def check(self, page: Page, javascript: bool = True) -> None:
        html = page.content()
        digest = _markup_digest(html)
        if digest in self.clean:
            return  # the same markup as a page checked before (five failed logins in a row)
        if javascript:
            self._assert_clean(page)
        else:
            self.check_html(page.url, html)
        self.clean.add(digest)

    def check_html(self, url: str, html: str) -> None:
        if self.copies is None:
            self.copies = self.browser.new_context()
        copy = self.copies.new_page()
        try:
            copy.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
            # The page as a browser without JavaScript shows it: its scripts (htmx) never run,
            # so nothing it would load or post afterwards (the editor's preview) happens here.
            copy.route("**/*.js", lambda route: route.abort())
            copy.goto(url)
            self._assert_clean(copy)
        finally:
            copy.close()

    def _assert_clean(self, page: Page) -> None:
        results = self.axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        assert results.violations_count == 0, (
            f"axe-core found {results.violations_count} WCAG 2.2 AA violations on {page.url}:\n"
            + results.generate_report()
        )


def _markup_digest(html: str) -> str:
    """The page's markup without what differs between two loads of the same page: tokens."""
    html = re.sub(r'value="[^"]*"', 'value=""', html)
    html = re.sub(r"hx-headers='[^']*'", "", html)
    html = re.sub(r"seen=[0-9a-f]+", "seen=", html)
    return hashlib.sha256(html.encode()).hexdigest()


@pytest.fixture(scope="session")
def axe_checker(axe: Axe, browser: Browser) -> AxeChecker:
    return AxeChecker(axe, browser)


class DeskSite:
    """The desk of one running server, as the tests drive it."""

    def __init__(self, server: PeerProcess, checker: AxeChecker) -> None:
        self.server = server
        self.checker = checker
        self.without_javascript: list[BrowserContext] = []

    def url(self, path: str = "/") -> str:
        return f"{self.server.url}/desk{path}"

    def visit(self, page: Page, path: str = "/") -> None:
        page.goto(self.url(path))
        self.after_navigation(page)

    def after_navigation(self, page: Page) -> None:
        """Every page a test sees is checked for WCAG 2.2 AA."""
        page.wait_for_load_state("load")
        self.checker.check(page, javascript=page.context not in self.without_javascript)

    def log_in(self, page: Page, user: Login, passphrase: str | None = None) -> None:
        """Fill and send the login form (from wherever the browser stands on the desk)."""
        if "/desk/login" not in page.url:
            self.visit(page, "/login")
        page.get_by_label("Name").fill(user.name)
        page.get_by_label("Passphrase").fill(user.passphrase if passphrase is None else passphrase)
        with page.expect_navigation():
            page.get_by_role("button", name=_login_button(page)).click()
        self.after_navigation(page)


def _login_button(page: Page) -> str:
    return "Log in" if page.locator("html").get_attribute("lang") == "en" else "Anmelden"


@pytest.fixture
def desk(desk_server: PeerProcess, axe_checker: AxeChecker) -> DeskSite:
    return DeskSite(desk_server, axe_checker)


@pytest.fixture
def page_without_javascript(browser: Browser, desk: DeskSite) -> Iterator[Page]:
    """A page in a context with JavaScript off: plain forms and links only."""
    made = browser.new_context(java_script_enabled=False)
    made.set_default_timeout(WAIT_MS)
    desk.without_javascript.append(made)
    yield made.new_page()
    made.close()
