"""Customer-edge configuration of every shipped example, checked by the tools that consume it:
FRR's own parser (`vtysh --dryrun -f`), nftables (`nft -c -f`), ciscoconfparse2 (IOS-XE) and
junoscfg's schema-checked conversion (Junos). The four dialects must carry the same prefixes
per link, the same communities, prepends and translations, and those must be the design's
(``erplan.facts``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from ipaddress import IPv4Address, IPv4Network, summarize_address_range
from pathlib import Path

import pytest
from ciscoconfparse2 import CiscoConfParse

from _generated import CATALOGS, examples, files, loaded, refused
from erplan import facts, facts_edges
from erplan.generators.edge import circuit_edge

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "generate"
EXAMPLES = examples()
VTYSH = shutil.which("vtysh")
NFT = shutil.which("nft")
ROUTER_KINDS = ("frr", "nft", "ios-xe", "junos", "az", "terraform")


def _write(tmp: Path, arts: dict[str, object]) -> list[Path]:
    out = []
    for rel, art in arts.items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(art.content, encoding="utf-8")  # type: ignore[attr-defined]
        out.append(p)
    return out


def vtysh_dryrun(path: Path) -> subprocess.CompletedProcess[str]:
    assert VTYSH is not None
    return subprocess.run(
        [VTYSH, "--dryrun", "-f", str(path)], capture_output=True, text=True, timeout=60
    )


def nft_check(path: Path) -> subprocess.CompletedProcess[str]:
    assert NFT is not None
    return subprocess.run([NFT, "-c", "-f", str(path)], capture_output=True, text=True, timeout=60)


def vtysh_accepts(r: subprocess.CompletedProcess[str]) -> bool:
    """vtysh --dryrun may exit 0 and still print `% Unknown command`: both must be clean."""
    return r.returncode == 0 and not (r.stdout + r.stderr).strip()


needs_vtysh = pytest.mark.skipif(VTYSH is None, reason="FRR's vtysh is not installed")
needs_nft = pytest.mark.skipif(
    NFT is None or os.geteuid() != 0, reason="nft -c needs nftables and root (CAP_NET_ADMIN)"
)


@needs_vtysh
@pytest.mark.parametrize("example", EXAMPLES)
def test_frr_is_accepted_by_vtysh(example: str, tmp_path: Path) -> None:
    paths = _write(tmp_path, files(example, "frr"))
    assert paths
    for p in paths:
        r = vtysh_dryrun(p)
        assert vtysh_accepts(r), (p.name, r.stdout, r.stderr)


@needs_vtysh
def test_vtysh_rejects_a_broken_frr_file(tmp_path: Path) -> None:
    """The check can fail: one misspelt command and FRR refuses the file."""
    art = next(iter(files("g001-sharepoint-outbound", "frr").values()))
    text = str(art.content).replace("route-map ER-IN permit 10", "route-map ER-IN permet 10")
    p = tmp_path / "broken.conf"
    p.write_text(text)
    assert not vtysh_accepts(vtysh_dryrun(p))


@needs_nft
@pytest.mark.parametrize("example", EXAMPLES)
def test_nft_is_accepted_by_nft(example: str, tmp_path: Path) -> None:
    for p in _write(tmp_path, files(example, "nft")):
        r = nft_check(p)
        assert r.returncode == 0, (p.name, r.stderr)


@needs_nft
def test_nft_rejects_a_broken_ruleset(tmp_path: Path) -> None:
    art = next(iter(files("g001-exchange-hybrid", "nft").values()))
    p = tmp_path / "broken.nft"
    p.write_text(str(art.content).replace("dnat ip to", "dnat ip too"))
    assert nft_check(p).returncode != 0


# -- the dialects agree with each other and with the design -------------------------------------

Facts = dict[str, object]


def _frr_like(text: str) -> Facts:
    """Prefix lists, communities, prepends, local preference: FRR and IOS-XE read alike."""
    conf = CiscoConfParse(text.splitlines(), syntax="ios")
    lists: dict[str, list[str]] = {}
    for o in conf.find_objects(r"^ip prefix-list "):
        m = re.match(r"ip prefix-list (\S+) seq \d+ permit (\S+)", o.text)
        if m:
            lists.setdefault(m[1], []).append(m[2])
    communities = sorted(
        re.findall(r"permit (\d+:\d+)$", o.text)[0]
        for o in conf.find_objects(r"community-list standard ER-SERVICES")
    )
    prepends = []
    local_pref = None
    for o in conf.find_objects(r"^route-map "):
        for c in o.children:
            if m := re.match(r"\s*set as-path prepend (.+)", c.text):
                prepends.append((o.text.split()[1], len(m[1].split())))
            if m := re.match(r"\s*set local-preference (\d+)", c.text):
                local_pref = int(m[1])
    return {
        "advertise": {k: v for k, v in lists.items() if "ADVERTISE" in k},
        "communities": communities,
        "prepends": sorted(prepends),
        "local_preference": local_pref,
    }


def _junos(text: str) -> tuple[Facts, Facts]:
    import junoscfg

    set_form = junoscfg.convert_config(
        text, from_format=junoscfg.Format.STRUCTURED, to_format=junoscfg.Format.SET, strict=True
    )
    lists: dict[str, list[str]] = {}
    communities = []
    prepends = []
    local_pref = None
    pools: dict[str, str] = {}
    dnat_pool_addr: dict[str, str] = {}
    dnat: list[tuple[str, str]] = []
    dnat_match: dict[str, str] = {}
    for line in set_form.splitlines():
        if m := re.match(r"set policy-options prefix-list (ER-ADVERTISE-\S+) (\S+)", line):
            lists.setdefault(m[1], []).append(m[2])
        elif m := re.match(r"set policy-options community ER-SVC-\S+ members (\S+)", line):
            communities.append(m[1])
        elif m := re.match(r'.*policy-statement (\S+) .*as-path-prepend "(.+)"', line):
            prepends.append((m[1], len(m[2].split())))
        elif m := re.match(r".*policy-statement ER-IN .*local-preference (\d+)", line):
            local_pref = int(m[1])
        elif m := re.match(r"set security nat source pool (\S+) address (\S+)", line):
            pools[m[1]] = m[2]
        elif m := re.match(r"set security nat destination pool (\S+) address (\S+)/32", line):
            dnat_pool_addr[m[1]] = m[2]
        elif m := re.match(
            r".*destination rule-set \S+ rule (\S+) match destination-address (\S+)/32", line
        ):
            dnat_match[m[1]] = m[2]
        elif m := re.match(
            r".*destination rule-set \S+ rule (\S+) then destination-nat pool (\S+)", line
        ):
            dnat.append((dnat_match[m[1]], dnat_pool_addr[m[2]]))
    routing = {
        "advertise": lists,
        "communities": sorted(communities),
        "prepends": sorted(prepends),
        "local_preference": local_pref,
    }
    nat = {
        "snat": sorted(v for k, v in pools.items() if not k.startswith("ER-IN-")),
        "inbound": sorted(v for k, v in pools.items() if k.startswith("ER-IN-")),
        "dnat": sorted(dnat),
    }
    return routing, nat


def _range(first: str, last: str) -> str:
    (net,) = summarize_address_range(IPv4Address(first), IPv4Address(last))
    return str(net)


def _nft_nat(texts: list[str]) -> Facts:
    snat, inbound, dnat = [], [], []
    for text in texts:
        for line in text.splitlines():
            pool = re.search(r"snat ip to (\S+?)(?:-(\S+))?$", line)
            if pool:
                net = _range(pool[1], pool[2] or pool[1])
                (inbound if line.strip().startswith("iifname") else snat).append(net)
            if m := re.search(r"ip daddr (\S+) .*dnat ip to (\S+)$", line):
                dnat.append((m[1], m[2]))
    return {"snat": sorted(snat), "inbound": sorted(inbound), "dnat": sorted(dnat)}


def _iosxe_nat(text: str) -> Facts:
    conf = CiscoConfParse(text.splitlines(), syntax="ios")
    snat, inbound, dnat = [], [], []
    for o in conf.find_objects(r"^ip nat pool "):
        _, _, _, name, first, last, *_ = o.text.split()
        (inbound if name.startswith("ER-IN-") else snat).append(_range(first, last))
    for o in conf.find_objects(r"^ip nat inside source static tcp"):
        words = o.text.split()
        dnat.append((words[8], words[6]))
    return {"snat": sorted(snat), "inbound": sorted(inbound), "dnat": sorted(set(dnat))}


def _design_facts(example: str, circuit: str) -> tuple[Facts, Facts]:
    design = loaded(example).design
    edge = circuit_edge(design, CATALOGS, circuit)
    routing = {
        "advertise": {
            f"ER-ADVERTISE-{link.value.upper()}": [
                str(p) for p in facts.link_advertisements(design, circuit, link)
            ]
            for link in facts.LINKS
            if facts.link_advertisements(design, circuit, link)
        },
        "communities": sorted(facts.circuit_communities(design, CATALOGS, circuit)),
        "prepends": sorted(
            (f"ER-OUT-{s.link.value.upper()}", n) for s in edge.sessions for _, n in s.prepends
        ),
        "local_preference": design.circuits[circuit].local_preference,
    }
    nat = {"snat": [], "inbound": [], "dnat": []}
    for t in facts_edges.translations(design):
        if t.point.edge.kind is facts_edges.EdgeKind.BREAKOUT or t.point.edge.name != circuit:
            continue
        if t.kind is facts_edges.TranslationKind.SNAT:
            nat["snat"].append(str(t.prefix))
        elif t.kind is facts_edges.TranslationKind.INBOUND_SNAT:
            nat["inbound"].append(str(t.prefix))
        else:
            nat["dnat"].append((str(t.prefix.network_address), str(t.target)))
    return routing, {k: sorted(v) for k, v in nat.items()}


@pytest.mark.parametrize("example", EXAMPLES)
def test_dialects_carry_the_designs_prefixes_communities_and_nat(example: str) -> None:
    design = loaded(example).design
    frr, nft = files(example, "frr"), files(example, "nft")
    nat_device = any(
        d.kind.value == "nat" for d in design.devices.values()
    )  # IOS-XE and Junos refuse a design whose translations a NAT device performs
    ios = {} if nat_device else files(example, "ios-xe")
    junos = {} if nat_device else files(example, "junos")
    for circuit in design.circuits:
        stem = next(a.path for a in frr.values() if f"edge of circuit {circuit}" in str(a.content))
        name = Path(stem).stem
        want_routing, want_nat = _design_facts(example, circuit)
        got_frr = _frr_like(str(frr[f"frr/{name}.conf"].content))
        assert got_frr == want_routing, circuit
        rulesets = [str(a.content) for p, a in nft.items() if Path(p).name.startswith(f"{name}.")]
        assert _nft_nat(rulesets) == want_nat, circuit
        if nat_device:
            continue
        got_ios = _frr_like(str(ios[f"ios-xe/{name}.cfg"].content))
        got_junos, junos_nat = _junos(str(junos[f"junos/{name}.conf"].content))
        assert got_ios == want_routing, circuit
        assert got_junos == want_routing, circuit
        assert _iosxe_nat(str(ios[f"ios-xe/{name}.cfg"].content)) == want_nat, circuit
        assert junos_nat == want_nat, circuit


def test_the_comparison_sees_a_missing_prefix() -> None:
    """Break the IOS-XE text on purpose: the comparison with the design must fail."""
    ios = files("g000-fig19-inbound-snat", "ios-xe")["ios-xe/eu-er.cfg"]
    text = str(ios.content).replace("seq 10 permit 20.2.2.59/32", "seq 10 permit 20.2.2.58/32")
    want, _ = _design_facts("g000-fig19-inbound-snat", "eu-er")
    assert _frr_like(text) != want


def test_prepends_reach_only_the_prefix_they_are_for() -> None:
    """Guide 000 §7.4.1: the far (EU) circuit prepends the server's /32 three times."""
    text = str(files("g000-fig19-inbound-snat", "frr")["frr/eu-er.conf"].content)
    assert "ip prefix-list ER-PREPEND-PRIMARY-1 seq 5 permit 20.2.2.59/32" in text
    assert text.count("set as-path prepend 394500 394500 394500") == 2
    us = str(files("g000-fig19-inbound-snat", "frr")["frr/us-er.conf"].content)
    assert "as-path prepend" not in us


