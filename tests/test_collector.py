"""The collector during the calling phase: what existed is set aside and put back, cycles
made meanwhile are still collected, and a program's own freeze is left alone."""

from __future__ import annotations

import gc
import weakref

import pytest

from judgebias.engine.collector import YOUNG_THRESHOLD, calling_phase


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def restore_gc() -> object:
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()
    gc.enable()


def test_old_objects_set_aside_then_put_back() -> None:
    before = gc.get_threshold()
    old = cycle()  # garbage from before the phase: frozen, so not collected during it
    with calling_phase():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
        young = cycle()  # a cycle made by the calls: collected during the phase
        gc.collect()
        assert young() is None
        assert old() is not None
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old() is None  # back in the collector's care


def test_program_that_froze_objects_is_left_alone() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    before = gc.get_threshold()
    with calling_phase():
        assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen  # its freeze is not undone


def test_collector_turned_off_stays_off() -> None:
    gc.disable()
    with calling_phase():
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    assert not gc.isenabled()
