"""One vocabulary of problems for every stage: a location in a file, a severity, a finding.

Findings are plain data. Stages return them; only the command line decides the exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from erplan.untrusted import escape_text


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Location:
    """A place in an input file; line and column are 1-based, as editors show them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column}


@dataclass(frozen=True)
class Finding:
    """A problem (or note) about a design, named by a stable code."""

    code: str
    severity: Severity
    message: str
    location: Location | None = None
    fix: str | None = None
    source: str | None = None  # the guide section or Microsoft requirement it comes from
    subject: str | None = None  # the object it is about, e.g. "circuits.us-er"
    silenced: str | None = None  # the reason given in the design, when silenced
    data: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        """``FILE:LINE:COL: CODE severity message`` on one line, safe for a terminal."""
        where = f"{self.location}: " if self.location else ""
        return escape_text(f"{where}{self.code} {self.severity.value} {self.message}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "location": self.location.to_dict() if self.location else None,
            "fix": self.fix,
            "source": self.source,
            "subject": self.subject,
        }
        if self.silenced is not None:
            out["silenced"] = self.silenced
        if self.data:
            out["data"] = self.data
        return out


def sort_key(finding: Finding) -> tuple[str, int, int, str]:
    loc = finding.location
    if loc is None:
        return ("", 0, 0, finding.code)
    return (loc.file, loc.line, loc.column, finding.code)


class InputError(Exception):
    """The input cannot be used at all (exit code 2). Carries every problem found, in file order."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = sorted(findings, key=sort_key)
        super().__init__("\n".join(f.render() for f in self.findings))

    def render(self) -> str:
        """One line per problem, ``FILE:LINE:COL: message [CODE]``, safe for a terminal."""
        return "\n".join(_render_input_problem(f) for f in self.findings)


def _render_input_problem(f: Finding) -> str:
    where = f"{f.location}: " if f.location else ""
    return escape_text(f"{where}{f.message} [{f.code}]")
