"""The network built from the design (engine/network.py), and the same network with elements
down as `erplan failures` derives it from the baseline's (``Network.with_down``): a failed
circuit link, breakout or device is down where the packets meet it, with its own cause, and the
baseline it was derived from stays as it was (docs/flow-semantics.md "The network"; DESIGN.md
"Failures")."""

from __future__ import annotations

from typing import Any

from _semantics import CATALOGS, edges, flow, load, one_site, owners, share, two_sites
from erplan.analyses.failed_state import failed_engine
from erplan.analyses.failures import Atom, Baseline, apply
from erplan.analyses.verdicts import FlowResult, rows


def _failed(base: Baseline, *failed: Atom) -> list[FlowResult]:
    """The rows of the baseline's design with ``failed`` down, on the network derived from the
    baseline's."""
    return rows(failed_engine(apply(base.design, failed), base))


def _base(data: dict[str, Any]) -> Baseline:
    return Baseline.build(load(data).design, CATALOGS)


# -- circuit links ---------------------------------------------------------------------------------
def test_a_link_the_design_does_not_list_goes_down_alone() -> None:
    """The primary link of us-er, which the design does not list, fails: Exchange leaves and
    comes back by the secondary link alone; then the secondary fails instead, derived from the
    same baseline: the primary carries it all (the first failure left the baseline as it was)."""
    base = _base(one_site())
    for down, up in (("primary", "secondary"), ("secondary", "primary")):
        r = flow(_failed(base, Atom("link", f"us-er/{down}")), "out/us/1")
        assert r.verdict.value == "ok"
        assert edges(r) == {(f"circuit:us-er/{up}", f"circuit:us-er/{up}", "ok"): 1.0}


# -- devices ---------------------------------------------------------------------------------------
def test_a_failed_link_firewall_blackholes_what_microsoft_returns_into_that_link() -> None:
    """fw1 stands on us-er's primary link and fails: requests leave by the secondary link, but
    Microsoft still returns half the replies into the primary, where they die at fw1 - the
    device is the cause, as in a design written with fw1 down."""
    d = one_site(links={"primary": {"devices": ["fw1"]}})
    d["devices"] = {"fw1": {"site": "us"}}
    base = _base(d)
    r = flow(_failed(base, Atom("device", "fw1")), "out/us/1")
    assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 0.5, "device-down")
    assert r.culprit == ("devices", "fw1", "up")
    assert "fw1 stands between us-er primary link and the site" in r.cause
    assert edges(r) == {
        ("circuit:us-er/secondary", "circuit:us-er/primary", "blackhole"): 0.5,
        ("circuit:us-er/secondary", "circuit:us-er/secondary", "ok"): 0.5,
    }
    assert flow(base.results, "out/us/1").verdict.value != "blackhole"


def test_a_failed_site_device_cuts_its_site_off_and_no_other() -> None:
    """docs/design-format.md sites.devices: "every flow of the site crosses them": with us's
    core device failed, us resolves nothing; eu, over the WAN, is untouched."""
    d = two_sites()
    d["sites"]["us"]["devices"] = ["core"]
    d["devices"] = {"core": {"site": "us"}}
    got = _failed(_base(d), Atom("device", "core"))
    for key in ("dns/us", "out/us/1", "out/us/8"):
        r = flow(got, key)
        assert (r.verdict.value, share(r)) == ("unreachable", 1.0), key
    assert flow(got, "out/eu/1").share_affected == 0.0


def test_a_failed_circuit_firewall_sends_the_site_to_the_other_circuit() -> None:
    """eu-er's firewall fails: eu's Exchange traffic takes us-er both ways (its pool is
    advertised there), as in the design written with the firewall down: slower, not broken."""
    d = two_sites()
    d["circuits"]["eu-er"]["devices"] = ["fw-eu"]
    d["devices"] = {"fw-eu": {"site": "eu"}}
    r = flow(_failed(_base(d), Atom("device", "fw-eu")), "out/eu/1")
    assert (r.verdict.value, r.share_affected) == ("suboptimal", 0.0)
    assert owners(r, "forward") == {"circuit:us-er": 1.0}
    assert owners(r, "back") == {"circuit:us-er": 1.0}
