"""Memory housekeeping shared by the stages that build large object graphs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector. Loading and verifying a large design allocate
    millions of small objects that stay alive; the collector would walk them again and again
    (at 10,000 sites it made loading 25 % slower, growing faster than the file).

    On the way out, what was made meanwhile joins the oldest generation without a pass (freeze
    then unfreeze), so the first collection after the pause does not walk it all at once; a
    full collection still finds its cycles. Skipped while someone else holds objects frozen."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
