"""Security placement: the smallest designs on which reading the topology alone gives the wrong
answer, checked against the engine's traced paths (rules ERP730-ERP735, docs/security.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from erplan.analyses.rules import lint
from erplan.analyses.verdicts import Verdict, verify
from erplan.catalogs import Catalogs, load_catalogs
from erplan.diagnostics import Finding
from erplan.load import load_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return load_catalogs()


def _codes(findings: list[Finding], prefix: str = "ERP73") -> list[Finding]:
    return [f for f in findings if f.code.startswith(prefix)]


def test_replies_that_bypass_a_stateless_ids_are_uninspected(catalogs: Catalogs) -> None:
    """The IDS stands on the circuit the requests leave by, so the topology says "inspected";
    Microsoft returns half the replies over the other circuit (same prefix on both, ECMP). The
    flow still works (asymmetric, no state), but half its connections are not inspected on
    the way back."""
    text = (ROOT / "tests" / "data" / "security-return-bypass.yaml").read_text()
    report = verify(load_text(text, "d.yaml", catalogs), catalogs)
    er = [r for r in report.results if r.flow.express_route and r.flow.direction.value != "dns"]
    assert er and all(r.verdict is Verdict.ASYMMETRIC for r in er)
    assert {r.cause_key for r in er} == {"return-elsewhere"}
    hits = [f for f in report.findings if f.code == "ERP730"]
    assert len(hits) == 1
    data = hits[0].data
    assert data["direction"] == "outbound-microsoft" and data["edge"] == "ny-er"
    assert data["missing_out"] == [] and data["missing_back"] == ["ids"]
    assert data["share"] == pytest.approx(0.5)
    assert "500 of 1000 users" in hits[0].message
    assert hits[0].subject == "circuits.ny-er"


SOLUTION2 = (ROOT / "examples" / "g001-solution2-source-nat.yaml").read_text()


def _with(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_a_firewall_that_inspects_outbound_only_leaves_inbound_uninspected(
    catalogs: Catalogs,
) -> None:
    """Guide 001's Solution 2: the New York perimeter firewall stands on the ExpressRoute
    entry of the hybrid service. Its rules cover outbound connections only, so the inbound
    ones from Exchange Online cross a firewall that does not inspect them."""
    text = _with(
        SOLUTION2,
        "  ny-perimeter:\n    kind: firewall\n    site: new-york\n",
        "  ny-perimeter:\n    kind: firewall\n    site: new-york\n"
        "    inspects: [outbound-microsoft]\n",
    )
    text += "security:\n  internet: {outbound: [], inbound: []}\n"
    report = verify(load_text(text, "d.yaml", catalogs), catalogs)
    inbound = [r for r in report.results if r.flow.direction.value == "inbound"]
    assert inbound and all(r.verdict is Verdict.OK for r in inbound)
    hits = _codes(report.findings)
    assert [f.code for f in hits] == ["ERP730"]
    assert hits[0].data["direction"] == "inbound-microsoft"
    assert hits[0].data["edge"] == "ny-er"
    assert hits[0].data["missing_out"] == hits[0].data["missing_back"] == ["firewall"]
    assert "to service exchange-hybrid" in hits[0].message
    # Inspecting both directions (the default) satisfies the policy.
    plain = SOLUTION2 + "security:\n  internet: {outbound: [], inbound: []}\n"
    assert _codes(lint(load_text(plain, "d.yaml", catalogs), catalogs)) == []


def test_an_ips_the_policy_requires_for_inbound_is_missing(catalogs: Catalogs) -> None:
    text = SOLUTION2 + (
        "security:\n  expressroute: {outbound: [firewall], inbound: [firewall, ips]}\n"
        "  internet: {outbound: [], inbound: []}\n"
    )
    hits = _codes(lint(load_text(text, "d.yaml", catalogs), catalogs))
    assert [(f.code, f.data["direction"], f.data["missing_out"]) for f in hits] == [
        ("ERP730", "inbound-microsoft", ["ips"])
    ]


def test_no_policy_requires_nothing_and_examples_are_unchanged(catalogs: Catalogs) -> None:
    """A design without a `security` section states no policy: no path rule fires (the shipped
    examples, which state none, keep their findings)."""
    for path in EXAMPLES:
        design = load_text(path.read_text(), path.name, catalogs)
        if design.design.security is None:
            assert _codes(lint(design, catalogs), "ERP730") == [], path.name
            assert _codes(lint(design, catalogs), "ERP731") == [], path.name


IPVPN = """\
erplan: 1
tenant: {geography: US}
sites:
  hub: {location: New York, users: 100, prefixes: [10.1.0.0/16]}
  branch: {location: Chicago, users: 400, prefixes: [10.2.0.0/16]}
wan:
  - {between: [hub, branch], latency_ms: 20}
breakouts:
  hub-inet: {site: hub, nat: [20.2.4.1/32], advertises: [20.2.4.0/24], devices: [fw-hub]}
circuits:
  ny-er:
    peering_location: New York
    site: hub
    peer_asn: 65010
    connectivity: ipvpn
    ipvpn_sites: [branch]
    route_filter: [Exchange, SharePoint, Skype, Other Office 365]
    vlan: 100
    snat_pool: 20.2.2.0/29
    advertises: [20.2.2.0/29]
    devices: [fw-hub]
devices:
  fw-hub: {site: hub}
security: {}
"""


def test_ipvpn_branch_egress_and_addressing_duties(catalogs: Catalogs) -> None:
    """On an any-to-any IPVPN the branch hands its traffic to the provider at the branch: the
    hub's firewall is on the traced path (ERP730 is satisfied) but not on the real one, so
    ERP732 flags the branch. The provider meets the addressing duties: no request for a public
    ASN (ERP105) or for the peer subnets (ERP101)."""
    findings = lint(load_text(IPVPN, "d.yaml", catalogs), catalogs)
    codes = {f.code for f in findings}
    assert "ERP730" not in codes
    assert {"ERP105", "ERP101"}.isdisjoint(codes)
    hits = [f for f in findings if f.code == "ERP732"]
    assert len(hits) == 1 and "site branch (400 users)" in hits[0].message
    assert "fw-hub" in hits[0].message
    # The same circuit bought as point-to-point: the customer owns the ASN and the /30s.
    p2p = IPVPN.replace("connectivity: ipvpn", "connectivity: point-to-point").replace(
        "    ipvpn_sites: [branch]\n", ""
    )
    codes = {f.code for f in lint(load_text(p2p, "d.yaml", catalogs), catalogs)}
    assert {"ERP105", "ERP101"} <= codes and "ERP732" not in codes
