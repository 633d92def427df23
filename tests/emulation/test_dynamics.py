"""Guide 000 §7.3.1 built for real: a customer edge's per-region local preference (an FRR
route-map matching the regional community Microsoft tags Dynamics 365 prefixes with) pulls
those flows to the circuit of their region, while Microsoft 365 prefixes, which carry no
regional community, keep leaving by the nearer circuit."""

from __future__ import annotations

import pytest

from emulation.conftest_helpers import EXAMPLES, describe, edges, flows, run_file

pytestmark = pytest.mark.emulation


def _owners(found: set[str]) -> set[str]:
    return {e.split("/", 1)[0] for e in found}


def test_the_preference_acts_on_dynamics_routes_only() -> None:
    got = flows(run_file(EXAMPLES / "g000-s731-region-preference-m365.yaml"))
    dynamics = got["out/us/10006"]
    exchange = got["out/us/1"]
    for f in (dynamics, exchange):
        assert f.completed == f.attempted > 0, describe(f)
    assert _owners(edges(dynamics)) == {"circuit:eu-er"}, describe(dynamics)
    assert _owners(edges(dynamics, back=True)) == {"circuit:eu-er"}, describe(dynamics)
    assert _owners(edges(exchange)) == {"circuit:us-er"}, describe(exchange)


def test_each_environment_is_reached_by_the_circuit_of_its_region() -> None:
    got = flows(run_file(EXAMPLES / "g000-s731-dynamics-cold-potato.yaml"))
    for site in ("us", "eu"):
        for set_id, circuit in ((10001, "circuit:us-er"), (10006, "circuit:eu-er")):
            f = got[f"out/{site}/{set_id}"]
            assert f.completed == f.attempted > 0, describe(f)
            assert _owners(edges(f)) == {circuit}, describe(f)
            assert _owners(edges(f, back=True)) == {circuit}, describe(f)
        exchange = got[f"out/{site}/1"]
        assert _owners(edges(exchange)) == {f"circuit:{site}-er"}, describe(exchange)
