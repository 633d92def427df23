"""One circuit's customer edge built from the files ``erplan generate frr`` and ``nft`` write,
between two Microsoft edges and the inside of its site, in network namespaces.

Namespaces (all named ``erp<pid>x<hex>-<node>``, removed with ``remove_run`` even on failure):

- ``ce``: the customer edge. FRR (zebra, staticd for the anchor routes, bgpd) started empty, then
  the generated ``frr.conf`` pushed as FRR's own boot does it (``vtysh -b``); the generated
  router ruleset, if any, loaded with ``nft -f``.
- ``nat``: a device of kind nat in front of the edge, when the design has one: its generated
  ruleset loaded with ``nft -f``, static routes.
- ``ms``: Microsoft (AS 12076), one FRR with the primary and the secondary link's session on
  an interface each (``primary``, ``secondary``): one network behind both links, so a reply
  may come back by the other link, as it does in reality. Played from the design: on each
  session it accepts only the circuit's public advertised prefixes, and sends prefixes tagged
  with service communities, some the route filter admits and some it does not. Its prefixes
  are local to it; a server records the address each connection comes from. Connections it
  initiates leave by the link their source address is routed to (one initiator per link).
- ``inside``: the site. One iBGP session to the edge over a control link of its own (the
  generated config leaves the inside peers to the operator: the test binds it to the ``INSIDE``
  peer-group). It sends the edge every prefix of the design that is not the circuit's to
  advertise and installs what the edge sends back with the next hop of the data path. Its client
  and server addresses live on ``lo``.

Substitutions, all mechanical: the link ports are veth pairs named like the generated VLAN
sub-interfaces (``eth1.<vlan>``; this kernel has no 802.1Q), so the configuration needs no
renaming; the MD5 key stays the commented placeholder (no key on either side); the inside
addresses (198.18.0.0/15, test-only) are the test's.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from erplan import facts
from erplan.catalogs import Catalogs
from erplan.emulate.host import (
    FRR_BIN,
    FRR_ETC,
    FRR_RUN,
    HELPER_MARK,
    STATE,
    new_prefix,
    ns_exec,
    ours,
    remove_run,
    run,
)
from erplan.emulate.netns import CREATED_PREFIXES, _prepare_frr
from erplan.generators import frr as gen_frr
from erplan.generators import nft as gen_nft
from erplan.generators.edge import ROUTER, CircuitEdge
from erplan.model import Design, LinkName

PEER = Path(__file__).with_name("tcp_peer.py")
MICROSOFT = "ms"
# Test-only addressing of the inside (RFC 2544 benchmarking range: in no design).
DATA = IPv4Network("198.18.0.0/30")  # edge .1 - next box .2
DEVICE_DATA = IPv4Network("198.18.0.4/30")  # NAT device .5 - inside .6
CONTROL = IPv4Network("198.18.1.0/30")  # edge .1 - inside .2 (iBGP)
# Prefixes Microsoft sends for communities the route filter does not admit (test inputs).
NOT_ADMITTED_BLOCK = IPv4Network("104.44.0.0/16")
MICROSOFT_PORT = 443  # where the inside client connects to Microsoft


def _host(net: IPv4Network, k: int = 0) -> IPv4Address:
    return net.network_address + (k if net.prefixlen >= 31 else k + 1)


@dataclass(frozen=True)
class Announcement:
    """A prefix Microsoft sends on both links, with its communities."""

    prefix: IPv4Network
    communities: tuple[str, ...]


def microsoft_routes(design: Design, catalogs: Catalogs, circuit: str) -> list[Announcement]:
    """One catalog prefix per community the circuit admits, and one prefix per community it does
    not (other services, a regional community) and one with none."""
    admitted = facts.circuit_communities(design, catalogs, circuit)
    out: dict[str, Announcement] = {}
    for es in catalogs.endpoint_sets:
        c = es.community
        # Prefixes with room for an initiator per link.
        ips = [p for p in es.ips if p.prefixlen <= 29]
        if es.express_route and c in admitted and c not in out and ips:
            out[c] = Announcement(ips[0], (c,))
    others = [s.community for s in catalogs.services if s.community not in admitted][:2]
    # A regional community alone: of a region the circuit prefers if it prefers one (accepted
    # only beside an admitted service's community), else of any region.
    preferred = [
        rc.community
        for region in design.circuits[circuit].region_preference
        if (rc := catalogs.regional_community(region)) is not None
    ]
    others += (preferred or [r.community for r in catalogs.regional_communities])[:1]
    blocks = NOT_ADMITTED_BLOCK.subnets(new_prefix=24)
    extra = [Announcement(next(blocks), (c,)) for c in others]
    extra.append(Announcement(next(blocks), ()))
    return [*out.values(), *extra]


@dataclass
class Lab:
    design: Design
    edge: CircuitEdge
    prefix: str = field(default_factory=new_prefix)
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    workdir: Path = Path()
    device: str | None = None  # NAT device namespace present

    def ns(self, node: str) -> str:
        return self.prefix + node

    def sh(self, node: str, *argv: str, check: bool = True, timeout: float = 20.0) -> str:
        return run(ns_exec(self.ns(node), list(argv)), check=check, timeout=timeout)

    def vtysh(self, node: str, *commands: str) -> str:
        argv = ["vtysh", "-N", self.ns(node)]
        for c in commands:
            argv += ["-c", c]
        return run(argv, timeout=15.0)

    def bgp(self, node: str, command: str) -> Any:
        return json.loads(self.vtysh(node, command + " json") or "{}")

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=5)
        remove_run(self.prefix)


@contextlib.contextmanager
def lab(
    design: Design,
    edge: CircuitEdge,
    frr_conf: str,
    rulesets: dict[str, str],
    announcements: list[Announcement],
) -> Iterator[Lab]:
    """Build the circuit's network; remove every namespace and process on the way out."""
    box = Lab(design, edge)
    CREATED_PREFIXES.add(box.prefix)
    box.workdir = STATE / box.prefix.rstrip("-")
    try:
        box.workdir.mkdir(parents=True, mode=0o700)
        _build(box, frr_conf, rulesets, announcements)
        yield box
    finally:
        box.close()


