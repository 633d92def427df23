"""A run never touches the root namespace and never leaves anything --cleanup cannot remove;
--cleanup never touches a live run or a kept one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulation import designs
from emulation.conftest_helpers import CATALOGS, EXAMPLES
from erplan.emulate import host, netns
from erplan.emulate.network import plan
from erplan.load import load_mapping

pytestmark = pytest.mark.emulation

ERPLAN = str(Path(sys.executable).with_name("erplan"))
SMALL = EXAMPLES / "g000-fig10-snat.yaml"


def _prefix_of(pid: int) -> str | None:
    for line in host.run(["ip", "netns", "list"], check=False).splitlines():
        name = line.split()[0] if line.strip() else ""
        p = host.run_prefix(name)
        if p and p.startswith(f"erp{pid}x"):
            return p
    return None


def _traces(prefix: str) -> list[str]:
    """Everything of a run still on the machine."""
    left = [f"netns {n}" for n in host.leftover_namespaces({prefix})]
    for base in (host.FRR_RUN, host.FRR_ETC):
        left += [f"dir {d}" for d in base.glob(f"{prefix}*")] if base.is_dir() else []
    if (host.STATE / prefix.rstrip("-")).exists():
        left.append("state dir")
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and prefix in host.cmdline(int(d.name)) and host.alive(int(d.name)):
            left.append(f"process {d.name}: {host.cmdline(int(d.name))[:80]}")
    return left


def _stage_namespaces(pid: int) -> bool:
    return _prefix_of(pid) is not None


def _stage_daemons(pid: int) -> bool:
    p = _prefix_of(pid)
    return p is not None and any(host.FRR_RUN.glob(f"{p}*/bgpd.pid"))


def _stage_probing(pid: int) -> bool:
    p = _prefix_of(pid)
    if p is None:
        return False
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            cmd = host.cmdline(int(d.name))
            if p in cmd and "erplan.emulate.probe" in cmd:
                return True
    return False


@pytest.fixture
def erplan_runs() -> Iterator[list[subprocess.Popen[bytes]]]:
    """erplan processes a test starts: killed and cleaned up whatever happens."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()
        prefix = _prefix_of(p.pid)
        for found in host.known_runs():
            if found.startswith(f"erp{p.pid}x"):
                host.remove_run(found)
        if prefix:
            host.remove_run(prefix)


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [ERPLAN, "emulate", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_for(check: Callable[[int], bool], pid: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not check(pid):
        assert time.monotonic() < deadline, f"stage {check.__name__} not reached"
        time.sleep(0.05)


@pytest.mark.parametrize("stage", [_stage_namespaces, _stage_daemons, _stage_probing])
def test_kill_9_leaves_nothing_cleanup_cannot_remove(
    stage: Callable[[int], bool], erplan_runs: list[subprocess.Popen[bytes]]
) -> None:
    proc = _start([str(SMALL)])
    erplan_runs.append(proc)
    _wait_for(stage, proc.pid)
    prefix = _prefix_of(proc.pid)
    assert prefix is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.2)
    assert _traces(prefix), "nothing left to clean: the kill came too late to test anything"
    removed = host.cleanup_leftovers(only={prefix})
    assert removed == [prefix]
    assert _traces(prefix) == []


def test_cleanup_spares_live_and_kept_runs(erplan_runs: list[subprocess.Popen[bytes]]) -> None:
    kept = _start(["--keep", str(SMALL)])
    erplan_runs.append(kept)
    assert kept.wait(timeout=180) in (0, 1)
    kept_prefix = next(p for p in host.known_runs() if p.startswith(f"erp{kept.pid}x"))
    dead = _start([str(SMALL)])
    erplan_runs.append(dead)
    _wait_for(_stage_daemons, dead.pid)
    dead_prefix = _prefix_of(dead.pid)
    assert dead_prefix is not None
    os.kill(dead.pid, signal.SIGKILL)
    dead.wait()
    loaded = load_mapping(designs.public_and_private(), "live", CATALOGS)
    with netns.build(plan(loaded.design, CATALOGS).topology) as live:
        mine = {live.prefix, kept_prefix, dead_prefix}
        assert host.cleanup_leftovers(only=mine) == [dead_prefix]
        assert host.leftover_namespaces({live.prefix}), "a live run was removed"
        assert host.leftover_namespaces({kept_prefix}), "a kept run was removed"
        assert host.cleanup_leftovers(include_kept=True, only=mine) == [kept_prefix]
        assert host.leftover_namespaces({live.prefix}), "a live run was removed"
    assert _traces(kept_prefix) == [] and _traces(dead_prefix) == []


def _root_state() -> tuple[set[str], set[str], set[str]]:
    links = {str(i.get("ifname")) for i in json.loads(host.run(["ip", "-j", "link", "show"]))}
    routes = set(host.run(["ip", "route", "show", "table", "all"]).splitlines())
    routes |= set(host.run(["ip", "-6", "route", "show", "table", "all"]).splitlines())
    listening = set(host.run(["ss", "-Hlntup"]).splitlines())
    return links, routes, listening


def test_no_interface_route_or_listener_reaches_the_root_namespace() -> None:
    before = _root_state()
    loaded = load_mapping(designs.dnat_two_edges_stateful(), "root", CATALOGS)
    with netns.build(plan(loaded.design, CATALOGS).topology) as net:
        during = _root_state()
        ours = {str(p) for p in net.pids} | {str(h.pid) for h in net.helpers}
        # Our servers listen, but in their namespaces: none is a root-namespace socket.
        assert net.helpers and all(h.poll() is None for h in net.helpers)
        leaked = [s for s in during[2] if any(f"pid={p}," in s for p in ours)]
        assert not leaked, leaked
    after = _root_state()
    assert during[0] == before[0] == after[0]
    assert during[1] == before[1] == after[1]
    assert after[2] == before[2]
