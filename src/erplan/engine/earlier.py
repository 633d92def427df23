"""A flow's earlier connections: the DNS query and the legs to its proxies must work before the
connection itself. Their failing share fails the flow (unreachable: its own request is never
sent), the rest goes on; a leg to the first proxy leads the way, its hops first out and last
back. What the tracer builds its traces from, kept apart from how it traces each kind."""

from __future__ import annotations

from erplan.engine.origins import ProxyHop
from erplan.engine.sessions import Culprit
from erplan.engine.trace import Branch, Disposition, Flow, FlowTrace, Outcome, Path


def failed(
    flow: Flow,
    why: str,
    culprit: Culprit,
    outcome: Outcome = Outcome.UNREACHABLE,
    cause: str = "no-route",
) -> FlowTrace:
    """A flow that fails before any packet of its own is sent, for ``why``."""
    path = Path((), Disposition(outcome.value), why, None, culprit, cause)
    return FlowTrace(flow, (Branch(1.0, path, None, outcome, why, culprit),))


def combine(
    flow: Flow,
    before: list[Branch],
    main: list[Branch],
    why: str,
    cause: str,
    notes: tuple[tuple[str, float, str], ...] = (),
    *,
    lead: bool = False,
) -> FlowTrace:
    """A flow that needs an earlier connection (to the resolver, to a proxy) to work first:
    that connection's failing share fails the flow, the rest goes on as ``main``. With
    ``lead``, the earlier connection leads to the start of ``main`` (the users' leg to their
    proxy): its hops come first on the way out and last on the way back."""
    fails = [b for b in before if not b.outcome.works]
    share = sum(b.weight for b in fails)
    # The failing share's own request is never sent: it crosses nothing but the edge its leg
    # to the proxy (``lead``) left by before it failed.
    out = [
        Branch(
            b.weight,
            Path(
                (),
                Disposition.UNREACHABLE,
                f"{why}: {b.reason}",
                b.forward.edge if lead else None,
                b.culprit,
                cause,
            ),
            None,
            Outcome.UNREACHABLE,
            f"{why}: {b.reason}",
            b.culprit,
            b.ties,
        )
        for b in fails
    ]
    works = [b for b in before if b.outcome.works]
    total = sum(b.weight for b in works)
    if lead and works and total > 0.0:
        out.extend(_led(p, b, p.weight / total * (1.0 - share)) for p in works for b in main)
    else:
        out.extend(b._replace(weight=b.weight * (1.0 - share)) for b in main)
    if fails:
        notes = ((why, share, "; ".join(dict.fromkeys(b.reason for b in fails))), *notes)
    return FlowTrace(flow, tuple(out), notes)


def proxy_down(hop: ProxyHop, leg: Branch | None) -> Branch:
    """A connection to a proxy that is down: it got as far as ``leg`` took it (None: nowhere
    the trace shows), and nothing answered."""
    why, culprit = f"the proxy {hop.name} is down", ("devices", hop.name)
    edge = leg.forward.edge if leg is not None else None
    down = Path((), Disposition.BLACKHOLE, why, edge, culprit, "down")
    if leg is None:
        return Branch(1.0, down, None, Outcome.BLACKHOLE, why, culprit)
    return Branch(leg.weight, down, None, Outcome.BLACKHOLE, why, culprit, leg.ties)


def _led(leg: Branch, b: Branch, share: float) -> Branch:
    """Branch ``b`` reached through ``leg``: the leg's hops before it, and after its reply."""
    fwd = b.forward._replace(
        hops=leg.forward.hops + b.forward.hops,
        edge=b.forward.edge or leg.forward.edge,
        ms=leg.forward.ms + b.forward.ms,
        estimated=leg.forward.estimated or b.forward.estimated,
    )
    back = b.back
    if back is not None and leg.back is not None:
        back = back._replace(
            hops=back.hops + leg.back.hops,
            edge=back.edge or leg.back.edge,
            ms=back.ms + leg.back.ms,
            estimated=back.estimated or leg.back.estimated,
        )
    ties = tuple(dict.fromkeys((*leg.ties, *b.ties)))
    return b._replace(weight=b.weight * share, forward=fwd, back=back, ties=ties)


def failing_reason(trace: FlowTrace) -> str:
    """The first failing branch's reason, as a later flow's failure quotes it."""
    reasons = [b.reason for b in trace.branches if not b.outcome.works]
    return reasons[0] if reasons else "no answer"


def failing_culprit(trace: FlowTrace) -> Culprit:
    """The first culprit a failing branch names: what a fix of the earlier connection changes."""
    for b in trace.branches:
        if not b.outcome.works and b.culprit:
            return b.culprit
    return ()
