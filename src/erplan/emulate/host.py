"""What the emulation touches on the host, and how it recognises its own: FRR's paths, the
command runner, the processes a run started (by the run's prefix on their command line), and
the runs left behind by a process that is gone, with their removal.

A run's prefix ``erp<owner pid>x<4 hex>-`` names everything it creates (netns.py builds it).
``cleanup_leftovers`` removes a run only when its owner process is gone, and never a run kept
with ``--keep`` unless asked to; only processes whose command line names the run's prefix (FRR
daemons started with ``-N``, erplan helpers) are ever signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

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
