"""Build a Topology for real: network namespaces, veth pairs, nftables, FRR, listeners.

Everything a run creates carries its prefix (``erp`` + 6 hex digits + ``-``): namespaces, FRR
path spaces (/var/run/frr/NS, /etc/frr/NS) and the work directory. Nothing is linked to the root
namespace, so the design's public addresses exist only inside the emulated network.

Clean-up is always attempted: ``Network`` is a context manager, every live network is torn down
at interpreter exit and on SIGINT/SIGTERM, and ``cleanup_leftovers`` removes what a killed run
left behind. Only processes this module started (or, for leftovers, processes inside erplan
namespaces whose command line is an FRR daemon or an erplan listener) are ever signalled.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from erplan.emulate import frr, probe_scripts
from erplan.emulate.nft import COUNTERS
from erplan.emulate.topology import Node, Topology

FRR_BIN = Path("/usr/lib/frr")
FRR_RUN = Path("/var/run/frr")
FRR_ETC = Path("/etc/frr")
NETNS_DIR = Path("/var/run/netns")
PREFIX_RE = re.compile(r"^erp[0-9a-f]{6}-")
LISTENER_MARK = "erplan-emulate-listener"

Progress = Callable[[str], None]


class EmulationError(RuntimeError):
    """The network could not be built or did not converge."""


def new_prefix() -> str:
    return f"erp{secrets.token_hex(3)}-"


def missing_tools() -> list[str]:
    """What the emulation needs and this machine lacks."""
    missing = []
    for daemon in ("zebra", "bgpd"):
        if not (FRR_BIN / daemon).exists():
            missing.append(f"FRR ({FRR_BIN / daemon})")
    for tool in ("ip", "nft", "vtysh"):
        if shutil.which(tool) is None:
            missing.append(tool)
    return missing


def _run(argv: list[str], *, timeout: float = 20.0, check: bool = True) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise EmulationError(f"{' '.join(argv)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def _ns_exec(ns: str, argv: list[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv]


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (daemons are reaped late by PID 1)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _ours(pid: int, ns: str) -> bool:
    cmd = _cmdline(pid)
    frr_daemon = cmd.startswith(str(FRR_BIN) + "/") and f"-N {ns} " in cmd + " "
    return frr_daemon or (LISTENER_MARK in cmd and ns in cmd)


def _stop(pids: list[int], grace: float = 1.0) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.02)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


@dataclass
class Timings:
    build_s: float = 0.0
    converge_s: float = 0.0
    test_s: float = 0.0
    teardown_s: float = 0.0


@dataclass
class Network:
    """A running emulated network. Use as a context manager; ``teardown`` is idempotent."""

    topology: Topology
    prefix: str
    workdir: Path
    pids: dict[str, list[int]] = field(default_factory=dict)  # namespace -> daemon PIDs
    listeners: list[subprocess.Popen[bytes]] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    closed: bool = False

    def ns(self, node: str) -> str:
        return self.prefix + node

    def exec(self, node: str, argv: list[str], *, timeout: float = 20.0) -> str:
        return _run(_ns_exec(self.ns(node), argv), timeout=timeout)

    def vtysh(self, node: str, command: str) -> str:
        return _run(["vtysh", "-N", self.ns(node), "-c", command], timeout=10.0)

    def counters(self, node: str) -> dict[str, int]:
        """Packet counts of the edge counters in ``node`` (nft named counters)."""
        out = _run(
            _ns_exec(self.ns(node), ["nft", "-j", "list", "counters", "table", "inet", "erplan"]),
            check=False,
        )
        counts = dict.fromkeys(COUNTERS, 0)
        with contextlib.suppress(ValueError):
            for item in json.loads(out or "{}").get("nftables", []):
                c = item.get("counter")
                if c and c.get("name") in counts:
                    counts[c["name"]] = int(c.get("packets", 0))
        return counts

    def probe(
        self,
        client: str,
        source: str,
        destination: str,
        port: int,
        count: int = 64,
        timeout: float = 2.0,
    ) -> tuple[int, int]:
        """Open ``count`` TCP connections (distinct source ports) and echo one line on each.

        Returns (successes, attempts). The client runs inside ``client``'s namespace.
        """
        count = max(1, min(int(count), 1000))
        timeout = max(0.2, min(float(timeout), 10.0))
        out = self.exec(
            client,
            [
                sys.executable,
                "-c",
                probe_scripts.CLIENT,
                source,
                destination,
                str(int(port)),
                str(count),
                str(timeout),
            ],
            timeout=timeout + 10,
        )
        data = json.loads(out)
        return int(data["ok"]), int(data["total"])

    def teardown(self) -> None:
        if self.closed:
            return
        start = time.monotonic()
        self.closed = True
        for p in self.listeners:
            if p.poll() is None:
                p.terminate()
        for p in self.listeners:
            try:
                p.wait(timeout=1)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=1)
        _stop([pid for pids in self.pids.values() for pid in pids if _alive(pid)])
        for ns in self.namespaces:
            _run(["ip", "netns", "del", ns], check=False)
            shutil.rmtree(FRR_RUN / ns, ignore_errors=True)
            shutil.rmtree(FRR_ETC / ns, ignore_errors=True)
        shutil.rmtree(self.workdir, ignore_errors=True)
        _LIVE.discard(self)
        self.timings.teardown_s = time.monotonic() - start

    def release(self) -> None:
        """Leave the network running after this process exits (``erplan emulate --keep``)."""
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
                # Keep a handler someone else installed (pytest's, for instance) working too.
                previous = signal.getsignal(sig)
                if previous in (signal.SIG_DFL, signal.default_int_handler, None):
                    signal.signal(sig, _on_signal)
        _HANDLERS_INSTALLED = True


def _node_batch(net: Network, node: Node) -> str:
    """iproute2 batch commands for one namespace: interfaces up, addresses, routes."""
    lines = ["link set lo up"]
    for link in net.topology.links:
        for side, ifname, addr in (
            (link.a, link.a_if, link.a_addr),
            (link.b, link.b_if, link.b_addr),
        ):
            if side == node.name:
                lines.append(f"addr add {addr} dev {ifname}")
                lines.append(f"link set {ifname} up")
    for lo in node.loopbacks:
        lines.append(f"addr add {lo.ip}/32 dev lo")
    for r in node.routes:
        if r.blackhole:
            lines.append(f"route add blackhole {r.prefix}")
        elif len(r.via) == 1:
            lines.append(f"route add {r.prefix} via {r.via[0]}")
        else:
            hops = " ".join(f"nexthop via {v}" for v in r.via)
            lines.append(f"route add {r.prefix} {hops}")
    return "\n".join(lines) + "\n"


ROUTER_SYSCTLS = (
    ("net.ipv4.ip_forward", "1"),
    # Asymmetric paths must reach the stateful devices: only state decides, not rp_filter.
    ("net.ipv4.conf.all.rp_filter", "0"),
    ("net.ipv4.conf.default.rp_filter", "0"),
    # Hash on ports too, or every connection from one NAT address takes the same ECMP path.
    ("net.ipv4.fib_multipath_hash_policy", "1"),
)


def _sysctls(node: Node) -> list[str]:
    merged = dict(ROUTER_SYSCTLS)
    merged.update(dict(node.sysctls))
    return [f"{k}={v}" for k, v in merged.items()]


def _start_daemon(net: Network, node: Node, daemon: str, conf: str) -> int:
    ns = net.ns(node.name)
    rundir = FRR_RUN / ns
    conf_path = rundir / f"{daemon}.conf"
    conf_path.write_text(conf)
    shutil.chown(conf_path, "frr", "frr")
    pidfile = rundir / f"{daemon}.pid"
    _run(
        _ns_exec(
            ns,
            [
                str(FRR_BIN / daemon),
                "-N",
                ns,
                "-d",
                "-P",
                "0",
                "-f",
                str(conf_path),
                "-i",
                str(pidfile),
            ],
        )
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            pid = int(pidfile.read_text().strip())
            if _ours(pid, ns):
                return pid
        time.sleep(0.01)
    raise EmulationError(f"{daemon} did not start in {ns}")


def _prepare_frr_dirs(ns: str) -> None:
    for base in (FRR_RUN, FRR_RUN / ns, FRR_ETC / ns):
        base.mkdir(mode=0o755, exist_ok=True)
        shutil.chown(base, "frr", "frr")
    (FRR_ETC / ns / "vtysh.conf").touch()


def build(
    topology: Topology,
    prefix: str | None = None,
    *,
    converge_timeout: float = 30.0,
    progress: Progress | None = None,
) -> Network:
    """Create the namespaces, links, addresses, rules, daemons and listeners; wait for BGP."""
    say = progress or (lambda _msg: None)
    prefix = prefix or new_prefix()
    if not PREFIX_RE.match(prefix):
        raise EmulationError(f"bad run prefix {prefix!r}")
    _install_handlers()
    start = time.monotonic()
    net = Network(topology, prefix, Path(tempfile.mkdtemp(prefix=prefix)))
    # Another erplan run on this machine must not take this network for a leftover.
    (net.workdir / "owner").write_text(str(os.getpid()))
    CREATED_PREFIXES.add(prefix)
    _LIVE.add(net)
    try:
        say(f"creating {len(topology.nodes)} namespaces and {len(topology.links)} links")
        batch = [f"netns add {net.ns(n.name)}" for n in topology.nodes]
        _batch(None, "\n".join(batch) + "\n", net.workdir / "netns.batch")
        net.namespaces = [net.ns(n.name) for n in topology.nodes]
        links = [
            f"link add {lk.a_if} netns {net.ns(lk.a)} type veth peer name {lk.b_if} "
            f"netns {net.ns(lk.b)}"
            for lk in topology.links
        ]
        if links:
            _batch(None, "\n".join(links) + "\n", net.workdir / "links.batch")
        for node in topology.nodes:
            ns = net.ns(node.name)
            _batch(ns, _node_batch(net, node), net.workdir / f"{node.name}.batch")
            _run(_ns_exec(ns, ["sysctl", "-q", "-w", *_sysctls(node)]))
            if node.nftables:
                path = net.workdir / f"{node.name}.nft"
                path.write_text(node.nftables)
                _run(_ns_exec(ns, ["nft", "-f", str(path)]))
        routers = topology.routers()
        say(f"starting FRR on {len(routers)} routers")
        for node in routers:
            ns = net.ns(node.name)
            _prepare_frr_dirs(ns)
            log = FRR_RUN / ns / "frr.log"
            log.touch()
            shutil.chown(log, "frr", "frr")
            zebra = _start_daemon(net, node, "zebra", frr.zebra_config(node, str(log)))
            net.pids[ns] = [zebra]
        for node in routers:
            ns = net.ns(node.name)
            log = FRR_RUN / ns / "frr.log"
            net.pids[ns].append(_start_daemon(net, node, "bgpd", frr.bgpd_config(node, str(log))))
        for node in topology.nodes:
            if node.listeners:
                _start_listeners(net, node)
        net.timings.build_s = time.monotonic() - start
        say("waiting for BGP to converge")
        t0 = time.monotonic()
        _wait_converged(net, converge_timeout)
        net.timings.converge_s = time.monotonic() - t0
    except BaseException:
        net.teardown()
        raise
    return net


def _batch(ns: str | None, text: str, path: Path) -> None:
    path.write_text(text)
    argv = ["ip", "-batch", str(path)] if ns is None else ["ip", "-n", ns, "-batch", str(path)]
    _run(argv)


def _start_listeners(net: Network, node: Node) -> None:
    ns = net.ns(node.name)
    args = [f"{li.address}:{li.port}" for li in node.listeners]
    proc = subprocess.Popen(
        _ns_exec(ns, [sys.executable, "-c", probe_scripts.SERVER, LISTENER_MARK, ns, *args]),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    net.listeners.append(proc)
    assert proc.stdout is not None
    ready = _readline(proc.stdout, 10.0)
    if ready.strip() != b"ready":
        raise EmulationError(f"listeners did not start in {ns}")


def _readline(stream: Any, timeout: float) -> bytes:
    result: list[bytes] = []
    t = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    t.start()
    t.join(timeout)
    return result[0] if result else b""


def _bgp_established(net: Network, node: Node) -> bool:
    try:
        out = net.vtysh(node.name, "show bgp ipv4 unicast summary json")
        peers = json.loads(out).get("peers", {})
    except (EmulationError, ValueError, subprocess.TimeoutExpired):
        return False
    want = {str(nb.address) for nb in node.bgp.neighbors} if node.bgp else set()
    up = {a for a, p in peers.items() if p.get("state") == "Established"}
    return want <= up


def _fib_snapshot(net: Network) -> str:
    parts = []
    for node in net.topology.routers():
        parts.append(
            _run(["ip", "-n", net.ns(node.name), "route", "show", "proto", "bgp"], check=False)
        )
    return "\n".join(parts)


def _wait_converged(net: Network, timeout: float) -> None:
    """All sessions up, then every router's kernel FIB unchanged for three polls."""
    deadline = time.monotonic() + timeout
    pending = list(net.topology.routers())
    while pending:
        pending = [n for n in pending if not _bgp_established(net, n)]
        if not pending:
            break
        if time.monotonic() > deadline:
            names = ", ".join(n.name for n in pending)
            raise EmulationError(f"BGP sessions not established within {timeout:.0f} s: {names}")
        time.sleep(0.1)
    last, stable = "", 0
    while stable < 3:
        time.sleep(0.25)
        snap = _fib_snapshot(net)
        stable = stable + 1 if snap == last else 0
        last = snap
        if time.monotonic() > deadline:
            raise EmulationError(f"routes did not settle within {timeout:.0f} s")


