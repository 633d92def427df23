"""Every code any command prints, in one catalog: input problems (``ERP0xx``), the rules
(``ERP1xx``-``ERP7xx``) and the flow verdicts (``ERP8xx``).

Nothing is defined twice: input codes come from the loader's and the endpoint reader's tables,
rules from the rule registry, flow codes from the verdict module (its code table, fixes and
causes). ``erplan rules``, ``erplan explain``, ``docs/rules.md``, SARIF rule descriptors and
the silencing of findings all read this catalog, so a code that one of them knows, all know.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from erplan.diagnostics import Severity
from erplan.names import closest

__all__ = [
    "CodeInfo",
    "all_codes",
    "code_keys",
    "find_code",
    "suggest_code",
]

KIND_INPUT = "input"
KIND_RULE = "rule"
KIND_FLOW = "flow"

INPUT_GROUP = "Input problems: the file cannot be used (exit 2)"
FLOW_GROUP = "Flow verdicts (erplan verify)"


@dataclass(frozen=True)
class CodeInfo:
    """What a code means, whatever produced it (the shape of ``rules.Rule``)."""

    code: str
    name: str
    severity: Severity
    summary: str
    explanation: str
    fix: str
    source: str
    kind: str
    group: str
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "severity": self.severity.value,
            "group": self.group,
            "summary": self.summary,
            "source": self.source,
            "fix": self.fix,
            "aliases": list(self.aliases),
            "explanation": self.explanation,
        }


# -- input problems ---------------------------------------------------------------------------
_INPUT_EXPLANATION = (
    "An input problem stops erplan before any check: the command exits 2, prints one line per "
    "problem naming FILE:LINE:COL of the offending value, and writes nothing. Every problem of "
    "a file is reported in one run."
)


def _input_codes() -> list[CodeInfo]:
    from erplan.catalogs.endpoints import CODES as ENDPOINT_CODES
    from erplan.catalogs.endpoints import SOURCE as ENDPOINT_SOURCE
    from erplan.load.codes import CODES as DESIGN_CODES

    out = [
        CodeInfo(
            code,
            name,
            Severity.ERROR,
            summary,
            f"{summary} {_INPUT_EXPLANATION}",
            "Correct the value at the position given; docs/design-format.md describes every "
            "field of the design file.",
            "erplan design format (docs/design-format.md)",
            KIND_INPUT,
            INPUT_GROUP,
        )
        for code, (name, summary) in DESIGN_CODES.items()
    ]
    out.extend(
        CodeInfo(
            code,
            name,
            Severity.ERROR,
            summary,
            f"{summary} {_INPUT_EXPLANATION}",
            "Download the endpoints again (`erplan endpoints fetch`) or correct the file at the "
            "position given.",
            ENDPOINT_SOURCE,
            KIND_INPUT,
            INPUT_GROUP,
        )
        for code, (name, summary) in ENDPOINT_CODES.items()
    )
    return out


# -- rules ------------------------------------------------------------------------------------
def _rule_codes() -> list[CodeInfo]:
    from erplan.analyses.rules import all_rules

    return [
        CodeInfo(
            r.code,
            r.name,
            r.severity,
            r.summary,
            r.explanation,
            r.fix,
            r.source,
            KIND_RULE,
            r.group,
            r.aliases,
        )
        for r in all_rules()
    ]


# -- flow verdicts ----------------------------------------------------------------------------
# What each verdict means for a flow (docs/flow-semantics.md): the one text about verdicts that
# the verdict module does not hold as data.
_VERDICT_MEANING = {
    "suboptimal": (
        "works but is slower than the best the design offers its origin, by more than "
        "`analysis.suboptimal_ms` and `analysis.suboptimal_ratio` times",
        "is slower than the best path the design offers",
    ),
    "asymmetric": (
        "works, but its replies come back by a different path that crosses no state",
        "returns by a different path",
    ),
    "dropped": (
        "fails: a stateful device or a filter drops it (a reply reaching a device that holds "
        "no session, or bypassing the one that does; a source outside a circuit's advertisements)",
        "is dropped by a stateful device or a filter",
    ),
    "blackhole": (
        "fails: it is forwarded to where nothing delivers it (a translated source that is not "
        "advertised where the reply comes from, a NAT that holds no mapping)",
        "is blackholed",
    ),
    "unreachable": (
        "fails: there is no route for it (no breakout, no ExpressRoute route, no DNS record "
        "leading to the service)",
        "has no route",
    ),
}
_FLOW_TAIL = (
    "erplan verify reports one finding per origin, cause and responsible design object; it "
    "points at that object, and `erplan trace` shows every hop of a flow, forward and back."
)
# Route-choice notes of the verdict module (``CODE_REGION_PREFERENCE``, ``CODE_TIE_BREAK``):
# name, severity, summary, explanation, fix, source, by the name of the code's constant. A
# test checks them against the findings verify makes.
_ROUTE_NOTES: dict[str, tuple[str, Severity, str, str, str, str]] = {
    "CODE_REGION_PREFERENCE": (
        "region-preference-without-effect",
        Severity.WARNING,
        "A circuit's region_preference cannot steer Microsoft 365 traffic.",
        "Microsoft 365 prefixes carry service communities only, no regional ones, so a "
        "per-region local preference ('cold potato') never matches them; the engine treats it "
        "as absent for them.",
        "steer Microsoft 365 traffic with local preference and IGP metrics ('hot potato'); "
        "cold potato needs regional communities",
        "guide 000 §7.3.1",
    ),
    "CODE_TIE_BREAK": (
        "route-tie-broken-by-name",
        Severity.INFO,
        "Circuits tie on local preference and IGP distance for a site.",
        "When two circuits offer a site the same routes with the same local preference and IGP "
        "distance, BGP's last tie-breakers decide, and a design does not state them: the "
        "outcome depends on a tie.",
        "set local preference or WAN costs so the choice is explicit",
        "guide 000 §7.3.1",
    ),
}


def _flow_codes() -> list[CodeInfo]:
    from erplan.analyses import verdicts

    fixes: dict[Any, tuple[str, str]] = getattr(verdicts, "_FIXES", {})
    causes: dict[str, tuple[str, str, str]] = getattr(verdicts, "_CAUSES", {})
    out: list[CodeInfo] = []
    for (direction, verdict), code in sorted(verdicts.CODES.items(), key=lambda kv: kv[1]):
        meaning, short = _VERDICT_MEANING[verdict.value]
        explanation = f"The {direction.value} flow {meaning}. {_FLOW_TAIL}"
        if (direction, verdict) in fixes:
            fix, source = fixes[(direction, verdict)]
        else:  # suboptimal: the fix depends on the cause, each with its own
            fix = "by cause: " + "; ".join(f"{why}: {cure}" for why, (_, cure, _) in causes.items())
            source = "; ".join(dict.fromkeys(src for _, _, src in causes.values()))
            explanation += " Causes: " + "; ".join(c for c, _, _ in causes.values()) + "."
        out.append(
            CodeInfo(
                code,
                f"{direction.value}-{verdict.value}",
                verdict.severity or Severity.INFO,
                f"An {direction.value} flow {short}.",
                explanation,
                fix[:1].upper() + fix[1:],
                source,
                KIND_FLOW,
                FLOW_GROUP,
            )
        )
    for attr, (name, severity, summary, explanation, fix, source) in _ROUTE_NOTES.items():
        out.append(
            CodeInfo(
                getattr(verdicts, attr),
                name,
                severity,
                summary,
                explanation,
                fix,
                source,
                KIND_FLOW,
                FLOW_GROUP,
            )
        )
    return out


@functools.cache
def _catalog() -> dict[str, CodeInfo]:
    entries = [*_input_codes(), *_rule_codes(), *_flow_codes()]
    out: dict[str, CodeInfo] = {}
    for e in sorted(entries, key=lambda e: e.code):
        if e.code in out:
            raise ValueError(f"code {e.code} is defined twice")
        out[e.code] = e
    return out


def all_codes(kind: str | None = None) -> list[CodeInfo]:
    """Every code in code order (``kind``: only input, rule or flow codes)."""
    return [c for c in _catalog().values() if kind is None or c.kind == kind]


def code_keys(info: CodeInfo) -> frozenset[str]:
    """What a silence entry or a command may name a code by: code, name, aliases (any case)."""
    return frozenset(k.casefold() for k in (info.code, info.name, *info.aliases))


@functools.cache
def _by_key() -> dict[str, CodeInfo]:
    return {k: info for info in _catalog().values() for k in code_keys(info)}


def _typed_as_code(text: str) -> str:
    """Letters typed for digits (ERP7O1, ERPl01) are the commonest slip in a code."""
    upper = text.strip().upper()
    if upper.startswith("ERP"):
        return "ERP" + upper[3:].translate(str.maketrans("OIL", "011"))
    return text.strip()


def find_code(code_or_name: str) -> CodeInfo | None:
    """A code by its code, name or alias (case does not matter); None when unknown."""
    return _by_key().get(code_or_name.strip().casefold())


def suggest_code(text: str) -> str | None:
    """The closest code or name to a misspelt one ("did you mean")."""
    typed = find_code(_typed_as_code(text))
    if typed is not None:
        return typed.code
    names = [k for info in _catalog().values() for k in (info.code, info.name, *info.aliases)]
    return closest(text, names)
