"""The rule registry: one place that defines each rule, and the runner that applies them.

A rule is a plain function that yields :class:`Hit` values; the :func:`rule` decorator gives it
an explicit, stable code, a readable name, a severity and a one-line summary, and records it in
:data:`RULES`. The function's docstring is the rule's documentation: ``docs/rules.md`` and
``erplan explain`` are generated from it. Codes are set by hand and never derived from names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding, Location, Severity, sort_key
from erplan.model import Design

if TYPE_CHECKING:
    from erplan.analyses.rules.security import PathRows
    from erplan.analyses.verdicts import FlowResult
    from erplan.engine import Engine

Path = tuple[str | int, ...]
Traced = tuple["Engine", list["FlowResult"]]


class SourceLike(Protocol):
    """Where each value of the design sits in its file (``erplan.load.SourceMap``)."""

    def where(self, path: Iterable[str | int]) -> Location | None: ...

    def key_where(self, path: Iterable[str | int]) -> Location | None: ...


class LoadedLike(Protocol):
    """A loaded design with its positions (``erplan.load.LoadedDesign``)."""

    @property
    def design(self) -> Design: ...

    @property
    def source(self) -> SourceLike: ...


@dataclass(frozen=True)
class Hit:
    """One occurrence of a rule: what is wrong, and where the offending value sits.

    ``path`` names the offending value in the design (e.g. the prefix in a circuit's
    ``advertises``); ``owners`` name the objects whose ``silence`` map may silence it (the first
    is the finding's subject).
    """

    message: str
    path: Path
    owners: tuple[tuple[str | int, ...], ...] = ()
    fix: str | None = None  # overrides the rule's general fix with a precise one
    key: bool = False  # point at the key naming ``path`` (an object missing a field)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Traces:
    """The design's traced flows, when a rule needs them: read by the path rules as a caller
    judged them (``paths``, verify) or from the rows it holds (``traced``), else traced once,
    by the first rule that asks."""

    traced: Traced | None = None
    paths: PathRows | None = None


@dataclass(frozen=True)
class Context:
    """What every rule reads: the design, its positions and the catalogs."""

    design: Design
    source: SourceLike
    catalogs: Catalogs
    traces: Traces = field(default_factory=Traces, compare=False, repr=False)


Check = Callable[[Context], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A coded rule of the catalog."""

    code: str
    name: str
    severity: Severity
    summary: str
    source: str  # the guide section or Microsoft requirement, with FACTS.md source tags
    fix: str
    check: Check = field(repr=False, compare=False)
    aliases: tuple[str, ...] = ()
    group: str = ""

    @cached_property
    def explanation(self) -> str:
        """The rule's documentation: the docstring of its check, one line per paragraph."""
        text = inspect.cleandoc(self.check.__doc__ or self.summary)
        return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n"))


RULES: dict[str, Rule] = {}

# The groups, by the hundreds digit of the code; the module of each group is named here too.
GROUPS: dict[str, str] = {
    "1": "Microsoft peering addressing (addressing.py)",
    "2": "Advertisements to Microsoft (advertisement.py)",
    "3": "Advertisement relations (relations.py)",
    "4": "NAT (nat.py)",
    "5": "Inbound services and DNS (inbound.py)",
    "6": "Route filters (route_filter.py)",
    "7": "High availability, security placement and design hygiene (ha.py, security.py, "
    "hygiene.py)",
    "9": "Choices the routing needs that only the design states (designation.py)",
}


def rule(
    *,
    code: str,
    name: str,
    severity: Severity,
    summary: str,
    source: str,
    fix: str,
    aliases: Sequence[str] = (),
) -> Callable[[Check], Check]:
    """Register ``check`` as rule ``code``. The code is explicit and must be unique."""

    def register(check: Check) -> Check:
        if not (code.startswith("ERP") and len(code) == 6 and code[3:].isdigit()):
            raise ValueError(f"bad rule code {code!r}")
        if code in RULES or any(name == r.name for r in RULES.values()):
            raise ValueError(f"rule {code} {name} is defined twice")
        if not check.__doc__:
            raise ValueError(f"rule {code} has no explanation (docstring)")
        RULES[code] = Rule(
            code=code,
            name=name,
            severity=severity,
            summary=summary,
            source=source,
            fix=fix,
            check=check,
            aliases=tuple(aliases),
            group=GROUPS.get(code[3], ""),
        )
        return check

    return register


def all_rules() -> list[Rule]:
    """Every rule, in code order."""
    return [RULES[c] for c in sorted(RULES)]


def find_rule(code_or_name: str) -> Rule | None:
    """A rule by code, name or alias (case does not matter)."""
    key = code_or_name.strip().casefold()
    for r in RULES.values():
        if key in (r.code.casefold(), r.name.casefold(), *(a.casefold() for a in r.aliases)):
            return r
    return None


# --- Silencing (erplan.silencing: one mechanism for every code) ------------------------------

# Codes of the findings about silencing itself: defined in hygiene.py, raised here.
SILENCE_WITHOUT_REASON = "ERP790"
SILENCE_UNKNOWN_CODE = "ERP791"


def _silence_problems(ctx: Context) -> Iterator[Finding]:
    """Findings about the silence maps themselves: an empty reason, an unknown code."""
    from erplan import silencing
    from erplan.codes import find_code, suggest_code

    for owner, code, why in silencing.entries(ctx.design):
        path: Path = (*owner, "silence", code)
        subject = ".".join(str(p) for p in owner)
        if not why.strip():
            yield _finding(
                RULES[SILENCE_WITHOUT_REASON],
                Hit(
                    f"{subject} silences {code} without a reason; a silenced rule must say "
                    "why it does not apply",
                    path,
                    (owner,),
                    key=True,
                ),
                ctx,
            )
        if find_code(code) is None:
            hint = suggest_code(code)
            yield _finding(
                RULES[SILENCE_UNKNOWN_CODE],
                Hit(
                    f"{subject} silences {code}, which is not a code erplan reports"
                    + (f" (did you mean {hint}?)" if hint else ""),
                    path,
                    (owner,),
                    key=True,
                ),
                ctx,
            )


def _finding(r: Rule, hit: Hit, ctx: Context, silenced: str | None = None) -> Finding:
    return Finding(
        code=r.code,
        severity=r.severity,
        message=hit.message,
        location=ctx.source.key_where(hit.path) if hit.key else ctx.source.where(hit.path),
        fix=hit.fix or r.fix,
        source=r.source,
        subject=".".join(str(p) for p in hit.owners[0]) if hit.owners else None,
        silenced=silenced,
        data=hit.data,
    )


def run(ctx: Context, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Apply the rules (default: all) and return every finding, silenced ones included."""
    from erplan import silencing

    findings: list[Finding] = []
    seen: set[tuple[str, str, Location | None]] = set()  # same conclusion twice: once
    for r in rules if rules is not None else all_rules():
        for hit in r.check(ctx):
            finding = _finding(r, hit, ctx, silencing.reason(ctx.design, r.code, hit.owners))
            key = (finding.code, finding.message, finding.location)
            if key in seen:
                continue
            seen.add(key)
            findings.append(finding)
    findings.extend(_silence_problems(ctx))
    findings.sort(key=sort_key)
    return findings
