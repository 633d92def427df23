"""Emulate a design end to end: plan, build, open every flow's connections, read, tear down.

Every connection gets a destination port of its own, so the edge counters say which edge it
crossed each way, the drop counters which node dropped it and why, and the session tables of
the stateful nodes which of them hold it and what they translated it to.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from erplan.catalogs import Catalogs
from erplan.emulate import nft
from erplan.emulate.addresses import spread
from erplan.emulate.flows import FlowSpec, connections_per_stratum
from erplan.emulate.host import Progress
from erplan.emulate.netns import Network, Timings, build, start_helper
from erplan.emulate.network import INTERNET, MICROSOFT, Plan, plan
from erplan.emulate.results import DOWN, PINNED, Connection, FlowResult, summarize
from erplan.model import Design

REASONS = {
    nft.DROP_STATE: "no session (ct state invalid, or a reply it never saw asked for)",
    nft.DROP_NEW: "new connection refused",
    nft.DROP_DOWN: DOWN,
    nft.DROP_FILTER: "source outside the circuit's advertised prefixes (Microsoft's filter)",
    nft.DROP_CLIENT: "client of a proxied site going to the internet directly",
    nft.DROP_PINNED: PINNED,
}
MAX_CONNECTIONS = nft.FLOW_PORTS[1] - nft.FLOW_PORTS[0] + 1


@dataclass
class EmulationReport:
    name: str
    prefix: str
    flows: list[FlowResult]
    timings: Timings
    notes: list[str] = field(default_factory=list)
    routers: list[tuple[str, str]] = field(default_factory=list)  # (label, namespace)
    kept: bool = False

    @property
    def problems(self) -> list[FlowResult]:
        return [f for f in self.flows if f.problem is not None]

    def to_dict(self) -> dict[str, Any]:
        t = self.timings
        return {
            "design": self.name,
            "prefix": self.prefix,
            "kept": self.kept,
            "timings_s": {
                "build": round(t.build_s, 3),
                "converge": round(t.converge_s, 3),
                "probe": round(t.probe_s, 3),
                "teardown": round(t.teardown_s, 3),
            },
            "connections": sum(f.attempted for f in self.flows),
            "notes": self.notes,
            "flows": [f.to_dict() for f in self.flows],
            "routers": [{"label": lbl, "namespace": ns} for lbl, ns in self.routers],
        }


def total_connections(p: Plan, per_flow: int) -> int:
    return sum(
        connections_per_stratum(s, per_flow) for f in p.flows if f.problem is None for s in f.strata
    )


def fit_connections(p: Plan, per_flow: int) -> int:
    """The connections per flow asked for, or fewer when a run would need more ports than
    it has (each connection has one of its own)."""
    while per_flow > 1 and total_connections(p, per_flow) > MAX_CONNECTIONS:
        per_flow -= 1
    if total_connections(p, per_flow) > MAX_CONNECTIONS:
        raise ValueError(
            f"this design needs more than {MAX_CONNECTIONS} connections even with one per flow"
        )
    return per_flow


def make_jobs(
    p: Plan, per_flow: int, seed: int
) -> tuple[list[FlowResult], dict[str, list[dict[str, Any]]], dict[int, Connection]]:
    """Every connection to open: (flow results to fill, jobs per namespace, port -> conn)."""
    results: list[FlowResult] = []
    jobs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_port: dict[int, Connection] = {}
    port = nft.FLOW_PORTS[0]
    for spec in p.flows:
        result = FlowResult(spec, problem=spec.problem)
        results.append(result)
        if spec.problem is not None:
            continue
        rng = random.Random(f"{seed}/{spec.key}")
        if spec.direction == "inbound":
            node = INTERNET if spec.opener == "internet" else MICROSOFT
        elif spec.proto == "udp" and spec.proxy_site is not None:
            node = p.hosts[spec.proxy_site]  # relayed from the proxy's address
        else:
            node = p.hosts[spec.origin]
        for k, stratum in enumerate(spec.strata):
            per = connections_per_stratum(stratum, per_flow)
            for source in spread(stratum.piece, per, rng):
                if port > nft.FLOW_PORTS[1]:
                    raise ValueError(f"more than {MAX_CONNECTIONS} connections in one run")
                conn = Connection(port, k, stratum.weight / per, str(source), spec.direction)
                result.connections.append(conn)
                by_port[port] = conn
                jobs[node].append(_job(p, spec, port, str(source)))
                port += 1
    return results, jobs, by_port


def _job(p: Plan, spec: FlowSpec, port: int, source: str) -> dict[str, Any]:
    job: dict[str, Any] = {"id": port, "port": port, "source": source, "proto": spec.proto}
    resolver = p.resolvers.get(spec.resolver_site) if spec.resolver_site else None
    if spec.own_dns:
        resolver = p.dns_server
    if spec.direction == "inbound":
        job.update(kind="inbound", destination=str(spec.destination))
    elif spec.direction == "dns":
        job.update(kind="dns", resolver=str(resolver) if resolver else None)
    elif spec.proxy_address is not None and spec.proto == "tcp":
        entry = spec.proxy_listen or spec.proxy_address
        job.update(kind="proxy", proxy=str(entry), name=spec.name)
        if spec.proxy_cloud:
            # A cloud proxy's clients resolve first, and reach it over the internet on the
            # flow's own port (a chain's earlier proxy forwards there).
            job["resolver"] = str(resolver) if resolver else None
            if entry == spec.proxy_address:
                job["proxy_port"] = port
    else:
        job.update(kind="direct", name=spec.name, resolver=str(resolver) if resolver else None)
        # Datagrams a proxy relays, while every proxy of its chain runs; a cloud proxy at the
        # end relays them itself (its relay answers for it).
        on_premises = spec.proxy_chain[:-1] if spec.proxy_cloud else spec.proxy_chain
        if on_premises:
            job["via"] = [str(a) for a in on_premises]
        if spec.proxy_cloud and spec.proxy_address is not None:
            job["relay"] = str(spec.proxy_address)
    return job


def run_probes(net: Network, jobs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run every namespace's jobs at once; collect the clients' reports."""
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    for node, items in jobs.items():
        path = net.workdir / f"{node}.jobs.json"
        path.write_text(json.dumps(items))
        procs.append((node, start_helper(net, node, "probe", path)))
    out: list[dict[str, Any]] = []
    for node, proc in procs:
        try:
            stdout, _ = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise RuntimeError(f"the probes in {node} did not finish") from None
        try:
            out += json.loads(stdout or b"[]")
        except ValueError as exc:
            raise RuntimeError(f"the probes in {node} reported nothing readable") from exc
    return out


