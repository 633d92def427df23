"""Build a Topology for real: namespaces, veth pairs, routes, nftables, FRR, helper processes.

Everything a run creates carries its prefix ``erp<owner pid>x<4 hex>-``: namespaces, FRR path
spaces (/var/run/frr/NS, /etc/frr/NS), the state directory and the command line of every
process it starts. Nothing is linked to the root namespace: veth pairs are created directly
inside their two namespaces, helpers bind inside namespaces only.

Clean-up: ``Network.teardown`` (idempotent; also at interpreter exit and on SIGINT/SIGTERM),
and ``host.cleanup_leftovers`` for what a killed run left (host.py: FRR's paths, processes
and which are ours, runs left behind).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from erplan.emulate import converge
from erplan.emulate.host import (
    FRR_BIN,
    FRR_ETC,
    FRR_RUN,
    HELPER_MARK,
    PREFIX_RE,
    STATE,
    EmulationError,
    Progress,
    alive,
    new_prefix,
    ns_exec,
    ours,
    remove_run,
    run,
    start_time,
    stop,
)
from erplan.emulate.topology import Node, Topology


@dataclass
class Timings:
    build_s: float = 0.0
    converge_s: float = 0.0
    probe_s: float = 0.0
    teardown_s: float = 0.0


@dataclass
class Network:
    """A running emulated network. Use as a context manager; ``teardown`` is idempotent."""

    topology: Topology
    prefix: str
    workdir: Path
    pids: list[int] = field(default_factory=list)  # daemons started (checked before signalled)
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    closed: bool = False

    def ns(self, node: str) -> str:
        return self.prefix + node

    def exec(self, node: str, argv: list[str], *, timeout: float = 30.0, check: bool = True) -> str:
        return run(ns_exec(self.ns(node), argv), timeout=timeout, check=check)

    def vtysh(self, node: str, *commands: str, check: bool = True) -> str:
        argv = ["vtysh", "-N", self.ns(node)]
        for c in commands:
            argv += ["-c", c]
        return run(argv, timeout=15.0, check=check)

    def teardown(self) -> None:
        if self.closed:
            return
        start = time.monotonic()
        self.closed = True
        for p in self.helpers:
            if p.poll() is None:
                p.terminate()
        for p in self.helpers:
            try:
                p.wait(timeout=1)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=1)
        stop([pid for pid in self.pids if alive(pid) and ours(pid, self.prefix)])
        remove_run(self.prefix)
        _LIVE.discard(self)
        self.timings.teardown_s = time.monotonic() - start

    def release(self) -> None:
        """Leave the network running after this process exits (``--keep``)."""
        (self.workdir / "keep").write_text("kept\n")
        self.closed = True
        _LIVE.discard(self)

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc: object) -> None:
        self.teardown()

    def __hash__(self) -> int:
        return id(self)


_LIVE: set[Network] = set()
CREATED_PREFIXES: set[str] = set()  # every run prefix this process used
_HANDLERS_INSTALLED = False
_LOCK = threading.Lock()


def _teardown_all() -> None:
    for net in list(_LIVE):
        with contextlib.suppress(Exception):
            net.teardown()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _teardown_all()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    sys.exit(128 + signum)


def _install_handlers() -> None:
    global _HANDLERS_INSTALLED
    with _LOCK:
        if _HANDLERS_INSTALLED:
            return
        atexit.register(_teardown_all)
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                # Keep a handler someone else installed (pytest's, for instance) working.
                previous = signal.getsignal(sig)
                if previous in (signal.SIG_DFL, signal.default_int_handler, None):
                    signal.signal(sig, _on_signal)
        _HANDLERS_INSTALLED = True


def mac(link: int, side: int) -> str:
    """A fixed, locally administered MAC for each end of each link."""
    return f"02:ee:{(link >> 16) & 255:02x}:{(link >> 8) & 255:02x}:{link & 255:02x}:{side:02x}"


def _node_batch(net: Network, node: Node) -> str:
    """iproute2 batch commands for one namespace: interfaces, addresses, neighbours (fixed:
    a burst to a neighbour not yet resolved would be dropped), routes, rules."""
    lines = ["link set lo up"]
    for k, link in enumerate(net.topology.links):
        ends = (
            (link.a, link.a_if, link.a_addr, link.b_addr, 1),
            (link.b, link.b_if, link.b_addr, link.a_addr, 0),
        )
        for side, ifname, addr, peer, peer_side in ends:
            if side == node.name:
                lines.append(f"addr add {addr} dev {ifname}")
                lines.append(
                    f"neigh replace {peer.ip} lladdr {mac(k, peer_side)} dev {ifname} nud permanent"
                )
                if link.up:
                    lines.append(f"link set {ifname} up")
    for lo in node.loopbacks:
        lines.append(f"addr add {lo}/32 dev lo")
    for r in node.routes:
        table = f" table {r.table}" if r.table is not None else ""
        if r.kind == "local":
            lines.append(f"route add local {r.prefix} dev lo table main")
        elif r.kind == "blackhole":
            lines.append(f"route add blackhole {r.prefix}{table}")
        elif len(r.via) == 1:
            lines.append(f"route add {r.prefix} via {r.via[0]}{table}")
        else:
            hops = " ".join(f"nexthop via {v}" for v in r.via)
            lines.append(f"route add {r.prefix}{table} {hops}")
    for k, rule in enumerate(node.rules):
        match = f"iif {rule.iif}" if rule.iif is not None else f"from {rule.source}"
        lookup = str(rule.table) if rule.table is not None else "main"
        if rule.suppress_default:
            lookup += " suppress_prefixlength 0"
        lines.append(f"rule add {match} lookup {lookup} priority {100 + k}")
    return "\n".join(lines) + "\n"


def _batch(ns: str | None, text: str, path: Path) -> None:
    path.write_text(text)
    argv = ["ip", "-batch", str(path)] if ns is None else ["ip", "-n", ns, "-batch", str(path)]
    run(argv)


def _prepare_frr(ns: str) -> Path:
    for base in (FRR_RUN, FRR_RUN / ns, FRR_ETC / ns):
        base.mkdir(mode=0o755, exist_ok=True)
        shutil.chown(base, "frr", "frr")
    (FRR_ETC / ns / "vtysh.conf").touch()
    log = FRR_RUN / ns / "frr.log"
    log.touch()
    shutil.chown(log, "frr", "frr")
    return log


def _start_daemon(net: Network, node: Node, daemon: str, conf: str, log: Path) -> int:
    ns = net.ns(node.name)
    rundir = FRR_RUN / ns
    conf_path = rundir / f"{daemon}.conf"
    conf_path.write_text(f"log file {log}\n{conf}")
    shutil.chown(conf_path, "frr", "frr")
    pidfile = rundir / f"{daemon}.pid"
    argv = [str(FRR_BIN / daemon), "-N", ns, "-d", "-P", "0", "-f", str(conf_path)]
    run(ns_exec(ns, [*argv, "-i", str(pidfile)]))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            pid = int(pidfile.read_text().strip())
            if ours(pid, net.prefix):
                net.pids.append(pid)
                return pid
        time.sleep(0.01)
    raise EmulationError(f"{daemon} did not start in {ns}")


def start_helper(net: Network, node: str, module: str, spec_path: Path) -> subprocess.Popen[bytes]:
    """Start ``python -m erplan.emulate.<module>`` inside ``node``'s namespace."""
    ns = net.ns(node)
    argv = [sys.executable, "-m", f"erplan.emulate.{module}", HELPER_MARK, ns, str(spec_path)]
    return subprocess.Popen(
        ns_exec(ns, argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )


def _start_agent(net: Network, node: Node) -> None:
    assert node.agent is not None
    spec = net.workdir / f"{node.name}.agent.json"
    spec.write_text(node.agent)
    proc = start_helper(net, node.name, "agent", spec)
    net.helpers.append(proc)
    assert proc.stdout is not None
    if _readline(proc.stdout, 15.0).strip() != b"ready":
        raise EmulationError(f"the servers did not start in {net.ns(node.name)}")


def _readline(stream: object, timeout: float) -> bytes:
    result: list[bytes] = []
    reader = getattr(stream, "readline")  # noqa: B009 - a pipe's readline, in a thread
    t = threading.Thread(target=lambda: result.append(reader()), daemon=True)
    t.start()
    t.join(timeout)
    return result[0] if result else b""


def build(
    topology: Topology,
    prefix: str | None = None,
    *,
    converge_timeout: float = 120.0,
    progress: Progress | None = None,
) -> Network:
    """Create the namespaces, links, addresses, rules, daemons and servers; wait until the
    routing has converged."""
    say = progress or (lambda _msg: None)
    prefix = prefix or new_prefix()
    if not PREFIX_RE.match(prefix):
        raise EmulationError(f"bad run prefix {prefix!r}")
    _install_handlers()
    start = time.monotonic()
    workdir = STATE / prefix.rstrip("-")
    workdir.mkdir(parents=True, exist_ok=False, mode=0o700)
    # The owner and its start time: a later clean-up can tell a live run from a dead one.
    (workdir / "owner").write_text(f"{os.getpid()} {start_time(os.getpid())}\n")
    net = Network(topology, prefix, workdir)
    CREATED_PREFIXES.add(prefix)
    _LIVE.add(net)
    try:
        say(f"creating {len(topology.nodes)} namespaces and {len(topology.links)} links")
        net.namespaces = [net.ns(n.name) for n in topology.nodes]
        _batch(None, "".join(f"netns add {ns}\n" for ns in net.namespaces), workdir / "ns.batch")
        links = [
            f"link add {lk.a_if} address {mac(k, 0)} netns {net.ns(lk.a)} type veth "
            f"peer name {lk.b_if} address {mac(k, 1)} netns {net.ns(lk.b)}\n"
            for k, lk in enumerate(topology.links)
        ]
        if links:
            _batch(None, "".join(links), workdir / "links.batch")
        for node in topology.nodes:
            ns = net.ns(node.name)
            run(ns_exec(ns, ["sysctl", "-q", "-w", *[f"{k}={v}" for k, v in node.sysctls]]))
            _batch(ns, _node_batch(net, node), workdir / f"{node.name}.batch")
            if node.nftables:
                path = workdir / f"{node.name}.nft"
                path.write_text(node.nftables)
                run(ns_exec(ns, ["nft", "-f", str(path)]))
        routers = topology.routers()
        say(f"starting FRR on {len(routers)} routers")
        logs = {n.name: _prepare_frr(net.ns(n.name)) for n in routers}
        for order in (("zebra",), ("ospfd", "bgpd", "staticd")):
            for node in routers:
                for d in node.daemons:
                    if d.name in order:
                        _start_daemon(net, node, d.name, d.config, logs[node.name])
        say("starting servers")
        for node in topology.nodes:
            if node.agent is not None:
                _start_agent(net, node)
        net.timings.build_s = time.monotonic() - start
        say("waiting for OSPF and BGP to converge")
        t0 = time.monotonic()
        converge.wait(net, converge_timeout, EmulationError)
        net.timings.converge_s = time.monotonic() - t0
    except BaseException:
        net.teardown()
        raise
    return net
