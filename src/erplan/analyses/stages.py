"""A staged rollout verified step by step (guide 001 "Build your deployment procedures": "Your
deployment procedures should roll out to small groups of people in stages to allow for testing
before deploying to larger groups of people").

A plan (``model.StagesPlan``) states each step as the values of the design that differ at that
step, by dotted path. Each step's design is built from the design file's own data with those
values set, validated like any design (its findings still point into the design file), verified,
and compared with the step before (``diff.compare``): what the step changes, who it affects,
and whether it breaks anything that worked.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from erplan.analyses.diff import Diff, Snapshot, compare, errors, snapshot
from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding, InputError, Location, Severity
from erplan.files import ReadRefused, display_name, read_bounded
from erplan.load import MAX_BYTES, LoadedDesign, SourceMap, load_mapping, load_text, parse_text
from erplan.load.yaml_compose import decode
from erplan.model import StagesPlan
from erplan.names import closest

CODE = "ERP030"
# The design's named objects: a path into one names it.
COLLECTIONS = ("sites", "breakouts", "circuits", "services", "devices", "servers")


@dataclass(frozen=True, slots=True)
class StageResult:
    name: str
    description: str | None
    snap: Snapshot
    diff: Diff | None  # against the step before (or the plan's `before`)

    @property
    def errors(self) -> int:
        return errors(self.snap)

    @property
    def ok(self) -> bool:
        return self.errors == 0 and (self.diff is None or not self.diff.breaks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "ok": self.ok,
            "errors": self.errors,
            "summary": self.snap.report.summary,
            "diff": None if self.diff is None else self.diff.to_dict(),
        }


def _read(path: str | os.PathLike[str], what: str) -> str:
    """The text of a design or plan file (``-``: standard input), bounded like a design."""
    name = display_name(path)
    try:
        return decode(read_bounded(path, MAX_BYTES), name)
    except ReadRefused as exc:
        message = f"cannot read the {what}: " + (
            exc.reason if exc.size is None else f"it is larger than {MAX_BYTES:,} bytes"
        )
        raise InputError(
            [Finding("ERP001", Severity.ERROR, message, Location(name, 1, 1))]
        ) from None


def load_plan(path: str | os.PathLike[str]) -> tuple[StagesPlan, SourceMap]:
    data, source, problems, _ = parse_text(_read(path, "plan"), display_name(path))
    if problems:
        raise InputError(problems)
    try:
        return StagesPlan.model_validate(data), source
    except ValidationError as exc:
        out = []
        for e in exc.errors():
            loc = tuple(e["loc"])
            where = source.where(loc) or Location(display_name(path), 1, 1)
            dotted = ".".join(str(x) for x in loc) or "(top level)"
            out.append(Finding(CODE, Severity.ERROR, f"{dotted}: {e['msg']}", where))
        raise InputError(out) from None


def apply_set(data: dict[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """Set each dotted path in ``data`` (in place); the problems, one per bad path."""
    problems: list[str] = []
    for dotted, value in changes.items():
        parts = dotted.split(".")
        objects = data.get(parts[0])
        if parts[0] in COLLECTIONS and len(parts) > 2:
            known = objects if isinstance(objects, dict) else {}
            if parts[1] not in known:
                # One value cannot make a whole object: the name is a slip.
                problems.append(_no_such(dotted, parts[0], parts[1], known))
                continue
        cur: Any = data
        ok = True
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(cur, list):
                if not part.isdigit() or int(part) >= len(cur):
                    problems.append(f"{dotted}: {part!r} is not an index of a {len(cur)}-item list")
                    ok = False
                    break
                if last:
                    cur[int(part)] = value
                else:
                    cur = cur[int(part)]
            elif isinstance(cur, dict):
                if last:
                    if value is None:
                        cur.pop(part, None)
                    else:
                        cur[part] = value
                else:
                    cur = cur.setdefault(part, {})
            else:
                problems.append(f"{dotted}: {'.'.join(parts[:i])} is a value, not a mapping")
                ok = False
                break
        if not ok:
            continue
    return problems


def _no_such(dotted: str, collection: str, name: str, known: Mapping[str, Any]) -> str:
    message = f"{dotted}: the design has no {collection[:-1]} named {name!r}"
    near = closest(name, [str(k) for k in known])
    return message + (f"; did you mean {near!r}?" if near is not None else "")


def _stage_design(
    base: dict[str, Any],
    design_source: SourceMap,
    changes: Mapping[str, Any],
    where: Location | None,
    label: str,
    catalogs: Catalogs,
) -> LoadedDesign:
    data = copy.deepcopy(base)
    problems = apply_set(data, changes)
    if problems:
        raise InputError([Finding(CODE, Severity.ERROR, f"{label}: {p}", where) for p in problems])
    try:
        loaded = load_mapping(data, filename=label, catalogs=catalogs)
    except InputError as err:
        raise InputError(
            [
                Finding(
                    CODE, Severity.ERROR, f"{label}: the design is not valid: {f.message}", where
                )
                for f in err.findings
            ]
        ) from None
    # The step's findings point into the design file, where the values they name are written.
    return LoadedDesign(loaded.design, design_source)


def run(
    design_path: str | os.PathLike[str],
    plan_path: str | os.PathLike[str],
    catalogs: Catalogs,
) -> list[StageResult]:
    """Every step of the plan built, verified and compared with the one before. The design is
    read once (it may be standard input) and must be valid itself: its problems come first."""
    text, name = _read(design_path, "design file"), display_name(design_path)
    load_text(text, name, catalogs)
    plan, psource = load_plan(plan_path)
    assert plan.erplan_stages == 1  # the one format this erplan reads (validated on load)
    data, dsource, _, _ = parse_text(text, name)  # valid: load_text raised otherwise
    previous: Snapshot | None = None
    if plan.before is not None:
        where = psource.key_where(("before",))
        loaded = _stage_design(data, dsource, plan.before, where, "before", catalogs)
        previous = snapshot(loaded, catalogs)
    # Build every step first, so a bad plan is refused before anything is reported.
    steps = [
        _stage_design(
            data,
            dsource,
            st.set,
            psource.key_where(("stages", i, "set")) or psource.where(("stages", i)),
            f"stage {i + 1} ({st.name})",
            catalogs,
        )
        for i, st in enumerate(plan.stages)
    ]
    out: list[StageResult] = []
    for st, loaded in zip(plan.stages, steps, strict=True):
        snap = snapshot(loaded, catalogs)
        out.append(
            StageResult(
                st.name, st.description, snap, None if previous is None else compare(previous, snap)
            )
        )
        previous = snap
    return out
