"""Meet-me planning (guide 001 "Determine the appropriate meet-me location"): per site, its
people, its latency to Microsoft's network over its internet egress and over each circuit, the
egress it should use, and the user-weighted latency of that plan against all-internet and
against the design as written; the WAN hairpins.

Given figures are read like for like (design notes, "Latency"): a site's ``internet_latency_ms``
and a circuit's ``access_latency_ms`` are user -> Microsoft network over that path, so both
sides stop where the request enters Microsoft's network. The figures of the path each site uses
as written are read from its traced flows; a circuit the site does not use is measured with the
same legs the trace would show (the WAN along the IGP's path to the circuit's site, then the
circuit's access leg).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from erplan.analyses.paths import (
    BREAKOUT,
    CIRCUIT,
    edge_shares,
    mean_to_network,
    name_of,
    users_rows,
)
from erplan.analyses.verdicts import FlowResult
from erplan.engine import Engine
from erplan.latency import Ms

if TYPE_CHECKING:
    from erplan.analyses.verdicts import Report
    from erplan.catalogs import Catalogs
    from erplan.tables import Table

INTERNET = "internet"
GUIDE = "guide 001 'Determine the appropriate meet-me location'"


@dataclass(frozen=True, slots=True)
class SiteRow:
    site: str
    users: int
    internet: Ms | None  # to Microsoft's network over the site's internet egress (traced)
    internet_egress: tuple[str, ...]  # breakouts the site's internet flows leave by
    via: dict[str, Ms]  # circuit -> to Microsoft's network over it
    as_written: Ms | None  # the site's ExpressRoute-able flows as the design routes them
    as_written_egress: tuple[str, ...]  # circuits and breakouts those flows leave by
    recommended: str  # a circuit name, or "internet"
    recommended_ms: float | None
    hairpins: tuple[str, ...]  # the nearest circuit, when it is over the WAN and slower than the
    # local internet
    hairpin_in_use: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "users": self.users,
            "internet_ms": _r(self.internet),
            "internet_estimated": None if self.internet is None else self.internet.estimated,
            "internet_egress": list(self.internet_egress),
            "expressroute_ms": {c: _r(m) for c, m in self.via.items()},
            "expressroute_estimated": {c: m.estimated for c, m in self.via.items()},
            "as_written_ms": _r(self.as_written),
            "as_written_egress": list(self.as_written_egress),
            "recommended": self.recommended,
            "recommended_ms": None
            if self.recommended_ms is None
            else round(self.recommended_ms, 2),
            "hairpins": list(self.hairpins),
            "hairpin_in_use": self.hairpin_in_use,
        }


@dataclass(frozen=True, slots=True)
class MeetMe:
    sites: tuple[SiteRow, ...]
    circuits: tuple[str, ...]
    plan_ms: float | None  # user-weighted, every site on its recommended egress
    internet_ms: float | None  # user-weighted, every site on its internet egress
    as_written_ms: float | None  # user-weighted, the design as written
    users: int
    notes: tuple[str, ...] = field(default=())
    # Per figure ("plan", "all_internet", "as_written"): the users of sites without that figure
    # (a site no egress serves), left out of it rather than blanking it.
    left_out: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "circuits": list(self.circuits),
            "sites": [s.to_dict() for s in self.sites],
            "user_weighted_ms": {
                "plan": _round(self.plan_ms),
                "all_internet": _round(self.internet_ms),
                "as_written": _round(self.as_written_ms),
            },
            "users": self.users,
            "users_left_out": {k: self.left_out.get(k, 0) for k in FIGURES},
            "hairpins": [
                {"site": s.site, "circuits": list(s.hairpins), "in_use": s.hairpin_in_use}
                for s in self.sites
                if s.hairpins
            ],
            "notes": list(self.notes),
            "guide": GUIDE,
        }


FIGURES = ("plan", "all_internet", "as_written")  # the user-weighted figures, as JSON names them


def _r(m: Ms | None) -> float | None:
    return None if m is None else round(m.ms, 2)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def circuit_options(engine: Engine, site: str) -> dict[str, Ms]:
    """To Microsoft's network from ``site`` over each circuit that is up: the WAN along the
    IGP's path to the circuit's site plus the circuit's access leg (given, else estimated)."""
    d, igp, geo = engine.design, engine.igp, engine.geo
    out: dict[str, Ms] = {}
    for name, c in d.circuits.items():
        if not engine.tables.links_up[name] or igp.stub(f"ce:{name}") is None:
            continue
        wan = igp.latency(f"site:{site}", f"site:{c.site}")
        if wan is None:
            continue
        out[name] = wan + geo.circuit_access(name)
    return out


def _current(edges: set[str], shares: dict[str, float]) -> str:
    """The egress a site's ExpressRoute-able traffic mostly uses as written."""
    if not shares:
        return INTERNET
    top = max(sorted(shares), key=lambda e: shares[e])
    return name_of(top) if top.startswith(CIRCUIT) else INTERNET


