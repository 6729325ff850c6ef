"""How the dashboard shows measured times (one place, so snapshot tests can freeze them)."""

from __future__ import annotations


def latency(us: float) -> str:
    """A query or call latency: ``83 µs``, ``1.2 ms``, ``3.4 s``."""
    if us < 1000:
        return f"{us:,.0f} µs"
    if us < 1_000_000:
        return f"{us / 1000:,.1f} ms"
    return f"{us / 1_000_000:,.1f} s"


def duration(seconds: float) -> str:
    return latency(seconds * 1_000_000)
