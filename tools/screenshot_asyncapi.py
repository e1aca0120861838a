"""Render /asyncapi in headless Chromium (Debian's) and save a PNG of it.

    uv run python tools/screenshot_asyncapi.py http://127.0.0.1:8000 docs/images/asyncapi.png

Shows the top of the page and the list of messages (every event), side by side.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS


def screenshot(base_url: str, out: Path, *, section: str = "operations") -> None:
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1600, "height": 1400},
        )
        page = context.new_page()
        page.goto(f"{base_url}/asyncapi")
        page.wait_for_selector("#messages", timeout=30_000)
        page.locator(f"#{section}").scroll_into_view_if_needed()
        page.evaluate(f"document.getElementById('{section}').scrollIntoView()")
        page.screenshot(path=str(out))
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("base_url")
    parser.add_argument("out", type=Path)
    parser.add_argument("--section", default="operations", help="element id to scroll to")
    args = parser.parse_args()
    screenshot(args.base_url, args.out, section=args.section)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
