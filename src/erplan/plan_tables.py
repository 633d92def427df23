"""The planning analyses as tables (meet-me, the optimizer's sweep, failures, bandwidth): the
command line prints them and the report shows them, from one definition."""

from __future__ import annotations

from typing import TYPE_CHECKING

from erplan.tables import Table

if TYPE_CHECKING:
    from erplan.analyses.bandwidth import Bandwidth
    from erplan.analyses.impact import Impact
    from erplan.analyses.meetme import MeetMe
    from erplan.analyses.optimize import Problem, Solution


def _ms(x: float | None, estimated: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x:.1f}{'~' if estimated else ''}"


def meetme_tables(table: MeetMe) -> list[Table]:
    circuits = list(table.circuits)
    head = ["site", "users", "internet ms", *[f"via {c} ms" for c in circuits]]
    head += ["as written", "recommended", "hairpin"]
    body: list[list[str]] = []
    for r in table.sites:
        row = [
            r.site,
            f"{r.users:,}",
            _ms(
                None if r.internet is None else r.internet.ms,
                r.internet is not None and r.internet.estimated,
            ),
        ]
        for c in circuits:
            m = r.via.get(c)
            row.append(_ms(None if m is None else m.ms, m is not None and m.estimated))
        written = ", ".join(e.split(":", 1)[1] for e in r.as_written_egress) or "-"
        row.append(f"{written} ({_ms(None if r.as_written is None else r.as_written.ms)})")
        row.append(f"{r.recommended} ({_ms(r.recommended_ms)})")
        hp = ", ".join(r.hairpins)
        row.append(f"{hp} ({'in use' if r.hairpin_in_use else 'avoided'})" if hp else "")
        body.append(row)
    notes = [
        "user-weighted latency to Microsoft's network: "
        f"plan {_ms(table.plan_ms)} ms, all internet {_ms(table.internet_ms)} ms, "
        f"as written {_ms(table.as_written_ms)} ms ({table.users:,} users"
        + "".join(
            f"; {n:,} left out of {k.replace('_', ' ')}" for k, n in table.left_out.items() if n
        )
        + ")",
        "~ estimated figure; hairpin: the nearest circuit is reached over the WAN and is "
        "slower than the local internet (guide 001: 'use selective Internet breakout egress "
        "points to avoid the hairpin')",
        *table.notes,
    ]
    return [Table("meet-me", head, body, notes)]


def sweep_table(
    title: str, sols: list[Solution], problem: Problem, asked: int | None = None
) -> Table:
    """K = 1 ... ``asked``: a K without a solution (the redundancy variant with too few
    locations per region) is named under the table rather than silently missing."""
    head = ["K", "peering locations", "users on ER", "user-weighted ms", "gain ms", "seconds"]
    body: list[list[str]] = []
    prev: float | None = None
    for s in sols:
        on_er = sum(u for a, u in zip(s.assignment, problem.users, strict=True) if a is not None)
        locs = ", ".join(problem.facilities[p].location for p in s.open) or "(internet only)"
        gain = "" if prev is None else f"{prev - s.weighted_ms:.2f}"
        body.append(
            [str(s.k), locs, f"{on_er:,}", f"{s.weighted_ms:.2f}", gain, f"{s.seconds:.2f}"]
        )
        prev = s.weighted_ms
    notes = (
        [f"left out (no internet figure and no location reachable): {', '.join(problem.unserved)}"]
        if problem.unserved
        else []
    )
    missing = [str(k) for k in range(1, (asked or 0) + 1) if k not in {s.k for s in sols}]
    if missing:
        notes.append(
            f"K = {', '.join(missing)}: no plan gives every region with people on ExpressRoute "
            "two peering locations among the candidates"
        )
    return Table(title, head, body, notes)


