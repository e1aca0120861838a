"""Every setting is documented where a newcomer and an operator look for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("doc", ["README.md", "docs/operations.md"])
@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(doc: str, field: str) -> None:
    assert f"PARROT_{field.upper()}" in (ROOT / doc).read_text(encoding="utf-8")
