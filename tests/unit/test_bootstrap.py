from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.bootstrap import ConfigurationError, build
from app.settings import Settings
from app.web.wire import encode


def test_a_redis_url_is_refused_until_the_adapter_exists() -> None:
    with pytest.raises(ConfigurationError, match="PARROT_REDIS_URL"):
        build(Settings(redis_url="redis://127.0.0.1:6379/0"), encode=encode)


def test_the_entry_point_exits_with_the_reason() -> None:
    env = {**os.environ, "PARROT_REDIS_URL": "redis://127.0.0.1:6379/0", "PARROT_PORT": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "PARROT_REDIS_URL" in result.stderr
