"""Python's cyclic garbage collector during the calling phase.

Every HTTP exchange allocates a few hundred short-lived container objects, so the
collector runs its youngest generation every few calls and its oldest (which walks the
whole heap: pairs, rendered prompts, records already built, every imported module)
every few thousand. Measured on ``benchmarks/audit_throughput.py`` at 256 calls in
flight, that was 1.3 s of a 15 s audit, about 35 us of client CPU per call.

:func:`calling_phase` moves what exists before the calls into the collector's permanent
generation (:func:`gc.freeze`), so the old generation walks only what the calls create,
and lets the youngest generation fill to :data:`YOUNG_THRESHOLD` objects before it is
collected. Everything is put back as it was afterwards. Objects are still freed by
reference counting the moment they are unused; only cycles wait a little longer.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["YOUNG_THRESHOLD", "calling_phase"]

YOUNG_THRESHOLD = 20_000
"""Allocations (minus deallocations) of container objects between two collections of the
youngest generation while calls are in flight; Python's default is 700."""


@contextlib.contextmanager
def calling_phase() -> Iterator[None]:
    """Collect only what the calls allocate, and less often, until the block ends.

    Left alone when the collector is off or the program has frozen objects itself (a
    pre-forking server does): unfreezing would undo its freeze.
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], YOUNG_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