def _devices(edge: CircuitEdge) -> list[str]:
    return [b.name for b in gen_nft.boxes(edge) if b.name != ROUTER]


def _build(box: Lab, frr_conf: str, rulesets: dict[str, str], ann: list[Announcement]) -> None:
    edge, design = box.edge, box.design
    devices = _devices(edge)
    assert len(devices) <= 1, "one NAT device per circuit edge is what this network builds"
    box.device = "nat" if devices else None
    nodes = ["ce", MICROSOFT, "inside", *([box.device] if box.device else [])]
    batch = "".join(f"netns add {box.ns(n)}\n" for n in nodes)
    links: list[tuple[str, str, str, str]] = []  # node a, if a, node b, if b
    for s in edge.sessions:
        links.append(("ce", gen_frr.link_interface(s), MICROSOFT, s.link.value))
    if box.device:
        links.append(("ce", gen_frr.INSIDE, box.device, gen_nft.DEVICE_OUTSIDE))
        links.append((box.device, gen_nft.DEVICE_INSIDE, "inside", "data"))
    else:
        links.append(("ce", gen_frr.INSIDE, "inside", "data"))
    links.append(("ce", "ctl", "inside", "ctl"))
    for a, ai, b, bi in links:
        batch += f"link add {ai} netns {box.ns(a)} type veth peer name {bi} netns {box.ns(b)}\n"
    (box.workdir / "links.batch").write_text(batch)
    run(["ip", "-batch", str(box.workdir / "links.batch")])
    ifaces: dict[str, list[str]] = {n: ["lo"] for n in nodes}
    for a, ai, b, bi in links:
        ifaces[a].append(ai)
        ifaces[b].append(bi)
    cmds: dict[str, list[str]] = {n: [f"link set {i} up" for i in ifaces[n]] for n in nodes}
    ms = cmds[MICROSOFT]
    ms += [f"route add local {a.prefix} dev lo table main" for a in ann]
    for k, s in enumerate(edge.sessions):
        # The Microsoft side's address; the edge's comes from the generated config (zebra).
        ms.append(f"addr add {s.peer}/{s.subnet.prefixlen} dev {s.link.value}")
        # The initiators of this link: what they open goes out by this link.
        sources = {initiator(ann, s.link, c) for a in ann for c in a.communities}
        for x in sorted(sources):
            # An interface address: the kernel routes no locally opened connection from an
            # address that is only inside a local route.
            ms += [
                f"addr add {x}/32 dev lo",
                f"rule add from {x} lookup {100 + k} priority {100 + k}",
            ]
        ms.append(f"route add default via {s.local} table {100 + k}")
    cmds["ce"] += [
        f"addr add {_host(DATA)}/30 dev {gen_frr.INSIDE}",
        f"addr add {_host(CONTROL)}/30 dev ctl",
    ]
    cmds["inside"].append(f"addr add {_host(CONTROL, 1)}/30 dev ctl")
    site_prefixes = [p for site in design.sites.values() for p in site.prefixes]
    if box.device:
        cmds[box.device] += [
            f"addr add {_host(DATA, 1)}/30 dev {gen_nft.DEVICE_OUTSIDE}",
            f"addr add {_host(DEVICE_DATA)}/30 dev {gen_nft.DEVICE_INSIDE}",
            f"route add default via {_host(DATA)}",
        ]
        cmds[box.device] += [f"route add {p} via {_host(DEVICE_DATA, 1)}" for p in site_prefixes]
        cmds["inside"].append(f"addr add {_host(DEVICE_DATA, 1)}/30 dev data")
        cmds["ce"].append(f"route add {DEVICE_DATA} via {_host(DATA, 1)}")
        # What the device translates is routed to it, as the inside's routing would (the
        # edge's anchors for these prefixes are the last resort, distance 254).
        device_owned = [x.pool for x in edge.snat if x.point != ROUTER]
        device_owned += [IPv4Network(x.public) for x in edge.dnat if x.point != ROUTER]
        device_owned += [x.pool for x in edge.inbound_snat if x.point != ROUTER]
        cmds["ce"] += [f"route add {p} via {_host(DATA, 1)}" for p in dict.fromkeys(device_owned)]
    else:
        cmds["inside"].append(f"addr add {_host(DATA, 1)}/30 dev data")
    # The site's prefixes behind the edge: static, as an IGP would give them.
    cmds["ce"] += [f"route add {p} via {_host(DATA, 1)}" for p in site_prefixes]
    cmds["inside"] += [f"addr add {host}/32 dev lo" for host in inside_hosts(box)]
    for n in nodes:
        (box.workdir / f"{n}.batch").write_text("\n".join(cmds[n]) + "\n")
        run(["ip", "-n", box.ns(n), "-batch", str(box.workdir / f"{n}.batch")])
        forward = 1 if n in ("ce", box.device) else 0
        box.sh(
            n,
            "sysctl", "-q", "-w", f"net.ipv4.ip_forward={forward}",
            "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
        )  # fmt: skip
    for node, text in rulesets.items():
        path = box.workdir / f"{node}.nft"
        path.write_text(text)
        box.sh(node, "nft", "-f", str(path))
    _start_frr(box, "ce", ("zebra", "staticd", "bgpd"), integrated=frr_conf)
    # The generated config leaves its inside peers to the operator: bind ours to the group.
    box.vtysh(
        "ce",
        "configure terminal",
        f"router bgp {edge.asn}",
        f"neighbor {_host(CONTROL, 1)} peer-group {gen_frr.INSIDE_GROUP}",
    )
    _start_frr(box, MICROSOFT, ("zebra", "bgpd"), bgpd=_microsoft_conf(box, ann))
    _start_frr(box, "inside", ("zebra", "bgpd"), bgpd=_inside_conf(box))
    _start_server(box, MICROSOFT, MICROSOFT_PORT)
    for port in sorted({p for _, _, ports in edge.entries for p in ports}):
        _start_server(box, "inside", port)