def test_a_dmz_host_route_hangs_on_its_sites_route() -> None:
    """Figure 19's server 20.2.2.59 lives in the US site's 20.2.2.56/29: a /32 discard would
    beat that inside route and swallow Microsoft's connections, so every dialect anchors it on
    the covering prefix's address; the pools keep their discard."""
    ex = "g000-fig19-inbound-snat"
    frr = str(files(ex, "frr")["frr/us-er.conf"].content)
    assert "ip route 20.2.2.59/32 20.2.2.56 254" in frr
    assert "ip route 20.2.2.0/29 blackhole 254" in frr
    assert "ip route 10.255.1.0/28 blackhole 254" in frr
    assert "20.2.2.59/32 blackhole" not in frr
    ios = str(files(ex, "ios-xe")["ios-xe/us-er.cfg"].content)
    assert "ip route 20.2.2.59 255.255.255.255 20.2.2.56 254" in ios
    assert "ip route 20.2.2.0 255.255.255.248 Null0 254" in ios
    junos = str(files(ex, "junos")["junos/us-er.conf"].content)
    block = junos[junos.index("route 20.2.2.59/32 {") :].split("}", 1)[0]
    assert "next-hop 20.2.2.56;" in block and "resolve;" in block and "discard" not in block


def test_frr_retries_each_microsoft_session_quickly() -> None:
    """Every session to a Microsoft edge retries every 5 s, not FRR's default 120 s."""
    for example in EXAMPLES:
        if refused(example, "frr"):
            continue
        design = loaded(example).design
        for edge in (circuit_edge(design, CATALOGS, c) for c in design.circuits):
            text = str(files(example, "frr")[f"frr/{edge.ident}.conf"].content)
            for s in edge.sessions:
                assert f" neighbor {s.peer} timers connect 5\n" in text, (example, s.peer)


