"""Debian's Chromium for Playwright (its own browser download cannot work here)."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Debian Chromium; a test fails (never skips) when it is not installed."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run ./scripts/test (it installs chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