def inside_hosts(box: Lab) -> list[IPv4Address]:
    """The client (first usable address of the site's first prefix) and every service address
    the circuit delivers inside (after DNAT)."""
    site = box.design.sites[box.edge.site]
    if not site.prefixes:
        raise AssertionError(
            f"site {box.edge.site!r} of circuit {box.edge.circuit!r} has no prefixes: this "
            "network has no inside client to connect from"
        )
    hosts = [_host(site.prefixes[0], 9)]
    hosts += [addr for _, addr, _ in box.edge.entries if addr not in hosts]
    return hosts


def _start_frr(
    box: Lab, node: str, daemons: tuple[str, ...], *, bgpd: str = "", integrated: str = ""
) -> None:
    ns = box.ns(node)
    log = _prepare_frr(ns)
    for daemon in daemons:
        conf = FRR_RUN / ns / f"{daemon}.conf"
        conf.write_text(f"log file {log}\n" + (bgpd if daemon == "bgpd" else ""))
        shutil.chown(conf, "frr", "frr")
        pidfile = FRR_RUN / ns / f"{daemon}.pid"
        argv = [
            str(FRR_BIN / daemon),
            "-N",
            ns,
            "-d",
            "-P",
            "0",
            "-f",
            str(conf),
            "-i",
            str(pidfile),
        ]
        box.sh(node, *argv)
        _wait_pid(box, pidfile)
    if integrated:
        path = FRR_ETC / ns / "frr.conf"
        path.write_text(integrated)
        shutil.chown(path, "frr", "frr")
        out = subprocess.run(
            ["vtysh", "-N", ns, "-b"], capture_output=True, text=True, timeout=30, check=False
        )
        if out.returncode != 0:
            raise AssertionError(f"FRR rejected the generated config: {out.stdout}{out.stderr}")


