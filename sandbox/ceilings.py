"""The most any plugin of a tier may declare: the whole query must stay under 1 ms.

The query-time ceiling of a tier is 1 ms minus the host's own overhead for that tier, measured by
``benchmarks/plugins.py``: a core call is a timed function call (a few us), a native Python call adds
thread-CPU and memory sampling (tens of us at worst), a WASM call adds request encoding, the one
wasmtime call (~10-35 us) and the bounds-checked result decoding (~100 us for big results). Memory is
what the plugin adds (the goal is < 5 MB per active plugin). A plugin run in a worker process is
bounded by the same figures; the transport slack is the host's, not the plugin's.
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec

Tier = Literal["wasm", "native", "core"]
TIERS: Final[tuple[Tier, ...]] = ("wasm", "native", "core")

#: Total time of one query, plugin plus host overhead, in microseconds.
QUERY_TOTAL_US: Final = 1000


class TierCeiling(msgspec.Struct, frozen=True, kw_only=True):
    max_query_time_us: int
    max_memory_mb: float
    max_cpu_percent: float = 100.0


CEILINGS: Final[dict[str, TierCeiling]] = {
    "core": TierCeiling(max_query_time_us=990, max_memory_mb=5.0),
    "native": TierCeiling(max_query_time_us=950, max_memory_mb=5.0),
    "wasm": TierCeiling(max_query_time_us=850, max_memory_mb=5.0),
}
