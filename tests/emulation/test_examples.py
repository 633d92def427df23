"""Every shipped example built for real: each builds, converges and runs every flow; where the
example's own header states what happens to real connections, that is what is seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulation.conftest_helpers import EXAMPLES, assert_agrees, describe, flows, run_file
from erplan.emulate.results import FlowResult

pytestmark = pytest.mark.emulation

BROKEN = {
    # One pool on two circuits: Microsoft returns over both, the other edge never saw it.
    "g000-fig16-shared-pool",
    # The DNS record leads nowhere Microsoft has a route to.
    "g000-fig13-as-written",
    # The reply bypasses the entry that holds the DNAT and meets a firewall that never saw it.
    "g001-problem1-inbound-internet-no-snat",
    "g001-problem2-inbound-er-no-snat",
}
# Examples of the flows a real design carries whose headers name flows that fail: those flows
# fail for real (at least in part), every other flow works.
PARTLY_BROKEN = {
    "g000-per-link-state",
    "g000-proxy-only-direct",
    "g000-internet-nat-over-expressroute",
    "g001-inbound-mail-over-expressroute",
    "g001-other-microsoft-services",
}
# Examples the emulation cannot show yet: a strict expected failure each, so the day it can, the
# marker must go (none today).
NOT_EMULATED: dict[str, str] = {}
# Examples whose flows of one kind are compared with the model flow by flow (share and edges):
# initiators outside the advertised prefixes, servers (UDP flows are, in every example).
AGREE = {
    "g001-inbound-mail-over-expressroute": "in/",
    "g001-other-microsoft-services": "in/",
    "g001-servers-outbound": "srv/",
    # Users of a proxy-only site, never their resolver's or proxy's address standing for them.
    "g000-proxy-only-direct": "out/",
}
# Examples whose UDP flows are compared with their TCP flows instead of the model, and why.
UDP_LIKE_TCP: dict[str, str] = {}
ALL = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
PARAMS = [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=NOT_EMULATED[n]))
    if n in NOT_EMULATED
    else n
    for n in ALL
]


def _failing_in_the_model(path: Path) -> set[str]:
    """The flows the example's header (and so the model's verify) calls failing."""
    from erplan.analyses.verdicts import verify
    from erplan.catalogs import load_catalogs
    from erplan.load import load_design

    catalogs = load_catalogs()
    report = verify(load_design(path, catalogs), catalogs)
    return {
        f.key
        for r in report.results
        if r.verdict.value in ("dropped", "blackhole", "unreachable")
        for f in r.flows
    }


def _every_connection_works(f: FlowResult) -> None:
    assert f.completed == f.attempted, describe(f)
    assert {c.outcome for c in f.connections} == {"ok"}, describe(f)


@pytest.mark.parametrize("name", PARAMS)
def test_example_builds_runs_and_behaves_as_its_header_says(name: str) -> None:
    # More connections where a share must be seen strictly between 0 and 1.
    broken = name in BROKEN or name in PARTLY_BROKEN
    path = Path(EXAMPLES / f"{name}.yaml")
    report = run_file(path, connections=24 if broken else 12)
    assert not report.problems, [f.problem for f in report.problems]
    assert all(f.attempted > 0 for f in report.flows)
    by_key = flows(report)
    # UDP flows (media, QUIC) of every example are compared with the model flow by flow.
    udp = [k for k, f in by_key.items() if f.spec.proto == "udp"]
    compared = [] if name in UDP_LIKE_TCP else list(udp)
    for key in udp if name in UDP_LIKE_TCP else []:
        tcp = by_key.get(key.removesuffix("/udp"))
        if tcp is not None and tcp is not by_key[key]:
            assert by_key[key].completed == tcp.completed, (describe(by_key[key]), describe(tcp))
    if name in AGREE:
        compared += [k for k in by_key if k.startswith(AGREE[name]) and k not in compared]
    if compared:
        assert_agrees(path, report, compared)
    if name in PARTLY_BROKEN:
        failing = _failing_in_the_model(path)
        assert failing & set(by_key), (failing, sorted(by_key))
        for key, f in by_key.items():
            if key in failing:
                assert f.completed < f.attempted, describe(f)
            else:
                _every_connection_works(f)
        return
    if name not in BROKEN:
        for f in report.flows:
            _every_connection_works(f)
        return
    if name == "g000-fig16-shared-pool":
        for f in report.flows:
            if f.spec.direction == "outbound" and f.spec.endpoint_set in (1, 2, 9, 10):
                assert 0 < f.completed < f.attempted, describe(f)
                assert {c.outcome for c in f.connections if not c.ok} == {"dropped"}
        return
    # The inbound flows the header names (from Microsoft) fail; internet users' may work.
    failing = _failing_in_the_model(path)
    inbound = [f for f in report.flows if f.spec.direction == "inbound" and f.spec.key in failing]
    assert inbound and all(f.completed == 0 for f in inbound), [describe(f) for f in inbound]
    expected = "unreachable" if name == "g000-fig13-as-written" else "dropped"
    for f in inbound:
        assert {c.outcome for c in f.connections} == {expected}, describe(f)
    for key, f in by_key.items():
        if f not in inbound:
            _every_connection_works(f)
        assert key == f.spec.key