def read_sets(net: Network, node: str) -> dict[str, set[int]]:
    """The flow ports in every counting set of a node's ruleset (each port seen there)."""
    text = net.exec(node, ["nft", "-j", "list", "table", "inet", "erplan"], check=False)
    return parse_sets(text)


def parse_sets(text: str) -> dict[str, set[int]]:
    """``nft -j list table`` output: the ports of each set (elements are bare numbers, or
    objects when they carry expressions)."""
    out: dict[str, set[int]] = {}
    try:
        items = json.loads(text or "{}").get("nftables", [])
    except ValueError:
        return out
    for item in items:
        s = item.get("set") if isinstance(item, dict) else None
        if not s:
            continue
        ports: set[int] = set()
        for e in s.get("elem", []):
            val = e.get("elem", {}).get("val") if isinstance(e, dict) else e
            if isinstance(val, int):
                ports.add(val)
        out[s["name"]] = ports
    return out


_KV = re.compile(r"(\w+)=(\S+)")


def read_sessions(net: Network, node: str) -> list[tuple[dict[str, str], dict[str, str], str]]:
    """The node's conntrack entries: (original tuple, reply tuple, state and flags)."""
    text = net.exec(node, ["conntrack", "-L"], check=False)
    entries = []
    for line in text.splitlines():
        pairs = _KV.findall(line)
        keys = [k for k, _ in pairs]
        if keys.count("src") < 2:
            continue
        second = keys.index("src", 1)
        orig, reply = dict(pairs[:second]), dict(pairs[second:])
        words = [w for w in line.split() if w.isupper() and "=" not in w]
        state = " ".join(words) or ("[UNREPLIED]" if "[UNREPLIED]" in line else "")
        if "[UNREPLIED]" in line and "UNREPLIED" not in state:
            state += " [UNREPLIED]"
        entries.append((orig, reply, state.strip()))
    return entries