def bandwidth_tables(report: Bandwidth) -> list[Table]:
    from erplan.analyses.bandwidth import GUIDE_HEADROOM, GUIDE_NAT

    low, high = report.headroom_target
    head = [
        "circuit",
        "Mbps",
        "load Mbps",
        "headroom",
        "status",
        "worst failure",
        "load after",
        "headroom after",
        "advice Mbps",
    ]
    body = [
        [
            c.circuit,
            str(c.bandwidth_mbps),
            f"{c.load_mbps:.1f}",
            f"{c.headroom:.0%}",
            c.status,
            c.worst_failure or "-",
            "-" if c.load_after_mbps is None else f"{c.load_after_mbps:.1f}",
            "-" if c.headroom_after is None else f"{c.headroom_after:.0%}",
            "-" if c.advice_mbps is None else str(c.advice_mbps),
        ]
        for c in report.circuits
    ]
    notes = [
        f"target headroom {low:.0%} to {high:.0%} ({GUIDE_HEADROOM}); "
        f"{report.failures} failure(s) studied"
    ]
    pools = [
        [
            p.owner,
            ", ".join(p.pools),
            f"{p.addresses:,}",
            f"{p.users:,}",
            f"{p.needed:,}",
            "ok" if p.ok else "too small",
        ]
        for p in report.pools
    ]
    tables = [
        Table("circuit load and headroom", head, body, notes),
        Table(
            "outbound NAT pools",
            ["egress", "pools", "addresses", "users", "addresses needed", "status"],
            pools,
            [f"{report.users_per_address:,} users per public address ({GUIDE_NAT})"],
        ),
    ]
    return tables


def failure_tables(results: list[Impact], top: int) -> list[Table]:
    from erplan.analyses.impact import GUIDE_MANUAL, GUIDE_SPOF

    head = [
        "failure",
        "users affected",
        "lose ER",
        "to internet (manual)",
        "broken",
        "failed over",
        "flows broken",
        "SPOF",
    ]
    body = [
        [
            r.key,
            f"{r.users_affected:,}",
            f"{r.users_lose_er:,}",
            f"{r.users_to_internet:,}",
            f"{r.users_broken:,}",
            f"{r.users_moved:,}",
            str(
                sum(
                    c.flows
                    for c in r.changes
                    if c.worse and c.after in ("dropped", "blackhole", "unreachable")
                )
            ),
            "yes" if r.spof else "",
        ]
        for r in results
    ]
    n = sum(1 for r in results if r.spof)
    notes = [f"{len(results)} failure(s), {n} single point(s) of failure ({GUIDE_SPOF})"]
    out = [Table("failures, most users affected first", head, body, notes)]
    for r in results[:top]:
        if not (r.sites or r.changes):
            continue
        rows = [
            [
                s.site,
                f"{s.users:,}",
                f"{s.lose_er:,}",
                f"{s.to_internet:,}",
                f"{s.broken:,}",
                f"{s.moved:,}",
                f"{', '.join(s.before) or '-'} -> {', '.join(s.after) or '-'}",
                _ms_change(s.ms_before, s.ms_after),
            ]
            for s in r.sites
        ]
        notes = [
            f"{c.before} -> {c.after}: {c.flows} flow(s) of {c.origin} ({c.direction})"
            + (f", {c.share:.0%} of connections" if c.after != "ok" else "")
            + (f"; cause {c.cause}" if c.cause else "")
            for c in r.changes[:8]
        ]
        if len(r.changes) > 8:
            notes.append(f"... and {len(r.changes) - 8} more kinds of change")
        if r.manual_steps:
            notes.append(f"manual failover to the internet ({GUIDE_MANUAL}):")
            notes.extend(f"  {i}. {s}" for i, s in enumerate(r.manual_steps, 1))
        out.append(
            Table(
                f"{r.key}: {r.label}",
                [
                    "site",
                    "users",
                    "lose ER",
                    "to internet",
                    "broken",
                    "failed over",
                    "circuits",
                    "ms to Microsoft",
                ],
                rows,
                notes,
            )
        )
    return out


def _ms_change(a: float | None, b: float | None) -> str:
    return f"{_one_ms(a)} -> {_one_ms(b)}"


def _one_ms(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"
