"""Emulate a design end to end: translate, build, probe every flow, compare with the model."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from erplan.emulate.netns import Network, Progress, Timings, build
from erplan.emulate.nft import SYN_IN, SYN_OUT, SYNACK_IN, SYNACK_OUT
from erplan.emulate.translate import Emulated, FlowSpec, translate
from erplan.model import Design

WORKING = frozenset({"ok", "suboptimal", "asymmetric"})
BROKEN = frozenset({"dropped", "blackhole", "unreachable"})


@dataclass(frozen=True)
class FlowOutcome:
    spec: FlowSpec
    ok: int
    total: int
    forward: tuple[str, ...]  # edges that saw the connection leave (outbound) or enter
    back: tuple[str, ...]  # edges that saw the replies
    probe: str  # id of the flow whose probe this outcome comes from (itself when probed)

    @property
    def fraction(self) -> float:
        return self.ok / self.total if self.total else 0.0

    @property
    def agrees(self) -> bool | None:
        """Model and emulation agree: working flows all succeed, broken ones do not."""
        expected = self.spec.expected
        if expected in WORKING:
            return self.ok == self.total
        if expected in BROKEN:
            return self.ok < self.total
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.spec.id,
            "direction": self.spec.direction,
            "destination": str(self.spec.destination),
            "port": self.spec.port,
            "model": {"verdict": self.spec.expected, "path": self.spec.model_path},
            "emulation": {
                "succeeded": self.ok,
                "attempted": self.total,
                "fraction": round(self.fraction, 4),
                "forward_edges": list(self.forward),
                "return_edges": list(self.back),
                "probe": self.probe,
            },
            "agrees": self.agrees,
        }


@dataclass
class EmulationReport:
    name: str
    prefix: str
    outcomes: list[FlowOutcome]
    timings: Timings
    model_s: float = 0.0
    notes: tuple[str, ...] = ()
    routers: list[tuple[str, str]] = field(default_factory=list)  # (label, namespace)
    kept: bool = False
    probes: int = 0

    @property
    def disagreements(self) -> list[FlowOutcome]:
        return [o for o in self.outcomes if o.agrees is False]

    def to_dict(self) -> dict[str, Any]:
        return {
            "design": self.name,
            "prefix": self.prefix,
            "kept": self.kept,
            "timings_s": {
                "model": round(self.model_s, 3),
                "build": round(self.timings.build_s, 3),
                "converge": round(self.timings.converge_s, 3),
                "test": round(self.timings.test_s, 3),
                "teardown": round(self.timings.teardown_s, 3),
            },
            "flows": len(self.outcomes),
            "probes": self.probes,
            "agree": sum(1 for o in self.outcomes if o.agrees),
            "disagree": len(self.disagreements),
            "notes": list(self.notes),
            "routers": [{"label": lbl, "namespace": ns} for lbl, ns in self.routers],
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


def _class_key(spec: FlowSpec, client: tuple[str, Any], every_flow: bool) -> tuple[Any, ...]:
    """Flows that behave identically in the emulated network share one probe (unless
    ``every_flow``): same client, direction, port, and route class of the destination."""
    if every_flow:
        return (spec.id,)
    if spec.direction == "outbound":
        return (
            "out",
            client,
            spec.port,
            spec.community,
            spec.prefix is not None and spec.community,
        )
    return ("in", client, spec.port, spec.destination, spec.service)


def probe_flows(
    net: Network,
    emulated: Emulated,
    specs: list[FlowSpec],
    connections: int,
    every_flow: bool = False,
    timeout: float = 1.2,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[FlowOutcome], int]:
    say = progress or (lambda _m: None)
    done: dict[tuple[Any, ...], FlowOutcome] = {}
    outcomes: list[FlowOutcome] = []
    labels = {e.node: e.label for e in emulated.edges}
    for spec in specs:
        client = emulated.clients.get(spec.id)
        if client is None:
            continue
        key = _class_key(spec, client, every_flow)
        shared = done.get(key)
        if shared is not None:
            outcomes.append(
                FlowOutcome(
                    spec, shared.ok, shared.total, shared.forward, shared.back, shared.probe
                )
            )
            continue
        say(f"probing {spec.id}")
        before = {n: net.counters(n) for n in labels}
        ok, total = net.probe(
            client[0], str(client[1]), str(spec.destination), spec.port, connections, timeout
        )
        after = {n: net.counters(n) for n in labels}
        fwd_name, back_name = (
            (SYN_OUT, SYNACK_IN) if spec.direction == "outbound" else (SYN_IN, SYNACK_OUT)
        )
        fwd = tuple(labels[n] for n in labels if after[n][fwd_name] > before[n][fwd_name])
        back = tuple(labels[n] for n in labels if after[n][back_name] > before[n][back_name])
        outcome = FlowOutcome(spec, ok, total, fwd, back, spec.id)
        done[key] = outcome
        outcomes.append(outcome)
    return outcomes, len(done)


def emulate(
    design: Design,
    specs: list[FlowSpec],
    *,
    connections: int = 32,
    every_flow: bool = False,
    keep: bool = False,
    prefix: str | None = None,
    progress: Progress | None = None,
    model_s: float = 0.0,
) -> EmulationReport:
    """Build ``design`` for real, open ``connections`` TCP connections per flow, tear down
    (unless ``keep``), and return each flow's outcome beside the model's verdict."""
    emulated = translate(design, specs)
    net = build(emulated.topology, prefix, progress=progress)
    try:
        t0 = time.monotonic()
        outcomes, probes = probe_flows(
            net, emulated, specs, connections, every_flow=every_flow, progress=progress
        )
        net.timings.test_s = time.monotonic() - t0
        routers = [
            (n.label or n.name, net.ns(n.name))
            for n in emulated.topology.nodes
            if n.bgp is not None
        ]
        report = EmulationReport(
            design.name or "design",
            net.prefix,
            outcomes,
            net.timings,
            model_s=model_s,
            notes=emulated.topology.notes,
            routers=routers,
            kept=keep,
            probes=probes,
        )
    except BaseException:
        net.teardown()
        raise
    if keep:
        net.release()
    else:
        net.teardown()
    return report
