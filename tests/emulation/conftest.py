"""Fixtures of the emulation tests: run only where possible, leave nothing behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulation.conftest_helpers import require_emulation
from erplan.emulate.host import leftover_namespaces, remove_run
from erplan.emulate.netns import CREATED_PREFIXES


@pytest.fixture(autouse=True)
def emulation_possible(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("emulation") is not None:
        require_emulation()


@pytest.fixture(autouse=True)
def no_leftovers() -> Iterator[None]:
    """Every namespace and process a test starts is gone afterwards, even when it fails.
    Only this process's runs count: another run on the machine is not ours to judge."""
    before = set(CREATED_PREFIXES)
    yield
    mine = CREATED_PREFIXES - before
    left = leftover_namespaces(mine) if mine else []
    for prefix in mine:
        remove_run(prefix)
    assert not left, f"namespaces left behind: {left}"
