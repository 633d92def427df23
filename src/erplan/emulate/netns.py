"""Build a Topology for real: namespaces, veth pairs, routes, nftables, FRR, helper processes.

Everything a run creates carries its prefix ``erp<owner pid>x<4 hex>-``: namespaces, FRR path
spaces (/var/run/frr/NS, /etc/frr/NS), the state directory and the command line of every
process it starts. Nothing is linked to the root namespace: veth pairs are created directly
inside their two namespaces, helpers bind inside namespaces only.

Clean-up: ``Network.teardown`` (idempotent; also at interpreter exit and on SIGINT/SIGTERM),
and ``cleanup_leftovers`` for what a killed run left: it removes a run only when its owner
process is gone, and never a run kept with ``--keep`` unless asked to. Only processes whose
command line names the run's prefix (FRR daemons started with ``-N``, erplan helpers) are
ever signalled.
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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from erplan.emulate import converge
from erplan.emulate.topology import Node, Topology

FRR_BIN = Path("/usr/lib/frr")
FRR_RUN = Path("/var/run/frr")
FRR_ETC = Path("/etc/frr")
STATE = Path("/run/erplan-emulate")
PREFIX_RE = re.compile(r"^erp(\d+)x([0-9a-f]{4})-")
HELPER_MARK = "erplan-emulate"

Progress = Callable[[str], None]


class EmulationError(RuntimeError):
    """The network could not be built or did not converge."""


def new_prefix() -> str:
    return f"erp{os.getpid()}x{secrets.token_hex(2)}-"


def missing_tools() -> list[str]:
    """What the emulation needs and this machine lacks."""
    missing = [
        f"FRR {d}" for d in ("zebra", "bgpd", "ospfd", "staticd") if not (FRR_BIN / d).exists()
    ]
    missing += [t for t in ("ip", "nft", "vtysh", "conntrack") if shutil.which(t) is None]
    return missing


def run(argv: list[str], *, timeout: float = 30.0, check: bool = True) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise EmulationError(f"{' '.join(argv)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def ns_exec(ns: str, argv: list[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv]


def start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot), None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    if fields[0] in ("Z", "X"):  # daemons are re-parented to PID 1, which may reap them late
        return None
    return fields[19]


def alive(pid: int) -> bool:
    return start_time(pid) is not None


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def ours(pid: int, prefix: str) -> bool:
    """A process this emulation started for the run ``prefix``: an FRR daemon in one of its
    path spaces or a helper naming one of its namespaces."""
    cmd = cmdline(pid)
    if prefix not in cmd:
        return False
    return cmd.startswith(str(FRR_BIN) + "/") or HELPER_MARK in cmd


def stop(pids: list[int], grace: float = 1.0) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.02)
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


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


# -- leftovers -------------------------------------------------------------------------------


def run_prefix(name: str) -> str | None:
    m = PREFIX_RE.match(name)
    return m.group(0) if m else None


def owner_alive(prefix: str) -> bool:
    """True while the process that built this run is running (same PID and start time)."""
    m = PREFIX_RE.match(prefix)
    if m is None:
        return False
    pid = int(m.group(1))
    now = start_time(pid)
    if now is None:
        return False
    try:
        recorded = (STATE / prefix.rstrip("-") / "owner").read_text().split()
    except OSError:
        return True  # no record (killed before writing it): the PID alone decides
    return len(recorded) < 2 or recorded[1] == now


def kept(prefix: str) -> bool:
    return (STATE / prefix.rstrip("-") / "keep").exists()


def known_runs() -> set[str]:
    """Every run prefix with something left: namespaces, FRR directories, state, processes."""
    found: set[str] = set()
    for line in run(["ip", "netns", "list"], check=False).splitlines():
        p = run_prefix(line.split()[0]) if line.strip() else None
        if p:
            found.add(p)
    for base in (FRR_RUN, FRR_ETC):
        if base.is_dir():
            found.update(p for d in base.iterdir() if (p := run_prefix(d.name)))
    if STATE.is_dir():
        found.update(p for d in STATE.iterdir() if (p := run_prefix(d.name + "-")))
    for pid in _pids():
        cmd = cmdline(pid)
        for word in cmd.split():
            p = run_prefix(word)
            if p and (cmd.startswith(str(FRR_BIN) + "/") or HELPER_MARK in cmd):
                found.add(p)
    return found


def _pids() -> list[int]:
    return [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit()]


def remove_run(prefix: str) -> list[str]:
    """Stop the run's processes, delete its namespaces and directories. Returns namespaces."""
    stop([pid for pid in _pids() if pid != os.getpid() and ours(pid, prefix)])
    removed: list[str] = []
    for line in run(["ip", "netns", "list"], check=False).splitlines():
        name = line.split()[0] if line.strip() else ""
        if name.startswith(prefix):
            run(["ip", "netns", "del", name], check=False)
            removed.append(name)
    for base in (FRR_RUN, FRR_ETC):
        if base.is_dir():
            for d in base.iterdir():
                if d.name.startswith(prefix):
                    shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(STATE / prefix.rstrip("-"), ignore_errors=True)
    return removed


OSPFD_GR_STATE = FRR_RUN / "ospfd-gr.json"


def cleanup_leftovers(*, include_kept: bool = False, only: set[str] | None = None) -> list[str]:
    """Remove what dead runs left (never a run whose owner is alive; never a kept run unless
    ``include_kept``). Returns the run prefixes removed."""
    removed: list[str] = []
    for prefix in sorted(known_runs()):
        if only is not None and prefix not in only:
            continue
        if owner_alive(prefix) or (kept(prefix) and not include_kept):
            continue
        remove_run(prefix)
        removed.append(prefix)
    _forget_ospf_restart_state()
    return removed


def _forget_ospf_restart_state() -> None:
    """FRR 8.4's ospfd writes its graceful-restart state to one file for every instance,
    whatever its path space. Remove it only when it is empty and no ospfd runs at all: then
    it can only be ours (a host's own FRR keeps its ospfd running)."""
    try:
        state = json.loads(OSPFD_GR_STATE.read_text())
    except (OSError, ValueError):
        return
    if state != {"instances": {}}:
        return
    if any(cmdline(pid).startswith(str(FRR_BIN / "ospfd")) and alive(pid) for pid in _pids()):
        return
    OSPFD_GR_STATE.unlink(missing_ok=True)


def leftover_namespaces(prefixes: set[str] | None = None) -> list[str]:
    out = []
    for line in run(["ip", "netns", "list"], check=False).splitlines():
        name = line.split()[0] if line.strip() else ""
        p = run_prefix(name)
        if p and (prefixes is None or p in prefixes):
            out.append(name)
    return sorted(out)
