"""What a failure does to people and flows, from the baseline and the failed state.

Per site: the users who lose ExpressRoute (their ExpressRoute-able traffic no longer leaves by
a circuit), split into those whose traffic now breaks and those whose traffic falls to the
internet. The internet as a backup is a manual failover (guide 001: "manual configuration would
be required to fail over considering the BGP advertisements that have been configured, NAT
configuration, DNS configuration, and the proxy configuration"): those users lose ExpressRoute
service until someone acts, even where the engine shows the internet path working. Failover to
another circuit is what redundancy is for: reported as users moved and their latency, not as a
defect. Flows whose verdict changes are listed (asymmetry or drops that appear only after the
failover included). A failure that leaves any user without service they had, or breaks any
flow, is a single point of failure (guide 001: "No single points of failure, including both
Internet and ExpressRoute circuits").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from erplan.analyses.failure_atoms import Atom, describe
from erplan.analyses.failures import Baseline, Origin, Outcome
from erplan.analyses.summary import ERRORS, FlowState
from erplan.model import ProxyMode

_RANK = {"ok": 0, "suboptimal": 1, "asymmetric": 2, "dropped": 3, "blackhole": 3, "unreachable": 4}
GUIDE_SPOF = "guide 001 'Designing your availability plan': no single points of failure"
GUIDE_MANUAL = "guide 001 'Example: Failover and High Availability' (internet as a backup)"


@dataclass(frozen=True, slots=True)
class SiteImpact:
    site: str
    users: int
    lose_er: int  # users whose ExpressRoute traffic no longer leaves by a circuit
    broken: int  # users with flows that newly fail
    to_internet: int  # of lose_er, those whose traffic works over the internet (manual)
    moved: int  # users whose ExpressRoute traffic fails over to other circuits (the share)
    before: tuple[str, ...]  # circuits used before
    after: tuple[str, ...]  # circuits used after
    ms_before: float | None  # to Microsoft's network, ExpressRoute-able flows
    ms_after: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "users": self.users,
            "lose_expressroute": self.lose_er,
            "broken": self.broken,
            "to_internet_manual": self.to_internet,
            "failed_over": self.moved,
            "circuits_before": list(self.before),
            "circuits_after": list(self.after),
            "ms_before": _r(self.ms_before),
            "ms_after": _r(self.ms_after),
        }


@dataclass(frozen=True, slots=True)
class Change:
    origin: str
    direction: str
    before: str
    after: str
    flows: int
    share: float
    cause: str
    worse: bool
    keys: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "direction": self.direction,
            "before": self.before,
            "after": self.after,
            "flows": self.flows,
            "share": round(self.share, 6),
            "cause": self.cause,
            "worse": self.worse,
            "keys": list(self.keys[:5]),
        }


@dataclass(frozen=True, slots=True)
class Impact:
    atoms: tuple[Atom, ...]
    label: str
    sites: tuple[SiteImpact, ...]
    changes: tuple[Change, ...]
    users_affected: int  # lose ExpressRoute or broken (per site, the larger)
    users_lose_er: int
    users_to_internet: int
    users_broken: int
    users_moved: int
    services_broken: tuple[str, ...]
    spof: bool
    manual_steps: tuple[str, ...]
    load: dict[str, float] = field(default_factory=dict)  # circuit -> Mbps after, if changed
    retraced_rows: int = 0

    @property
    def key(self) -> str:
        return " + ".join(a.key for a in self.atoms)

    def to_dict(self, *, detail: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "failure": self.key,
            "what": self.label,
            "users_affected": self.users_affected,
            "users_lose_expressroute": self.users_lose_er,
            "users_to_internet_manual": self.users_to_internet,
            "users_broken": self.users_broken,
            "users_failed_over": self.users_moved,
            "services_broken": list(self.services_broken),
            "single_point_of_failure": self.spof,
            "flows_changed": sum(c.flows for c in self.changes),
            "flows_broken": sum(c.flows for c in self.changes if c.after in ERRORS),
            "manual_steps": list(self.manual_steps),
            "circuit_load_mbps": {c: round(x, 1) for c, x in sorted(self.load.items())},
        }
        if detail:
            out["sites"] = [s.to_dict() for s in self.sites]
            out["changes"] = [c.to_dict() for c in self.changes]
        return out


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _site_rows(states: dict[Origin, list[FlowState]], site: str) -> list[FlowState]:
    """A site's people's rows: its outbound flows and its DNS."""
    return [*states.get(("users", site), []), *states.get(("dns", site), [])]


def impact(base: Baseline, out: Outcome) -> Impact:
    d = base.design
    changes: dict[tuple[str, str, str, str, str], list[str]] = {}
    shares: dict[tuple[str, str, str, str, str], float] = {}
    touched_sites: set[str] = set()
    services: set[str] = set()
    for origin, states in out.origins.items():
        if origin[0] in ("users", "dns"):
            touched_sites.add(origin[1])
        before = {k: st for st in base.origin_states.get(origin, []) for k in st.keys}
        for a in states:
            for k in a.keys:
                b = before.get(k)
                if b is None or a.verdict == b.verdict:
                    continue
                key = (a.origin, a.direction, b.verdict, a.verdict, a.cause)
                changes.setdefault(key, []).append(k)
                shares[key] = max(shares.get(key, 0.0), a.share)
                if a.direction == "inbound" and a.verdict in ERRORS:
                    services.add(a.origin)
    change_list = tuple(
        sorted(
            (
                Change(
                    o,
                    dr,
                    bv,
                    av,
                    len(ks),
                    shares[(o, dr, bv, av, c)],
                    c,
                    _RANK[av] > _RANK[bv],
                    tuple(ks),
                )
                for (o, dr, bv, av, c), ks in changes.items()
            ),
            # A total order: the origins come from sets, whose order varies between runs.
            key=lambda c: (
                not c.worse,
                -c.flows,
                c.origin,
                c.direction,
                c.before,
                c.after,
                c.cause,
            ),
        )
    )
    sites: list[SiteImpact] = []
    for name in sorted(touched_sites):
        if name not in d.sites or d.sites[name].users <= 0:
            continue
        sites.append(_site(base, out, name))
    lose = sum(s.lose_er for s in sites)
    broken = sum(s.broken for s in sites)
    inet = sum(s.to_internet for s in sites)
    moved = sum(s.moved for s in sites)
    affected = sum(max(s.lose_er, s.broken) for s in sites)
    flows_broken = any(c.worse and c.after in ERRORS for c in change_list)
    # A pair (--depth 2, or several --failure) that hurts is reported and ranked, but it is not
    # a *single* point of failure (guide 001's test): only one element failing alone is.
    spof = len(out.atoms) == 1 and (affected > 0 or flows_broken)
    return Impact(
        out.atoms,
        " + ".join(describe(a, d) for a in out.atoms),
        tuple(s for s in sites if s.lose_er or s.broken or s.moved),
        change_list,
        affected,
        lose,
        inet,
        broken,
        moved,
        tuple(sorted(services)),
        spof,
        manual_steps(base, sites) if inet else (),
        _load_delta(base, out),
        out.retraced_rows,
    )


def _site(base: Baseline, out: Outcome, name: str) -> SiteImpact:
    users = base.design.sites[name].users
    merged = {**base.origin_states, **out.origins}
    before, after = _site_rows(base.origin_states, name), _site_rows(merged, name)
    b_er = [s for s in before if s.express_route and s.direction == "outbound"]
    a_by = {s.keys[0]: s for s in after}
    lose = inet = broken = moved = 0.0
    for s in b_er:
        a = a_by.get(s.keys[0]) or _find(after, s.keys[0])
        if a is None:
            continue
        drop = max(0.0, s.er_share - a.er_share)
        if drop > lose:
            lose = drop
            inet = min(drop, sum(x for e, x in a.edges if e.startswith("breakout:")))
        # The share that left circuits the flow no longer uses, less what left ExpressRoute:
        # a site split over two circuits moves only the half on the one that failed.
        now = {e for e, _ in a.edges if e.startswith("circuit:")}
        gone = sum(x for e, x in s.edges if e.startswith("circuit:") and e not in now)
        moved = max(moved, gone - drop)
    for s in before:
        a = a_by.get(s.keys[0]) or _find(after, s.keys[0])
        if a is not None:
            broken = max(broken, a.failing - s.failing)
    circ_b = _circuits(b_er)
    a_er = [x for x in after if x.express_route and x.direction == "outbound"]
    circ_a = _circuits(a_er)
    return SiteImpact(
        name,
        users,
        round(users * lose),
        round(users * broken),
        round(users * inet),
        round(users * moved),
        circ_b,
        circ_a,
        _mean_ms(b_er),
        _mean_ms(a_er),
    )


def _find(states: list[FlowState], key: str) -> FlowState | None:
    for s in states:
        if key in s.keys:
            return s
    return None


def _circuits(states: list[FlowState]) -> tuple[str, ...]:
    return tuple(
        sorted({e.split(":", 1)[1] for s in states for e, _ in s.edges if e.startswith("circuit:")})
    )


def _mean_ms(states: list[FlowState]) -> float | None:
    got = [s.network_ms for s in states if s.network_ms is not None]
    return sum(got) / len(got) if got else None


def _load_delta(base: Baseline, out: Outcome) -> dict[str, float]:
    if not out.load_by_site:
        return {}
    if base.load_total is None:
        # Summed once per baseline, in the same order every failure would sum it.
        base.load_total = {}
        for per in base.load_by_site.values():
            for e, x in per.items():
                base.load_total[e] = base.load_total.get(e, 0.0) + x
    before = base.load_total
    total = dict(before)
    for site, per in out.load_by_site.items():
        for e, x in base.load_by_site.get(site, {}).items():
            total[e] = total.get(e, 0.0) - x
        for e, x in per.items():
            total[e] = total.get(e, 0.0) + x
    return {
        e.split(":", 1)[1]: max(0.0, x)
        for e, x in total.items()
        if e.startswith("circuit:") and abs(x - before.get(e, 0.0)) > 1e-9
    }


def manual_steps(base: Baseline, sites: list[SiteImpact]) -> tuple[str, ...]:
    """What someone must change before the internet carries the lost ExpressRoute traffic
    as designed (guide 001: BGP advertisements, NAT, DNS and proxy configuration)."""
    d = base.design
    names = [s.site for s in sites if s.to_internet]
    breakouts = sorted({b for s in names if (b := d.site_breakout(s)) is not None})
    circuits = sorted({c for s in sites if s.to_internet for c in s.before})
    # Only a PAC file sends the ExpressRoute-able URLs DIRECT (mode all sends them to the proxy).
    pac = sorted(s for s in names if d.sites[s].proxy.mode is ProxyMode.PAC)
    steps = [
        f"NAT: translate the Microsoft 365 traffic of {', '.join(names)} at breakout(s) "
        f"{', '.join(breakouts) or '-'} with their internet NAT, not into the pools of "
        f"{', '.join(circuits)}",
        "BGP advertisements: advertise the internet NAT addresses to the internet and stop "
        f"relying on what {', '.join(circuits)} advertised to Microsoft; withdraw or keep "
        "ExpressRoute routes away from these sites so nothing returns by a half-working path",
        "DNS: check that the sites' resolver egress still answers with front ends near the "
        "internet breakout now used",
    ]
    if pac:
        steps.append(
            f"Proxy/PAC: the PAC files of {', '.join(pac)} send ExpressRoute-able URLs DIRECT: "
            "point them at the proxy (or the internet path) until ExpressRoute is back"
        )
    return tuple(steps)
