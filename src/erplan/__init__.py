"""erplan: plan and verify ExpressRoute Microsoft-peering designs for Microsoft 365.

The public API, the same one the command line uses::

    from erplan import load_design, lint, verify

    loaded = load_design("examples/g000-fig17-per-circuit-pools.yaml")
    report = verify(loaded)              # every flow with its verdict, plus the rule findings
    findings = lint(loaded)              # the rule catalog alone

Results are data; only "cannot build the model" raises (``erplan.diagnostics.InputError``).
Imports happen on first use so that ``import erplan`` stays cheap for the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from erplan.analyses.verdicts import Report
    from erplan.catalogs import Catalogs
    from erplan.diagnostics import Finding
    from erplan.load import LoadedDesign

__all__ = ["lint", "load_catalogs", "load_design", "verify"]
__version__ = "0.1.0"


def load_catalogs(endpoints: Path | None = None) -> Catalogs:
    """The shipped catalogs, or with the endpoint catalog replaced by a fresh download."""
    from erplan.catalogs import load_catalogs as load_shipped

    return load_shipped(endpoints)


def load_design(path: str | Path, endpoints: Path | None = None) -> LoadedDesign:
    """Read and validate a design file; raises InputError with every problem found."""
    from erplan.load import load_design as read_design

    return read_design(Path(path), load_catalogs(endpoints))


def lint(loaded: LoadedDesign, endpoints: Path | None = None) -> list[Finding]:
    """Run the rule catalog on a loaded design."""
    from erplan.analyses.rules import lint as run_rules

    return run_rules(loaded, load_catalogs(endpoints))


def verify(loaded: LoadedDesign, endpoints: Path | None = None) -> Report:
    """Rules plus every outbound and inbound flow with its verdict."""
    from erplan import silencing
    from erplan.analyses.verdicts import verify as run_verify

    report = run_verify(loaded, load_catalogs(endpoints))
    # One silencing for every code (names and aliases too), until the engine applies it.
    report.findings = silencing.apply(report.findings, loaded.design)
    return report
