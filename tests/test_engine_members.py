"""A report row keeps its outbound flows as the first flow and the endpoint sets of the others
(``Members``): read back, they are exactly the flows the engine grouped, in the same order."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest

from _semantics import CATALOGS, load, one_site
from erplan.engine import Direction, Engine, Flow
from erplan.engine.members import Members, has_udp_twin, udp_twin
from erplan.load import load_design, load_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import gen_design

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def _with_server(d: dict[str, Any]) -> dict[str, Any]:
    d["servers"] = {
        "hub": {"site": "us", "address": "10.1.5.5", "connects_to": ["Exchange", "Skype"]}
    }
    return d


def _check(engine: Engine) -> int:
    """Every group's members read back as its flows; the number of rows kept as ``Members``."""
    compact = 0
    for _, flows in engine.groups():
        kept = engine.members(flows)
        assert tuple(kept) == tuple(flows)
        assert list(kept) == flows  # read twice: made again the same
        assert len(kept) == len(flows)
        assert kept[0] is flows[0]  # the traced flow itself
        assert kept[-1] == flows[-1]
        assert [kept[i] for i in range(len(flows))] == flows  # each read by its index
        assert kept == tuple(flows) and hash(kept) == hash(tuple(flows))
        if isinstance(kept, Members):
            compact += 1
            assert flows[0].direction is Direction.OUTBOUND
    return compact


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_examples_rows_read_back_their_flows(path: Path) -> None:
    loaded = load_design(path, CATALOGS)
    _check(Engine(loaded.design, CATALOGS))


def test_a_generated_designs_rows_read_back_their_flows() -> None:
    loaded = load_text(gen_design.generate(60, 8, seed=7), "g.yaml", CATALOGS)
    assert _check(Engine(loaded.design, CATALOGS)) > 10


def test_a_servers_rows_are_made_again_as_the_servers() -> None:
    engine = Engine(load(_with_server(one_site())).design, CATALOGS)
    assert _check(engine) > 0
    rows = [engine.members(flows) for _, flows in engine.groups()]
    server: list[Flow] = [f for r in rows for f in r if f.kind == "server"]
    assert server and all(f.key.startswith("srv/hub/") for f in server)
    assert any(f.proto == "udp" and f.key.endswith("/udp") for r in rows for f in r)


def test_rows_kept_as_members_are_equal_only_with_the_same_first_flow_and_sets() -> None:
    """Two rows compare as their flows do: the same first flow and the same endpoint sets."""
    engine = Engine(load(one_site()).design, CATALOGS)
    kept = [engine.members(flows) for _, flows in engine.groups()]
    rows = [m for m in kept if isinstance(m, Members) and len(m.sets) > 1]
    assert len(rows) >= 2
    a, b = rows[0], rows[1]
    assert a.first != b.first
    again = engine.members(list(a))
    assert isinstance(again, Members) and again is not a
    assert again == a and a == again
    assert Members(lambda f, s: iter(a), b.first, a.sets, len(a)) != a
    assert Members(lambda f, s: iter(a), a.first, a.sets[:-1], len(a)) != a
    assert Members(lambda f, s: iter(a), a.first, a.sets, len(a)) == a


def test_a_udp_twin_goes_to_its_sets_first_udp_port() -> None:
    """A catalog (a downloaded one too) may list a set's UDP ports apart from its TCP ports
    (media relays): the twin of the set's TCP flow is that flow on the first UDP port."""
    engine = Engine(load(one_site()).design, CATALOGS)
    flow = next(
        f
        for _, flows in engine.groups()
        for f in flows
        if f.endpoint_set is not None and f.proto == "tcp" and f.direction is Direction.OUTBOUND
    )
    es = CATALOGS.endpoint_set(flow.endpoint_set or 0)
    assert es is not None
    media = dataclasses.replace(es, tcp_ports=(443,), udp_ports=(3478, 3479))
    assert has_udp_twin(media)
    twin = udp_twin(flow, media)
    assert (twin.key, twin.port, twin.proto) == (f"{flow.key}/udp", 3478, "udp")
    assert twin._replace(key=flow.key, port=flow.port, proto=flow.proto) == flow
    assert not has_udp_twin(dataclasses.replace(es, udp_ports=()))
