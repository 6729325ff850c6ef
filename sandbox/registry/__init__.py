"""Git-based plugin registries: index, install, lockfile, integrity, signed reviews, promotion.

A registry is a git repository (URL or local path) with ``index/<name>/<version>.toml`` entries; see
docs/registry.md. The pieces, each usable alone:

- :mod:`.index` - the entry format (msgspec), :mod:`.config` - the user's registries and trusted
  reviewers, :mod:`.gitrepo` - fetch and pinned reads, :mod:`.catalog` - all registries with precedence;
- :mod:`.store` - installed plugins (staging + atomic switch), :mod:`.lockfile` - ``pt-tui.lock``;
- :mod:`.reviews` - ed25519 reviews, :mod:`.trustpolicy` - the host's TrustPolicy from them,
  :mod:`.scan` - the static scans shown before a promotion;
- :mod:`.service` - the operations the CLI runs, :mod:`.live` - hot-swap into a running manager;
- :mod:`.publish`, :mod:`.scaffold` - for plugin authors; :mod:`.demo` - the bundled demo registry.
"""

from pt_tui.sandbox.registry.errors import (
    EntryError,
    IntegrityError,
    PathEscape,
    RegistryError,
    SHA256Mismatch,
)

__all__ = ["EntryError", "IntegrityError", "PathEscape", "RegistryError", "SHA256Mismatch"]
