"""Browser tests of the resident's chat page and the staff console: Playwright driving Debian's Chromium.

The browser is /usr/bin/chromium (scripts/browser-deps.sh installs it with apt-get;
ASBCR_CHROMIUM names another). No test tool downloads a browser. The page's assets are built
by scripts/web-assets.sh (quick when nothing changed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from asbcr.stack import Stack, free_port
from chat_helpers import CHROMIUM, CHROMIUM_ARGS, MACHINE_SPEED_LIMITS, ROOT
from fake_rasa import FakeRasa

# web/ is not an installed package: run from the repository, as `python -m web.server` is.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "axe: the test runs axe-core in the page (its CSP is bypassed)")


@pytest.fixture(scope="session")
def built_assets() -> None:
    result = subprocess.run([str(ROOT / "scripts" / "web-assets.sh")], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"scripts/web-assets.sh failed:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}: run scripts/browser-deps.sh (make test does), or set ASBCR_CHROMIUM to a Chromium binary"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def fake_bot() -> Iterator[FakeRasa]:
    fake = FakeRasa(free_port()).start()
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def fake_site(fake_bot: FakeRasa, built_assets: None, tmp_path_factory) -> Iterator[Stack]:
    """The real chat page server (python -m web.server) in front of the fake bot."""
    stack = Stack(
        with_rasa=False,
        with_actions=False,
        with_web=True,
        rasa_port=fake_bot.port,
        web_port=free_port(),
        var=tmp_path_factory.mktemp("web-var"),
        env=dict(os.environ, **MACHINE_SPEED_LIMITS),
    )
    stack.start()
    yield stack
    stack.stop()


class PageProblems:
    """JavaScript errors on the page and requests that left this machine."""

    def __init__(self) -> None:
        self.errors: List[str] = []
        self.outside_requests: List[str] = []


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser: Browser, problems: PageProblems, request) -> Iterator[Page]:
    """A fresh tab (own session storage) at desktop size; fails the test on a JavaScript error.

    A test marked `axe` may inject axe-core although the page's Content-Security-Policy
    forbids inline scripts (Playwright's bypass_csp; nothing else changes).
    """
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, bypass_csp=request.node.get_closest_marker("axe") is not None
    )
    page = context.new_page()
    page.on("pageerror", lambda error: problems.errors.append(str(error)))

    def note_request(request) -> None:
        host = request.url.split("/")[2] if "://" in request.url else ""
        if request.url.startswith(("http://", "https://")) and not host.startswith(("localhost", "127.0.0.1")):
            problems.outside_requests.append(request.url)

    page.on("request", note_request)
    yield page
    context.close()
    assert not problems.errors, f"JavaScript errors on the page: {problems.errors}"