def test_per_link_pools_translate_on_their_own_link() -> None:
    """A pool per link (guide 000 §7.3 applied per link): each link's pool on its own
    interface, each advertised on its own session only."""
    text = str(files("g000-per-link-pools", "nft")["nftables/hq-er.nft"].content)
    assert 'oifname "eth1.100" ip saddr != { 20.2.1.0/30, 20.2.1.4/30 } snat ip to ' in text
    assert "snat ip to 20.2.2.0-20.2.2.7" in text and "snat ip to 20.2.2.8-20.2.2.15" in text
    frr = str(files("g000-per-link-pools", "frr")["frr/hq-er.conf"].content)
    assert "ip prefix-list ER-ADVERTISE-PRIMARY seq 5 permit 20.2.2.0/29" in frr
    assert "ip prefix-list ER-ADVERTISE-SECONDARY seq 5 permit 20.2.2.8/29" in frr


def test_a_nat_device_gets_its_own_ruleset_and_the_router_none() -> None:
    """Figure 10: the NAT device hq-edge translates; the edge router keeps no state."""
    arts = files("g000-fig10-snat", "nft")
    assert list(arts) == ["nftables/hq-er.hq-edge.nft"]
    assert "snat ip to 20.2.2.0-20.2.2.7" in str(arts["nftables/hq-er.hq-edge.nft"].content)


