"""No cyclic garbage collection while the dashboard starts.

Importing Textual and mounting the screen allocate ~60,000 objects that live as long as the app; the
collections those allocations trigger re-scan them again and again (a tenth of the CPU time to the
first frame). :func:`pause` (called by the launcher before the imports) turns the collector off;
:func:`resume` (called by the app once its screen is complete) freezes what start-up built, so later
collections skip it, and turns the collector back on. Start-up leaves a few thousand unreachable
objects behind (a few hundred kB), which the freeze keeps: the price of never scanning the rest.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Turn the cyclic collector off until :func:`resume` (if it is on)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze the objects built so far and turn the collector back on; nothing unless
    :func:`pause` turned it off (an app started another way keeps its collector as it was)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
