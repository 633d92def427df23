"""Renaming every object of a design and listing every map in reverse order changes no
per-flow result: ties are followed, never broken by a name or an order."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import pytest

from emulation import designs
from emulation.conftest_helpers import describe, flows, run_mapping
from erplan.emulate.results import FlowResult

pytestmark = pytest.mark.emulation

KINDS = ("sites", "circuits", "breakouts", "devices", "services")


def renamed(d: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The design with every name changed (and every map reversed), and old -> new names."""
    names: dict[str, str] = {}
    for kind in KINDS:
        for i, old in enumerate(d.get(kind, {})):
            names[old] = f"zz{kind[:2]}{9 - i}-{old[::-1]}"

    def sub(value: Any) -> Any:
        if isinstance(value, str):
            return names.get(value, value)
        if isinstance(value, list):
            return [sub(v) for v in value]
        if isinstance(value, dict):
            return {sub(k): sub(v) for k, v in value.items()}
        return value

    out = copy.deepcopy(d)
    for kind in KINDS:
        if kind in out:
            out[kind] = {sub(k): sub(v) for k, v in reversed(list(out[kind].items()))}
    for key in ("wan",):
        if key in out:
            out[key] = [sub(w) for w in reversed(out[key])]
    return out, names


def _close(pa: float, pb: float, a: FlowResult, b: FlowResult) -> bool:
    """Two observed shares of the same thing: equal when certain (both 0 or both 1), else
    within the two-sample binomial tolerance."""
    p = (pa + pb) / 2
    tolerance = 3.5 * math.sqrt(p * (1 - p) * (1 / a.effective_n + 1 / b.effective_n))
    return abs(pa - pb) <= tolerance + 1e-9


@pytest.mark.parametrize("make", [designs.tie_working_broken, designs.pool_pulled_back])
def test_renaming_and_reordering_change_no_result(make: Callable[[], dict[str, Any]]) -> None:
    original = make()
    other, names = renamed(original)
    first, second = flows(run_mapping(original)), flows(run_mapping(other, seed=2))

    def mapped(key: str) -> str:
        return "/".join(names.get(part, part) for part in key.split("/"))

    def mapped_edges(f: FlowResult, back: bool) -> dict[str, float]:
        out: dict[str, float] = {}
        for e, share in f.edge_shares(back).items():
            if e is None:
                out["none"] = share
                continue
            kind, _, rest = e.partition(":")
            name, _, link = rest.partition("/")
            out[f"{kind}:{names.get(name, name)}" + (f"/{link}" if link else "")] = share
        return out

    def plain(f: FlowResult, back: bool) -> dict[str, float]:
        return {e or "none": s for e, s in f.edge_shares(back).items()}

    assert {mapped(k) for k in first} == set(second)
    for key, f in first.items():
        g = second[mapped(key)]
        assert f.verdict() == g.verdict(), (describe(f), describe(g))
        assert _close(f.share_failed, g.share_failed, f, g), (describe(f), describe(g))
        for back in (False, True):
            mine, theirs = mapped_edges(f, back), plain(g, back)
            for e in set(mine) | set(theirs):
                assert _close(mine.get(e, 0.0), theirs.get(e, 0.0), f, g), (
                    e,
                    describe(f),
                    describe(g),
                )
