"""Every code any command prints, in one catalog: input problems (``ERP0xx``), the rules
(``ERP1xx``-``ERP7xx``, ``ERP93x``) and the flow verdicts (``ERP8xx``).

Nothing is defined twice: input codes come from the loader's and the endpoint reader's tables,
rules from the rule registry, flow codes from the verdict module (its code table, fixes and
causes). ``erplan rules``, ``erplan explain``, ``docs/rules.md``, SARIF rule descriptors and
the silencing of findings all read this catalog, so a code that one of them knows, all know.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from erplan.codes_flow import (
    CAUSES_BY_VERDICT,
    DNS_MEANING,
    FAILURE_CAUSES,
    FLOW_TAIL,
    ROUTE_NOTES,
    VERDICT_MEANING,
)
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
KIND_PAC = "pac"
KIND_GENERATE = "generate"

INPUT_GROUP = "Input problems: the file cannot be used (exit 2)"
FLOW_GROUP = "Flow verdicts (erplan verify)"
PAC_GROUP = "PAC files and device lists (erplan pac, erplan lists)"
GENERATE_GROUP = "Rollout artifacts (erplan generate)"


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
    from erplan.catalogs.service_tags import CODES as TAG_CODES
    from erplan.catalogs.service_tags import SOURCE as TAGS_SOURCE
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
    out.extend(
        CodeInfo(
            code,
            name,
            Severity.ERROR,
            summary,
            f"{summary} {_INPUT_EXPLANATION}",
            "Download the service tags again, or correct the file at the position given.",
            TAGS_SOURCE,
            KIND_INPUT,
            INPUT_GROUP,
        )
        for code, (name, summary) in TAG_CODES.items()
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
def _flow_codes() -> list[CodeInfo]:
    from erplan.analyses import verdicts
    from erplan.analyses.causes import CAUSES

    out: list[CodeInfo] = []
    seen: set[str] = set()
    for (direction, verdict), code in sorted(verdicts.CODES.items(), key=lambda kv: kv[1]):
        if code in seen:  # DNS shares its warnings' codes and has one for every failure
            continue
        seen.add(code)
        meaning, short = VERDICT_MEANING[verdict.value]
        name = f"{direction.value}-{verdict.value}"
        if direction.value == "dns":
            meaning, short, name = DNS_MEANING
        explanation = f"The {direction.value} flow {meaning}. {FLOW_TAIL}"
        keys = CAUSES_BY_VERDICT.get(verdict.value, FAILURE_CAUSES)
        if direction.value == "dns":
            keys = ("dns", "resolver", "down", "no-route", "no-session")
        # The fix depends on the cause the finding names, each with its own.
        fix = "by cause: " + "; ".join(f"{CAUSES[k][0]}: {CAUSES[k][1]}" for k in keys)
        source = "; ".join(dict.fromkeys(CAUSES[k][2] for k in keys))
        out.append(
            CodeInfo(
                code,
                name,
                verdict.severity or Severity.INFO,
                f"An {direction.value} flow {short}.",
                explanation,
                fix[:1].upper() + fix[1:],
                source,
                KIND_FLOW,
                FLOW_GROUP,
            )
        )
    for attr, (name, severity, summary, explanation, fix, source) in ROUTE_NOTES.items():
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


# What `erplan pac` and `erplan lists` report (constants in erplan.generators.decisions).
_PAC_CODES: dict[str, tuple[str, Severity, str, str, str]] = {
    "CODE_DIRECT_WITHOUT_ROUTE": (
        "pac-direct-without-route",
        Severity.WARNING,
        "The design's PAC mode sends ExpressRoute-able names DIRECT where the site has no "
        "working ExpressRoute route for them.",
        "A DIRECT decision works only over a route the site really has; where the engine traces "
        "the site's connections to the set leaving by a circuit and every one works, the name "
        "goes DIRECT, else to the proxy.",
        "give the site ExpressRoute routes for the set (route filter, route scope), or let the "
        "PAC file send the name to the proxy",
    ),
    "CODE_NO_PROXY": (
        "pac-no-proxy",
        Severity.ERROR,
        "A site whose clients may not reach the internet directly has no proxy.",
        "With direct_internet false, every name without an ExpressRoute route must go to a "
        "proxy; the site names none, so those names cannot be reached at all.",
        "give the site a proxy (proxy.device, proxy.site or proxy.address)",
    ),
    "CODE_PROXY_UNNAMED": (
        "pac-proxy-unnamed",
        Severity.ERROR,
        "The site's proxy cannot be named in a PAC file.",
        "A PAC file names a proxy as host:port; the design gives no address for it.",
        "give the proxy device an address (and port), or proxy.address as host:port",
    ),
    "CODE_NAME_REFUSED": (
        "pac-name-refused",
        Severity.WARNING,
        "A name is not a valid host pattern and was left out of the PAC file.",
        "Only DNS names and wildcard host patterns reach a PAC file; anything else could change "
        "the file's logic.",
        "correct the name in the design or the endpoint catalog",
    ),
    "CODE_NO_TENANT": (
        "pac-no-tenant-name",
        Severity.INFO,
        "No tenant name: the tenant's own host names are not written out.",
        "With tenant.name set, the PAC file lists <tenant>.sharepoint.com, -my, -admin and the "
        "tenant's autodiscover names explicitly.",
        "set tenant.name",
    ),
}


def _pac_codes() -> list[CodeInfo]:
    from erplan.generators import decisions

    return [
        CodeInfo(
            getattr(decisions, attr),
            name,
            severity,
            summary,
            explanation,
            fix[:1].upper() + fix[1:],
            decisions.SOURCE,
            KIND_PAC,
            PAC_GROUP,
        )
        for attr, (name, severity, summary, explanation, fix) in _PAC_CODES.items()
    ]


# What `erplan generate` refuses (constants in erplan.generators.registry).
_GENERATE_CODES: dict[str, tuple[str, str, str, str]] = {
    "CODE_UNSUPPORTED": (
        "generate-unsupported",
        "A generator cannot render something the design uses.",
        "Each generator declares the design features it supports and refuses a design that "
        "uses anything else rather than write a configuration that says less than the design.",
        "use a generator that supports the feature, or render the others (`erplan generate all` "
        "skips a refused kind and says why)",
    ),
    "CODE_MISSING": (
        "generate-missing-value",
        "A value the configuration needs is missing from the design.",
        "A customer edge needs its circuit's primary and secondary /30 and VLAN to be written.",
        "give the circuit its primary_subnet, secondary_subnet and vlan",
    ),
    "CODE_NAME": (
        "generate-name-refused",
        "A name cannot be written into a configuration.",
        "Names reach router configurations, shell lines and HCL; a name holding a character "
        "none of them can carry safely is refused.",
        "rename the object",
    ),
}


def _generate_codes() -> list[CodeInfo]:
    from erplan.generators import registry

    return [
        CodeInfo(
            getattr(registry, attr),
            name,
            Severity.ERROR,
            summary,
            explanation,
            fix[:1].upper() + fix[1:],
            "guide 001 'Build your deployment procedures'",
            KIND_GENERATE,
            GENERATE_GROUP,
        )
        for attr, (name, summary, explanation, fix) in _GENERATE_CODES.items()
    ]


@functools.cache
def _catalog() -> dict[str, CodeInfo]:
    entries = [*_input_codes(), *_rule_codes(), *_flow_codes(), *_pac_codes(), *_generate_codes()]
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