def leftover_namespaces() -> list[str]:
    out = _run(["ip", "netns", "list"], check=False)
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return sorted(n for n in names if PREFIX_RE.match(n))


def _owned_elsewhere(prefix: str) -> bool:
    """True while the erplan process that built this prefix is still running."""
    for owner in Path(tempfile.gettempdir()).glob(f"{prefix}*/owner"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(owner.read_text().strip())
            if pid != os.getpid() and _alive(pid):
                return True
    return False


def cleanup_leftovers(prefixes: set[str] | None = None) -> list[str]:
    """Remove erplan namespaces (with their daemons and FRR directories) left by past runs.

    Networks whose building process still runs are left alone; ``prefixes`` limits the
    clean-up to those run prefixes.
    """
    removed = []
    for ns in leftover_namespaces():
        prefix = ns[:10]
        if (prefixes is not None and prefix not in prefixes) or _owned_elsewhere(prefix):
            continue
        pids_out = _run(["ip", "netns", "pids", ns], check=False)
        pids = [int(p) for p in pids_out.split() if p.isdigit()]
        _stop([p for p in pids if _ours(p, ns)])
        _run(["ip", "netns", "del", ns], check=False)
        removed.append(ns)
    for base in (FRR_RUN, FRR_ETC):
        if base.is_dir():
            for d in base.iterdir():
                if PREFIX_RE.match(d.name) and d.is_dir():
                    if (prefixes is not None and d.name[:10] not in prefixes) or _owned_elsewhere(
                        d.name[:10]
                    ):
                        continue
                    # Daemons outside any namespace list (namespace already gone) by pidfile.
                    for pidfile in d.glob("*.pid"):
                        with contextlib.suppress(OSError, ValueError):
                            pid = int(pidfile.read_text().strip())
                            if _alive(pid) and _ours(pid, d.name):
                                _stop([pid])
                    shutil.rmtree(d, ignore_errors=True)
    tmp = Path(tempfile.gettempdir())
    for d in tmp.glob("erp*-*"):
        if (
            (prefixes is None or d.name[:10] in prefixes)
            and PREFIX_RE.match(d.name)
            and d.is_dir()
            and not _owned_elsewhere(d.name[:10])
        ):
            shutil.rmtree(d, ignore_errors=True)
    return removed


@contextlib.contextmanager
def running(topology: Topology, **kwargs: Any) -> Iterator[Network]:
    net = build(topology, **kwargs)
    try:
        yield net
    finally:
        net.teardown()
