"""Shared test settings: hypothesis without wall-clock deadlines (CI machines are noisy), and a
private pt-tui cache folder per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own pt-tui cache folder: snapshots never land in the user's cache."""
    cache = tmp_path_factory.mktemp("pt-tui-cache")
    monkeypatch.setenv("PT_TUI_CACHE_DIR", str(cache))
    return cache