def site_row(
    engine: Engine, results: Sequence[FlowResult], site: str, tolerance_ms: float = 1.0
) -> SiteRow:
    d = engine.design
    users = d.sites[site].users
    inet_w = inet_ms = er_w = er_ms = 0.0
    inet_est = er_est = False
    inet_edges: set[str] = set()
    er_edges: set[str] = set()
    er_shares: dict[str, float] = {}
    for r in users_rows(results, site):
        t = r.trace
        n = len(r.flows)
        if r.flow.express_route:
            for kind in (CIRCUIT, BREAKOUT):
                got = mean_to_network(engine, t, kind)
                if got is not None:
                    share = sum(
                        b.weight
                        for b in t.branches
                        if b.outcome.works and (b.forward.edge or "").startswith(kind)
                    )
                    er_w += n * share
                    er_ms += n * share * got[0].ms
                    er_est = er_est or got[0].estimated
                    er_edges |= got[1]
                    for e, x in edge_shares(t).items():
                        er_shares[e] = er_shares.get(e, 0.0) + n * x
        elif not r.flow.third_party:
            got = mean_to_network(engine, t, BREAKOUT)
            if got is not None:
                inet_w += n
                inet_ms += n * got[0].ms
                inet_est = inet_est or got[0].estimated
                inet_edges |= got[1]
    internet = Ms(inet_ms / inet_w, inet_est) if inet_w else None
    as_written = Ms(er_ms / er_w, er_est) if er_w else None
    via = circuit_options(engine, site)
    options: list[tuple[float, int, str]] = [(m.ms, 1, c) for c, m in via.items()]
    if internet is not None:
        options.append((internet.ms, 0, INTERNET))  # the internet wins a tie: no circuit needed
    rec, rec_ms = (INTERNET, None)
    if options:
        best = min(options)
        rec, rec_ms = best[2], best[0]
        # Within the tolerance of the best, the design's own choice stands: a recommendation
        # changes an egress only for a gain the figures can show.
        current = _current(er_edges, er_shares)
        for ms, _, name in options:
            if name == current and ms <= best[0] + tolerance_ms:
                rec, rec_ms = name, ms
    # On a tie the site's own circuit is the nearest: an equally near one over the WAN is no
    # hairpin the site needs.
    nearest = min(
        via.items(), key=lambda kv: (kv[1].ms, d.circuits[kv[0]].site != site, kv[0]), default=None
    )
    hairpins: tuple[str, ...] = ()
    if (
        nearest is not None
        and internet is not None
        and d.circuits[nearest[0]].site != site
        and nearest[1].ms > internet.ms
    ):
        # The nearest circuit is reached over the WAN and is slower than the local internet.
        hairpins = (nearest[0],)
    in_use = any(e.startswith(CIRCUIT) and name_of(e) in hairpins for e in er_edges)
    return SiteRow(
        site,
        users,
        internet,
        tuple(sorted(name_of(e) for e in inet_edges)),
        dict(sorted(via.items())),
        as_written,
        tuple(sorted(er_edges)),
        rec,
        rec_ms,
        hairpins,
        in_use,
    )


def meetme(engine: Engine, results: Sequence[FlowResult], tolerance_ms: float = 1.0) -> MeetMe:
    """The meet-me table of every site with users. ``tolerance_ms``: within it of the best, the
    egress the design uses stays the recommendation."""
    d = engine.design
    by_site: dict[str, list[FlowResult]] = {}
    for r in results:
        by_site.setdefault(r.flow.origin, []).append(r)
    rows = [
        site_row(engine, by_site.get(s, []), s, tolerance_ms)
        for s, site in d.sites.items()
        if site.users > 0
    ]
    users = sum(r.users for r in rows)
    notes: list[str] = []
    left_out: dict[str, int] = {}

    def weighted(pick: str) -> float | None:
        """Over the sites that have the figure; the users of the others are counted apart,
        so one site no egress serves does not blank the figure of every other."""
        total = 0.0
        covered = 0
        for r in rows:
            if pick == "plan":
                ms = r.recommended_ms
            elif pick == "all_internet":
                ms = None if r.internet is None else r.internet.ms
            else:
                ms = None if r.as_written is None else r.as_written.ms
            if ms is None:
                if r.users:
                    missing.setdefault(r.site, []).append(pick.replace("_", " "))
                    left_out[pick] = left_out.get(pick, 0) + r.users
                continue
            total += r.users * ms
            covered += r.users
        return total / covered if covered else None

    missing: dict[str, list[str]] = {}
    plan, inet, written = (weighted(k) for k in FIGURES)
    for row in rows:
        if row.site in missing:
            what = " or ".join(missing[row.site])
            them = "those user-weighted figures" if len(missing[row.site]) > 1 else "that figure"
            notes.append(
                f"site {row.site}: no {what} figure; its {row.users:,} users are left out of {them}"
            )
    return MeetMe(
        tuple(rows), tuple(d.circuits), plan, inet, written, users, tuple(notes), left_out
    )


def report_tables(loaded: Any, catalogs: Catalogs, report: Report) -> list[Table]:
    """The meet-me table in ``erplan report`` (``erplan.report.sections.PLANNING_HOOKS``),
    read off the flows the report traced."""
    from erplan.plan_tables import meetme_tables

    return meetme_tables(meetme(Engine(loaded.design, catalogs), report.results))
