"""Screenshots of the chat page for the README: docs/screenshots/chat-*.png.

    .venv/bin/python scripts/screenshots.py          # the real bot when models/asbcr.tar.gz exists
    .venv/bin/python scripts/screenshots.py --fake   # the tests' scripted fake bot (no model needed)

Starts the servers itself (asbcr.stack, ASBCR_TODAY=2026-11-25 so the dates stay the same),
holds a conversation by clicking and typing in Debian's Chromium, and saves:
  chat-1280.png           desktop, mid-conversation
  chat-360.png            a 360 px phone, mid-conversation
  chat-decision-1280.png  the decision panel (apply)
  chat-decision-360.png   the decision panel on a phone (report first)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from asbcr.stack import DEFAULT_MODEL, Stack, free_port  # noqa: E402
from chat_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MACHINE_SPEED_LIMITS,
    TODAY,
    click_choice,
    hold_conversation,  # noqa: E402
    open_chat,
    send_text,
)


def quiet_page(page: Page) -> None:
    """No focus ring or caret in a picture, and the page scrolled to its top."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0) }")


def scroll_to(page: Page, selector: str) -> None:
    page.evaluate(
        "(s) => { document.activeElement && document.activeElement.blur();"
        " const e = document.querySelector(s); window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 70) }",
        selector,
    )


def scroll_to_end_of(page: Page, selector: str) -> None:
    """The element's bottom at the bottom of the window: the latest messages, answers and box."""
    page.evaluate(
        "(s) => { document.activeElement && document.activeElement.blur();"
        " const e = document.querySelector(s);"
        " window.scrollTo(0, e.getBoundingClientRect().bottom + window.scrollY - window.innerHeight + 20) }",
        selector,
    )


def take(browser, url: str, out: Path) -> None:
    desktop = browser.new_page(viewport={"width": 1280, "height": 1000})
    open_chat(desktop, url)
    click_choice(desktop, "^Anti-social behaviour")
    send_text(desktop, "no")
    click_choice(desktop, "^Yes")
    quiet_page(desktop)
    desktop.screenshot(path=str(out / "chat-1280.png"), full_page=True)

    hold_conversation(desktop, "apply", by="typing", stop_at_decision=True)
    scroll_to(desktop, "li.chat-decision")
    desktop.screenshot(path=str(out / "chat-decision-1280.png"))
    desktop.close()

    phone = browser.new_page(viewport={"width": 360, "height": 780}, device_scale_factor=2)
    open_chat(phone, url)
    click_choice(phone, "^Anti-social behaviour")
    click_choice(phone, "^No")
    scroll_to_end_of(phone, "#composer")
    phone.screenshot(path=str(out / "chat-360.png"))
    hold_conversation(phone, "report_first", by="clicking")
    scroll_to(phone, "li.chat-decision")
    phone.screenshot(path=str(out / "chat-decision-360.png"))
    phone.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fake", action="store_true", help="use the tests' fake bot, not the trained model")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    use_fake = args.fake or not DEFAULT_MODEL.exists()
    env = dict(os.environ, ASBCR_TODAY=TODAY, **MACHINE_SPEED_LIMITS)

    with tempfile.TemporaryDirectory(prefix="asbcr-screens-") as var:
        fake = None
        if use_fake:
            from fake_rasa import FakeRasa

            fake = FakeRasa(free_port()).start()
            stack = Stack(with_rasa=False, with_actions=False, rasa_port=fake.port, web_port=free_port(), var=Path(var), env=env)
        else:
            stack = Stack(rasa_port=free_port(), actions_port=free_port(), web_port=free_port(), var=Path(var), env=env)
        print(f"Starting the {'fake' if use_fake else 'real'} bot and the chat page...", flush=True)
        with stack, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                take(browser, stack.web_url, args.out)
            finally:
                browser.close()
                if fake:
                    fake.close()
    for name in sorted(p.name for p in args.out.glob("chat-*.png")):
        print(f"  {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