def collect(net: Network, p: Plan, by_port: dict[int, Connection]) -> None:
    """Attach to each connection the edges, drops, sessions and translations seen."""
    edge_dirs = {
        "outbound": (nft.REQUEST_OUT, nft.REPLY_IN),
        "dns": (nft.REQUEST_OUT, nft.REPLY_IN),
        "inbound": (nft.REQUEST_IN, nft.REPLY_OUT),
    }
    for node in net.topology.nodes:
        if not node.nftables:
            continue
        label = p.labels.get(node.name, node.name)
        sets = read_sets(net, node.name)
        edge = p.edges.get(node.name)
        for port, conn in by_port.items():
            if edge is not None:
                fwd, back = edge_dirs[conn.direction]
                if port in sets.get(fwd, ()):
                    conn.forward.append(edge)
                if port in sets.get(back, ()):
                    conn.back.append(edge)
            for name, reason in REASONS.items():
                if port in sets.get(name, ()):
                    conn.drops.append((label, reason))
        if "filter_fw" in node.nftables or "nat_out" in node.nftables:
            for orig, reply, state in read_sessions(net, node.name):
                try:
                    port = int(orig.get("dport", "0"))
                except ValueError:
                    continue
                conn_or_none = by_port.get(port)
                if conn_or_none is None:
                    continue
                if reply.get("dst") and reply["dst"] != orig.get("src"):
                    conn_or_none.nat.append((label, reply["dst"]))
                if not conn_or_none.ok:
                    conn_or_none.sessions.append((label, state))


def emulate(
    design: Design,
    catalogs: Catalogs,
    *,
    connections: int = 16,
    keep: bool = False,
    seed: int = 1,
    progress: Progress | None = None,
    prefix: str | None = None,
) -> EmulationReport:
    """Build ``design`` for real, open every flow's connections, tear down (unless ``keep``),
    and report what happened to each."""
    say = progress or (lambda _m: None)
    say("planning the network")
    p = plan(design, catalogs)
    notes = list(p.notes)
    fitted = fit_connections(p, connections)
    if fitted < connections:
        notes.append(f"{fitted} connections per flow instead of {connections} (ports per run)")
    results, jobs, by_port = make_jobs(p, fitted, seed)
    net = build(p.topology, prefix, progress=progress)
    try:
        say(f"opening {len(by_port)} connections")
        t0 = time.monotonic()
        answers = {a["id"]: a for a in run_probes(net, jobs)}
        net.timings.probe_s = time.monotonic() - t0
        for port, conn in by_port.items():
            a = answers.get(port, {})
            conn.ok = bool(a.get("ok"))
            conn.stage, conn.error = a.get("stage"), a.get("error")
            conn.answer, conn.seen = a.get("answer"), a.get("seen")
        say("reading counters and sessions")
        collect(net, p, by_port)
        routes = _origin_routes(net, p, results)
        for r in results:
            for c in r.connections:
                c.classify()
            r.evidence = summarize(r.connections) + routes.get(r.spec.key, [])
        report = EmulationReport(
            design.name or "design",
            net.prefix,
            results,
            net.timings,
            notes=notes,
            routers=[(n.label, net.ns(n.name)) for n in p.topology.routers()],
            kept=keep,
        )
    except BaseException:
        net.teardown()
        raise
    if keep:
        net.release()
    else:
        net.teardown()
    return report


def _origin_routes(net: Network, p: Plan, results: list[FlowResult]) -> dict[str, list[str]]:
    """For failures nobody dropped: does the origin's own router have a route at all (for a
    proxy's connections: from the proxy's address, which policy routes may send elsewhere)?"""
    cache: dict[tuple[str, str, str], bool] = {}
    evidence: dict[str, list[str]] = defaultdict(list)
    for r in results:
        s = r.spec
        if s.direction == "inbound":
            node = INTERNET if s.opener == "internet" else MICROSOFT
            dest = str(s.destination)
        else:
            site = s.proxy_site or s.origin
            node = p.site_routers[site]
            dest = ""
        # A cloud proxy's connections start on the internet, not at the origin's router.
        on_premises = s.proxy_address is not None and not s.proxy_cloud
        source = str(s.proxy_address) if on_premises else ""
        # A lookup from a source the router does not hold needs an input interface.
        iif = next((lk.a_if for lk in net.topology.links if lk.a == node), None)
        if iif is None:
            iif = next((lk.b_if for lk in net.topology.links if lk.b == node), "lo")
        for c in r.connections:
            if c.ok or c.drops or c.stage == "dns":
                continue
            target = dest or c.answer or ""
            if not target:
                continue
            key = (node, target, source)
            if key not in cache:
                argv = ["ip", "route", "get", target]
                if source:
                    argv += ["from", source, "iif", iif]
                out = net.exec(node, argv, check=False)
                cache[key] = bool(out.strip()) and "unreachable" not in out
                if not cache[key]:
                    evidence[s.key].append(f"no route at {p.labels[node]} to {target}")
            c.origin_route = cache[key]
    return evidence
