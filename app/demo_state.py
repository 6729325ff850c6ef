"""A demo session's own folders: ``--demo`` never touches the user's real config, grants or plugins.

The demo registry's review keys are public, so trusting them (as the demo does) must stay inside the
demo: :func:`isolate_demo_state` points the config and data folders at a throw-away folder.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

#: User settings a demo session keeps (read-only copies): the look and the keys, nothing else.
KEPT_SETTINGS = ("config.toml", "keymap.toml")
DEMO_PREFIX = "pt-tui-demo-"


def isolate_demo_state() -> Path:
    """Point ``PT_TUI_CONFIG_DIR`` and ``PT_TUI_DATA_DIR`` at a fresh temporary folder (removed at exit;
    one left by a killed session is removed by the next), with copies of the user's look-and-keys
    settings; the cache (snapshots, compiled WASM, the demo registry's git repository) stays shared.
    Call it before anything reads those folders."""
    from pt_tui.core.userdirs import config_dir

    real_config = config_dir()
    _sweep(Path(tempfile.gettempdir()))
    root = Path(tempfile.mkdtemp(prefix=f"{DEMO_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / "config").mkdir()
    (root / "data").mkdir()
    for name in KEPT_SETTINGS:
        if (real_config / name).is_file():
            shutil.copyfile(real_config / name, root / "config" / name)
    os.environ["PT_TUI_CONFIG_DIR"] = str(root / "config")
    os.environ["PT_TUI_DATA_DIR"] = str(root / "data")
    return root


def _sweep(base: Path) -> None:
    """Remove our demo sessions' folders whose process is gone (POSIX: a pid can be probed safely)."""
    if os.name != "posix":
        return
    for folder in base.glob(f"{DEMO_PREFIX}*-*"):
        pid = folder.name.removeprefix(DEMO_PREFIX).split("-", 1)[0]
        if pid.isdigit() and folder.stat().st_uid == os.getuid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
