"""The shipped examples: each one loads, names the guide section it rebuilds, is listed in
examples/README.md, and keeps the figures its guide states.

The examples are what the golden tests and the demo run on, so a slip here (a pool that is not
advertised, a latency that no longer reproduces guide 001's table) would silently change what
those tests prove.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from erplan.model import Circuit, Design

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
README = EXAMPLES / "README.md"

# The scenarios of the two guides, one file each (guide 000 figures, guide 001 sections).
EXPECTED = {
    "g000-fig04-single-us-circuit.yaml",
    "g000-fig04-fix1-route-scope.yaml",
    "g000-fig05-fix2-us-resolver.yaml",
    "g000-fig05-fix2-us-proxy.yaml",
    "g000-fig06-fix3-eu-circuit.yaml",
    "g000-fig10-snat.yaml",
    "g000-fig13-dnat.yaml",
    "g000-fig13-as-written.yaml",
    "g000-fig15-active-passive.yaml",
    "g000-fig16-shared-pool.yaml",
    "g000-fig17-per-circuit-pools.yaml",
    "g000-fig19-inbound-snat.yaml",
    "g000-fig20-full-solution.yaml",
    "g001-problem1-inbound-internet-no-snat.yaml",
    "g001-solution1a-source-nat.yaml",
    "g001-solution1b-route-scoping.yaml",
    "g001-problem2-inbound-er-no-snat.yaml",
    "g001-solution2-source-nat.yaml",
    "g001-meet-me-table.yaml",
    "g001-exchange-hybrid.yaml",
    "g001-sharepoint-outbound.yaml",
    "g001-regional-california-hongkong-bangladesh.yaml",
    # Flows a real design carries besides users' (servers, inbound mail, other services,
    # per-link configuration, proxy-only sites, internet NAT on the Microsoft peering).
    "g001-servers-outbound.yaml",
    "g001-inbound-mail-over-expressroute.yaml",
    "g001-inbound-mail-over-internet.yaml",
    "g001-other-microsoft-services.yaml",
    "g000-per-link-state.yaml",
    "g000-per-link-pools.yaml",
    "g000-proxy-only-pac.yaml",
    "g000-proxy-only-direct.yaml",
    "g000-internet-nat-over-expressroute.yaml",
    # Security placement (guide 001 'Applying security controls'): one example per row of its
    # integration-option table (the Contoso example is the point-to-point row).
    "g001-contoso-securing-expressroute.yaml",
    "g001-security-colocation.yaml",
    "g001-security-ipvpn-hairpin.yaml",
    # Dynamics 365 (CRM Online) and the cold potato of guide 000 §7.3.1.
    "g000-s731-dynamics-cold-potato.yaml",
    "g000-s731-region-preference-m365.yaml",
}

# Examples of what the guides show going wrong, or of a deliberate non-recommended setup: the
# strict addressing checks below do not apply to them.
FLAWED = {
    "g000-fig13-as-written.yaml",  # three addresses for one server
    "g000-fig15-active-passive.yaml",  # one pool on both circuits, steered by prepending
    "g000-fig16-shared-pool.yaml",  # one pool on both circuits: the asymmetry of Figure 16
    "g000-internet-nat-over-expressroute.yaml",  # the internet NAT advertised to Microsoft
}

FILES = sorted(EXAMPLES.glob("*.yaml"))
IDS = [p.name for p in FILES]

_SOURCE = re.compile(r"^Source: guide (000|001) .*(§\d|Figure \d|section|table|Problem|Solution)")
_GUIDE = re.compile(r"^# Guide\b[^:]*:")
_VERDICT = re.compile(r"^# Verdict\b[^:]*:")


def _raw(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _design(name: str) -> Design:
    return Design.model_validate(_raw(EXAMPLES / name))


def _header(path: Path) -> list[str]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines


def _optional(module: str, attr: str) -> Callable[..., Any] | None:
    try:
        value = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None
    return value if callable(value) else None


# -- every file ----------------------------------------------------------------------------------


def test_every_scenario_has_its_file() -> None:
    assert {p.name for p in FILES} == EXPECTED


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_validates_with_the_model(path: Path) -> None:
    data = _raw(path)
    assert data["erplan"] == 1
    Design.model_validate(data)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_loads_with_the_loader(path: Path) -> None:
    load_design = _optional("erplan.load", "load_design")
    if load_design is None:
        pytest.skip("erplan.load.load_design is not available")
    load_catalogs = _optional("erplan.catalogs", "load_catalogs")
    catalogs = load_catalogs() if load_catalogs is not None else None
    loaded = load_design(path, catalogs)  # raises InputError on any problem
    assert loaded.design == Design.model_validate(_raw(path))


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_header_names_guide_section_and_verdict(path: Path) -> None:
    header = _header(path)
    assert header and header[0].startswith("# Source: "), f"{path.name}: no Source line first"
    guide_at = next((i for i, line in enumerate(header) if _GUIDE.match(line)), None)
    assert guide_at is not None, f"{path.name}: no quoted guide text"
    source = " ".join(line.lstrip("# ").strip() for line in header[:guide_at])
    assert _SOURCE.match(source), f"{path.name}: Source must name the guide and its section"
    assert f"guide {path.name[1:4]} " in source, f"{path.name}: Source names another guide"
    verdict_at = next((i for i, line in enumerate(header) if _VERDICT.match(line)), None)
    assert verdict_at is not None and verdict_at > guide_at, f"{path.name}: no expected verdict"
    quoted = "\n".join(header[guide_at:verdict_at])
    assert re.search(r'"[^"]{20,}"', quoted), f"{path.name}: the guide's words are not quoted"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_listed_in_readme(path: Path) -> None:
    assert f"[{path.name}]({path.name})" in README.read_text(encoding="utf-8")


# -- addressing a strict linter expects of the designs the guides call correct --------------------


def _public(net: IPv4Network) -> bool:
    return net.is_global


def _circuits(design: Design) -> dict[str, Circuit]:
    return dict(design.circuits)


@pytest.mark.parametrize("path", [p for p in FILES if p.name not in FLAWED], ids=lambda p: p.name)
def test_correct_examples_are_well_addressed(path: Path) -> None:
    d = _design(path.name)
    internet_nat = [n for b in d.breakouts.values() for n in b.nat]
    internet_ads = [n for b in d.breakouts.values() for n in b.advertises]
    pools: list[IPv4Network] = []
    for name, c in _circuits(d).items():
        assert c.primary_subnet is not None and c.primary_subnet.prefixlen == 30, name
        assert c.secondary_subnet is not None and c.secondary_subnet.prefixlen == 30, name
        assert not c.primary_subnet.overlaps(c.secondary_subnet), name
        assert _public(c.primary_subnet) and _public(c.secondary_subnet), name
        assert c.vlan is not None, name
        assert not (64512 <= c.peer_asn <= 65534 or c.peer_asn >= 4200000000), "private ASN"
        assert not (64496 <= c.peer_asn <= 64511), "documentation ASN"
        assert c.route_filter, name
        circuit_pools = [
            (p, [*c.advertises, *link.advertises])
            for link in c.links.values()
            for p in [link.snat_pool]
            if p is not None
        ] or [(c.snat_pool, list(c.advertises))]
        for pool, on in circuit_pools:
            assert pool is not None and _public(pool), name
            assert any(pool.subnet_of(a) for a in on), f"{name}: pool {pool} not advertised"
            assert not any(pool.overlaps(n) for n in internet_nat), "internet NAT reused"
            assert not any(pool.overlaps(p) for p in pools), "pool shared"
            pools.append(pool)
        for ad in [*c.advertises, *(a for link in c.links.values() for a in link.advertises)]:
            assert _public(ad), f"{name}: {ad} is not public"
            for iad in internet_ads:
                if ad.overlaps(iad):  # guide 000 §6.4: more specific over ExpressRoute
                    assert ad.prefixlen > iad.prefixlen, f"{name}: {ad} vs internet {iad}"
    for nat in internet_nat:
        assert any(nat.subnet_of(a) for a in internet_ads), f"internet NAT {nat} not advertised"
    for s in d.services.values():
        assert s.dns_record == s.public_address
        for entry, pool in s.inbound_snat.items():
            assert entry in s.entry
            assert pool.is_private


def test_peering_locations_are_real_names() -> None:
    source = Path(__file__).resolve().parents[1] / "src/erplan/catalogs/data/peering_locations.csv"
    names = {line.split(",")[0] for line in source.read_text(encoding="utf-8").splitlines()[1:]}
    for path in FILES:
        for name, c in _design(path.name).circuits.items():
            assert c.peering_location in names, f"{path.name}: {name}"


# -- the figures each guide states ----------------------------------------------------------------


def test_fig04_family_differs_from_fig04_only_by_its_fix() -> None:
    base = _design("g000-fig04-single-us-circuit.yaml")
    assert base.sites["eu"].er_routes and len(base.circuits) == 1
    fix1 = _design("g000-fig04-fix1-route-scope.yaml")
    assert fix1.sites["eu"].er_routes is False
    assert fix1.model_copy(update={"name": None, "description": None, "sites": base.sites}) == (
        base.model_copy(update={"name": None, "description": None})
    )
    resolver = _design("g000-fig05-fix2-us-resolver.yaml")
    assert resolver.site_resolver_egress("eu") == "us-inet"
    assert resolver.site_breakout("eu") == "eu-inet"
    proxy = _design("g000-fig05-fix2-us-proxy.yaml")
    assert proxy.sites["eu"].proxy.mode == "all" and proxy.sites["eu"].proxy.site == "us"


def test_fig10_and_fig17_pools() -> None:
    fig10 = _design("g000-fig10-snat.yaml")
    assert fig10.sites["hq"].prefixes == [IPv4Network("10.0.0.0/8")]
    assert [c.snat_pool for c in fig10.circuits.values()] == [IPv4Network("20.2.2.0/29")]
    fig17 = _design("g000-fig17-per-circuit-pools.yaml")
    assert fig17.circuits["us-er"].advertises == [IPv4Network("20.2.2.0/29")]
    assert fig17.circuits["eu-er"].advertises == [IPv4Network("20.2.2.8/29")]
    fig16 = _design("g000-fig16-shared-pool.yaml")
    assert {c.snat_pool for c in fig16.circuits.values()} == {IPv4Network("20.2.2.0/29")}
    assert all(c.devices and not c.prepend for c in fig16.circuits.values())


def test_fig13_corrected_and_as_written() -> None:
    good = _design("g000-fig13-dnat.yaml").services["exchange-hybrid"]
    assert good.dns_record == good.public_address == IPv4Address("20.2.2.59")
    assert good.internal_address == IPv4Address("172.16.1.63")
    good_er = _design("g000-fig13-dnat.yaml").circuits["hq-er"].advertises
    assert set(good_er) == {IPv4Network("20.2.2.0/29"), IPv4Network("20.2.2.59/32")}

    bad_design = _design("g000-fig13-as-written.yaml")
    bad = bad_design.services["exchange-hybrid"]
    assert bad.dns_record == IPv4Address("20.2.2.29")  # §6.2 reserved address
    assert bad.public_address == IPv4Address("20.2.2.59")  # §6.2 DNAT rule
    assert IPv4Network("20.2.2.63/32") in bad_design.circuits["hq-er"].advertises  # §6.4
    for d in (bad_design, _design("g000-fig13-dnat.yaml")):
        assert IPv4Network("20.2.2.56/29") in d.breakouts["hq-inet"].advertises  # §6.4


def test_fig15_is_active_passive() -> None:
    d = _design("g000-fig15-active-passive.yaml")
    us, eu = d.circuits["us-er"], d.circuits["eu-er"]
    assert us.local_preference > eu.local_preference
    assert eu.prepend and not us.prepend


def test_fig19_and_fig20_prepend_the_far_circuit() -> None:
    for name in ("g000-fig19-inbound-snat.yaml", "g000-fig20-full-solution.yaml"):
        d = _design(name)
        svc = d.services["exchange-hybrid"]
        host = IPv4Network(f"{svc.public_address}/32")
        assert d.circuits[svc.entry[0]].site == svc.site
        assert host in d.circuits["eu-er"].prepend and not d.circuits["us-er"].prepend
        assert set(svc.inbound_snat) == {"us-er", "eu-er"}
        a, b = svc.inbound_snat.values()
        assert not a.overlaps(b)
    assert (
        _design("g000-fig19-inbound-snat.yaml").services["exchange-hybrid"].internal_address is None
    )
    fig20 = _design("g000-fig20-full-solution.yaml").services["exchange-hybrid"]
    assert fig20.internal_address == IPv4Address("172.16.1.63")
    assert all(p.subnet_of(IPv4Network("10.0.0.0/8")) for p in fig20.inbound_snat.values())


def test_guide001_problems_and_solutions() -> None:
    p1 = _design("g001-problem1-inbound-internet-no-snat.yaml")
    assert p1.services["exchange-hybrid"].inbound_snat == {}
    assert p1.sites["new-jersey"].er_routes
    s1a = _design("g001-solution1a-source-nat.yaml").services["exchange-hybrid"]
    assert s1a.inbound_snat == {"nj-inet": IPv4Network("192.168.5.5/32")}
    assert _design("g001-solution1b-route-scoping.yaml").sites["new-jersey"].er_routes is False

    p2 = _design("g001-problem2-inbound-er-no-snat.yaml")
    svc = p2.services["exchange-hybrid"]
    assert svc.entry == ["ny-er", "nj-inet"] and svc.inbound_snat == {}
    # The reply must really leave by another path: the server's site has its own circuit.
    assert p2.circuits["ny-er"].site != svc.site
    assert any(c.site == svc.site for c in p2.circuits.values())
    s2 = _design("g001-solution2-source-nat.yaml").services["exchange-hybrid"]
    assert set(s2.inbound_snat) == {"ny-er"}


def test_meet_me_table_figures() -> None:
    d = _design("g001-meet-me-table.yaml")
    table = {  # location: (people, internet ms, ExpressRoute ms, meet-me)
        "los-angeles": (10000, 15, 10, "Silicon Valley"),
        "washington-dc": (15000, 20, 10, "New York"),
        "dallas": (5000, 15, 40, "New York"),
    }
    wan = {frozenset(w.between): w.latency_ms for w in d.wan}
    for site, (people, inet, er, meet_me) in table.items():
        assert d.sites[site].users == people
        assert d.sites[site].internet_latency_ms == inet
        (circuit,) = [c for c in d.circuits.values() if c.peering_location == meet_me]
        hop = 0.0 if circuit.site == site else wan[frozenset((site, circuit.site))]
        assert circuit.access_latency_ms is not None
        assert hop + circuit.access_latency_ms == er
    # No shortcut that would give Dallas a faster ExpressRoute path than the table's 40 ms.
    assert frozenset(("dallas", "los-angeles")) not in wan


def test_contoso_tables() -> None:
    hybrid = _design("g001-exchange-hybrid.yaml")
    svc = hybrid.services["exchange-hybrid"]
    assert svc.fqdn == "autodiscover.contoso.com"
    assert svc.public_address == IPv4Address("5.5.5.5")
    assert svc.used_by_internet_users and not svc.used_by_other_microsoft_services
    assert IPv4Network("5.5.0.0/16") in hybrid.breakouts["chicago-inet"].advertises
    for name in ("chicago-er", "dallas-er"):
        assert IPv4Network("5.5.5.0/24") in hybrid.circuits[name].advertises
    assert svc.inbound_snat["chicago-inet"] == IPv4Network("192.168.5.5/32")
    assert svc.inbound_snat["chicago-er"].network_address == IPv4Address("192.168.1.0")
    assert svc.inbound_snat["dallas-er"].network_address == IPv4Address("192.168.2.0")
    assert set(hybrid.devices) >= {"DeviceID_002"}

    sp = _design("g001-sharepoint-outbound.yaml")
    assert sp.breakouts["chicago-inet"].nat == [IPv4Network("1.1.1.0/24")]
    assert sp.circuits["chicago-er"].snat_pool == IPv4Network("1.1.2.0/24")
    assert sp.circuits["dallas-er"].snat_pool == IPv4Network("1.1.3.0/24")
    assert all(s.proxy.mode == "pac" for s in sp.sites.values())
    lp = {c.local_preference for c in sp.circuits.values()}
    assert len(lp) == 1  # active/active: hot potato decides, not preference


def test_regional_bangladesh_has_no_circuit() -> None:
    d = _design("g001-regional-california-hongkong-bangladesh.yaml")
    assert d.sites["bangladesh"].users == 10
    assert not any(c.site == "bangladesh" for c in d.circuits.values())
    assert d.sites["bangladesh"].er_routes is False
    assert {c.peering_location for c in d.circuits.values()} == {"Silicon Valley", "Hong Kong"}