# -- golden files -------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_golden_router_and_azure_files(example: str) -> None:
    """tests/golden/generate/<example>/: a `.actual` is written beside a mismatch."""
    folder = GOLDEN / example
    got: dict[str, str] = {}
    for kind in ROUTER_KINDS:
        if refused(example, kind):  # IOS-XE and Junos refuse NAT devices (tested in the CLI)
            continue
        got.update({p: str(a.content) for p, a in files(example, kind).items()})
    wrong = []
    for rel, text in got.items():
        golden = folder / rel
        actual = golden.with_name(golden.name + ".actual")
        if golden.is_file() and golden.read_text(encoding="utf-8") == text:
            actual.unlink(missing_ok=True)
            continue
        actual.parent.mkdir(parents=True, exist_ok=True)
        actual.write_text(text, encoding="utf-8")
        wrong.append(rel)
    assert not wrong, f"{example}: differs from the golden files, see {wrong} .actual"
    on_disk = {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and not p.name.endswith(".actual")
    }
    assert on_disk <= set(got) | {"connection-properties.md", "connection-properties.csv"}


def test_pool_ranges_read_back_as_prefixes() -> None:
    assert _range("1.1.2.0", "1.1.2.255") == str(IPv4Network("1.1.2.0/24"))
    assert _range("192.168.5.5", "192.168.5.5") == "192.168.5.5/32"