def _wait_pid(box: Lab, pidfile: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            if ours(int(pidfile.read_text().strip()), box.prefix):
                return
        time.sleep(0.02)
    raise AssertionError(f"{pidfile.name} did not start")


def accepted_by_microsoft(design: Design, circuit: str) -> tuple[IPv4Network, ...]:
    """Microsoft's acceptance rule: the circuit's advertised public prefixes, nothing else."""
    return facts.source_filter(design, circuit)


def initiator(ann: list[Announcement], link: LinkName, community: str | None = None) -> IPv4Address:
    """Microsoft's address that initiates connections by ``link``: in the first prefix of
    ``community`` (default: the first prefix sent)."""
    home = next(a for a in ann if community is None or community in a.communities)
    return _host(home.prefix, 1 + list(LinkName).index(link))


def _microsoft_conf(box: Lab, ann: list[Announcement]) -> str:
    lines = ["frr defaults traditional", "hostname microsoft"]
    for i, p in enumerate(accepted_by_microsoft(box.design, box.edge.circuit), start=1):
        lines.append(f"ip prefix-list CUSTOMER seq {5 * i} permit {p}")
    # Microsoft sends its own prefixes only, never one learned from the customer.
    lines += [
        f"ip prefix-list MICROSOFT seq {5 * i} permit {a.prefix}" for i, a in enumerate(ann, 1)
    ]
    lines += ["route-map FROM-CUSTOMER permit 10", " match ip address prefix-list CUSTOMER"]
    lines += ["exit", "route-map TO-CUSTOMER permit 10", " match ip address prefix-list MICROSOFT"]
    lines += ["exit", "route-map TO-CUSTOMER deny 100", "exit"]
    for i, a in enumerate(ann):
        lines.append(f"route-map TAG-{i} permit 10")
        if a.communities:
            lines.append(f" set community {' '.join(a.communities)}")
        lines.append("exit")
    lines += [
        f"router bgp {gen_frr.MICROSOFT_ASN}",
        f" bgp router-id {box.edge.sessions[0].peer}",
        " no bgp network import-check",
        " no bgp default ipv4-unicast",
    ]
    for s in box.edge.sessions:
        lines += [
            f" neighbor {s.local} remote-as {box.edge.asn}",
            f" neighbor {s.local} timers connect 1",
        ]
    lines += [" address-family ipv4 unicast", "  maximum-paths 2"]
    lines += [f"  network {a.prefix} route-map TAG-{i}" for i, a in enumerate(ann)]
    for s in box.edge.sessions:
        lines += [
            f"  neighbor {s.local} activate",
            f"  neighbor {s.local} send-community",
            f"  neighbor {s.local} soft-reconfiguration inbound",
            f"  neighbor {s.local} route-map FROM-CUSTOMER in",
            f"  neighbor {s.local} route-map TO-CUSTOMER out",
        ]
    lines.append(" exit-address-family")
    return "\n".join(lines) + "\n"


def inside_routes(box: Lab) -> list[IPv4Network]:
    """Every prefix the design names that this circuit must not advertise: the sites', the
    breakouts' and the other circuits' (private ones among them)."""
    d = box.design
    mine = set(box.edge.networks)
    out: dict[IPv4Network, None] = {}
    for site in d.sites.values():
        out.update(dict.fromkeys(site.prefixes))
    for b in d.breakouts.values():
        out.update(dict.fromkeys(b.advertises))
    for name in d.circuits:
        if name != box.edge.circuit:
            out.update(dict.fromkeys(p for _, p in facts.advertisements(d, name)))
    return [p for p in out if p not in mine]


def _inside_conf(box: Lab) -> str:
    asn = box.edge.asn
    edge_ip = _host(CONTROL)
    data_hop = _host(DEVICE_DATA) if box.device else _host(DATA)
    lines = [
        "frr defaults traditional",
        "hostname inside",
        # What the edge sends is reached over the data path, through the NAT device if any.
        "route-map FROM-EDGE permit 10",
        f" set ip next-hop {data_hop}",
        "exit",
        f"router bgp {asn}",
        f" bgp router-id {_host(CONTROL, 1)}",
        " no bgp network import-check",
        " no bgp default ipv4-unicast",
        f" neighbor {edge_ip} remote-as {asn}",
        f" neighbor {edge_ip} timers connect 1",
        " address-family ipv4 unicast",
        *[f"  network {p}" for p in inside_routes(box)],
        f"  neighbor {edge_ip} activate",
        f"  neighbor {edge_ip} route-map FROM-EDGE in",
        " exit-address-family",
    ]
    return "\n".join(lines) + "\n"


def _start_server(box: Lab, node: str, port: int) -> None:
    argv = [sys.executable, str(PEER), "serve", f"{HELPER_MARK}:{box.ns(node)}", str(port)]
    proc = subprocess.Popen(
        ns_exec(box.ns(node), argv), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )
    box.procs.append(proc)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise AssertionError(f"the server did not start in {node}")


def connect(
    box: Lab, node: str, source: IPv4Address, dest: IPv4Address, port: int, count: int
) -> list[dict[str, Any]]:
    """``count`` TCP connections from ``source`` in ``node`` to ``dest``: what each server saw."""
    argv = [sys.executable, str(PEER), "connect", str(source), str(dest), str(port), str(count)]
    out = box.sh(node, *argv, timeout=10 + 3 * count)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def wait_for(check: Callable[[], str], timeout: float = 30.0) -> None:
    """Poll ``check()`` (``''`` once satisfied, else why not) until it holds or time is up."""
    deadline = time.monotonic() + timeout
    why = check()
    while why and time.monotonic() < deadline:
        time.sleep(0.25)
        why = check()
    assert not why, why
