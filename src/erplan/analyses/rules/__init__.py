"""The rule catalog: coded checks of a design against the guides and Microsoft's requirements.

Each module holds one group of rules (the hundreds digit of the code names the group); the
registry is the one visible table of them. ``lint`` applies them all.
"""

from __future__ import annotations

# Importing the group modules registers their rules (in code order).
from erplan.analyses.rules import (  # noqa: F401
    addressing,
    advertisement,
    designation,
    dynamics,
    ha,
    hygiene,
    inbound,
    nat,
    relations,
    route_filter,
    security,
)
from erplan.analyses.rules.registry import (
    RULES,
    Context,
    Hit,
    LoadedLike,
    Rule,
    Traced,
    Traces,
    all_rules,
    find_rule,
    run,
)
from erplan.analyses.rules.security import PathRows
from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding

__all__ = [
    "RULES",
    "Context",
    "Hit",
    "Rule",
    "all_rules",
    "find_rule",
    "lint",
]


def lint(
    loaded: LoadedLike,
    catalogs: Catalogs,
    traced: Traced | None = None,
    paths: PathRows | None = None,
) -> list[Finding]:
    """Every finding of every rule on a loaded design, sorted by position; ``traced``: the
    design's engine and flow rows when the caller has them, ``paths``: what the path rules read
    of them when the caller fed it the rows as it judged them (``PathRows``).

    Silenced findings are included with ``Finding.silenced`` set to the reason given.
    """
    traces = Traces(traced, paths)
    return run(Context(loaded.design, loaded.source, catalogs, traces))
