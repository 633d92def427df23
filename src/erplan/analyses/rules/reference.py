"""The rule reference (docs/rules.md), generated from the registry so it never drifts."""

from __future__ import annotations

from collections.abc import Sequence

from erplan.analyses.rules.registry import GROUPS, Rule

_INTRO = """\
# Rule reference

<!-- Generated from the rule registry by `erplan rules --format markdown --output docs/rules.md`.
     Do not edit by hand: tests/test_rules.py fails when this page is stale. -->

`erplan lint DESIGN` checks a design file against the guides and Microsoft's requirements and
reports every finding as `FILE:LINE:COL: CODE severity message`, the position being that of the
offending value (the prefix in `advertises`, the pool, the DNS record...). Codes are stable:
`ERP1xx` addressing, `ERP2xx` advertisements, `ERP3xx` advertisement relations, `ERP4xx` NAT,
`ERP5xx` inbound services and DNS, `ERP6xx` route filters, `ERP7xx` high availability and
hygiene. (`ERP0xx` are input problems found while loading, `ERP8xx` flow verdicts.)

Exit codes: 0 when no unsilenced finding is an error, 1 when one is, 2 when the input cannot be
used. `erplan rules` lists this catalog; `erplan explain CODE` prints one rule.

## Silencing a rule

Every site, breakout, circuit, service and device may carry a `silence` map from a rule code
(or its name) to the reason it does not apply:

```yaml
circuits:
  us-er:
    silence:
      ERP701: "second circuit ordered, in service next quarter"
```

A silenced finding is not counted and does not change the exit code, but it is still listed,
with its reason (text: `(silenced: reason)`; JSON: `"silenced"`; SARIF: a `suppressions` entry of
kind `inSource` with the reason as justification). A finding about several objects (two
circuits advertising one prefix) is silenced by any of them. The reason is required: an empty
one is refused when the design is loaded (`ERP028`, exit 2), and `ERP790` reports it for designs
built otherwise; a code that names no rule is `ERP791`.

## Output formats

- `--format text` (default): one line per finding, the fix and the source indented below,
  then a count of errors, warnings and silenced findings.
- `--format json`: `{"erplan": 1, "tool": {...}, "summary": {"error", "warning", "info",
  "silenced"}, "findings": [{code, severity, message, location: {file, line, column}, fix,
  source, subject, silenced?, data?}]}`.
- `--format sarif`: SARIF 2.1.0 for code scanning (GitHub accepts it as is); every rule of the
  catalog is a `reportingDescriptor` with its summary, explanation, fix and default level.

`--output FILE` writes the report atomically instead of printing it.
"""


def _anchor(r: Rule) -> str:
    return f"{r.code.lower()}-{r.name}"


def markdown(rules: Sequence[Rule]) -> str:
    """docs/rules.md: the introduction, a table of every rule, then one section per rule."""
    out = [_INTRO, "## Catalog\n", "| code | name | severity | summary |", "|---|---|---|---|"]
    for r in rules:
        out.append(
            f"| [{r.code}](#{_anchor(r)}) | {r.name} | {r.severity.value} | "
            f"{r.summary.replace('|', '/')} |"
        )
    group = ""
    for r in rules:
        if r.group != group:
            group = r.group
            out.append(f"\n## {GROUPS[r.code[3]]}")
        out.append(f"\n### {r.code} {r.name}\n")
        out.append(f"**Severity:** {r.severity.value}. {r.summary}\n")
        out.append(r.explanation + "\n")
        out.append(f"**Fix:** {r.fix}\n")
        out.append(f"**Source:** {r.source}")
        if r.aliases:
            out.append(f"\n**Former codes:** {', '.join(r.aliases)}")
    return "\n".join(out).rstrip() + "\n"


def text(rules: Sequence[Rule]) -> str:
    """The catalog for a terminal: one line per rule."""
    width = max((len(r.name) for r in rules), default=0)
    lines = [f"{r.code}  {r.severity.value:<7}  {r.name:<{width}}  {r.summary}" for r in rules]
    return "\n".join(lines) + "\n"


def explain(r: Rule) -> str:
    """One rule in full, for `erplan explain`."""
    return (
        f"{r.code} {r.name} ({r.severity.value})\n\n{r.summary}\n\n{r.explanation}\n\n"
        f"Fix: {r.fix}\n\nSource: {r.source}\n"
        + (f"\nFormer codes: {', '.join(r.aliases)}\n" if r.aliases else "")
    )
