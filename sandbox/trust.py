"""The trust check native plugins must pass: approvals for exactly one artifact sha256.

:class:`TrustPolicy` is the interface; the registries layer supplies one backed by signed reviews.
:class:`LocalApprovals` reads ``approvals.toml`` in the config dir, written atomically::

    needed = 1
    [[approval]]
    name = "hotspots"
    version = "1.0.0"
    sha256 = "9c1f..."
    by = "me"
"""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path
from typing import Protocol, runtime_checkable

import msgspec
import tomlkit

from pt_tui.sandbox.configdir import config_dir, write_atomic
from pt_tui.sandbox.errors import TrustError

APPROVALS_FILE = "approvals.toml"


class TrustDecision(msgspec.Struct, frozen=True, kw_only=True):
    approved: bool
    reviews: int  # approving reviews found for this exact sha256
    needed: int
    reason: str = ""


@runtime_checkable
class TrustPolicy(Protocol):
    def check(self, name: str, version: str, sha256: str) -> TrustDecision: ...


def require_trust(policy: TrustPolicy, name: str, version: str, sha256: str) -> TrustDecision:
    """The decision, or :class:`TrustError` with the reason when it is not an approval."""
    decision = policy.check(name, version, sha256)
    if not decision.approved:
        raise TrustError(
            f"{name} {version}: native load refused for sha256 {sha256[:16]}...: {decision.reason} "
            f"({decision.reviews}/{decision.needed} approvals)"
        )
    return decision


class DenyAll:
    """No native plugin is trusted (the default when nothing else is configured)."""

    def check(self, name: str, version: str, sha256: str) -> TrustDecision:
        return TrustDecision(approved=False, reviews=0, needed=1, reason="no trust source configured")


class LocalApprovals:
    """Approvals the user recorded locally (``pt-tui plugin approve``), keyed by sha256."""

    def __init__(self, path: Path | None = None, *, needed: int | None = None) -> None:
        self.path = path if path is not None else config_dir() / APPROVALS_FILE
        self._needed = needed
        self._lock = threading.Lock()

    def _read(self) -> tuple[int, list[dict[str, str]]]:
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self._needed or 1, []
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise TrustError(f"{self.path}: unreadable approvals file: {exc}") from None
        needed = data.get("needed", 1)
        approvals = data.get("approval", [])
        if not isinstance(needed, int) or needed < 1:
            raise TrustError(f"{self.path}: needed: expected a positive integer")
        if not isinstance(approvals, list):
            raise TrustError(f"{self.path}: approval: expected an array of tables")
        rows = [{k: str(v) for k, v in a.items()} for a in approvals if isinstance(a, dict)]
        return self._needed or needed, rows

    def check(self, name: str, version: str, sha256: str) -> TrustDecision:
        with self._lock:
            needed, rows = self._read()
        reviewers = {r.get("by", "") for r in rows if r.get("sha256") == sha256 and r.get("name") == name}
        count = len(reviewers)
        if count >= needed:
            return TrustDecision(approved=True, reviews=count, needed=needed, reason="approved locally")
        other = any(r.get("name") == name for r in rows)
        reason = "this artifact's sha256 is not approved" + (" (another version is)" if other else "")
        return TrustDecision(approved=False, reviews=count, needed=needed, reason=reason)

    def approve(self, name: str, version: str, sha256: str, *, by: str = "local") -> None:
        with self._lock:
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            doc = tomlkit.parse(text) if text else tomlkit.document()
            approvals = doc.get("approval")
            if approvals is None:
                approvals = tomlkit.aot()
                doc["approval"] = approvals
            entry = tomlkit.table()
            entry.update({"name": name, "version": version, "sha256": sha256, "by": by})
            approvals.append(entry)
            write_atomic(self.path, tomlkit.dumps(doc).encode("utf-8"))


class AllowAll:
    """Trusts everything: for tests and benchmarks only."""

    def check(self, name: str, version: str, sha256: str) -> TrustDecision:
        return TrustDecision(approved=True, reviews=0, needed=0, reason="trust checks disabled")
