"""Fuzzing the loader and the whole verify path: inputs and the property every input must keep.

Inputs are the shipped examples, mutated two ways: structure-aware (a value replaced by a
hostile string or number, a key removed or renamed, a subtree copied elsewhere, a list grown)
and textual (bytes of YAML syntax inserted, lines cut). The property: an input is either
refused (InputError: at least one finding, each with a code erplan explains and a FILE:LINE:COL,
rendered without a raw control character) or verified end to end (rules, flows, text, JSON and
SARIF renderings: valid JSON, nothing raw). Anything else — another exception — is a crash.

Used briefly by ``tests/test_fuzz.py`` (hypothesis) and at length by ``scripts/fuzz.py``.
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from erplan.analyses.rules import all_rules
from erplan.analyses.verdicts import verify
from erplan.catalogs import Catalogs, load_catalogs
from erplan.codes import find_code
from erplan.diagnostics import InputError
from erplan.load import load_text, parse_text
from erplan.output import dumps, render_text, to_json, to_sarif

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

HOSTILE_STRINGS = (
    "\x1b[2J\x1b[H",
    "\x1b]0;owned\x07",
    "ok\r\nERP000 error forged line",
    "\u202etxt.exe",
    "\u2066isolated\u2069",
    "",
    " ",
    "x" * 3000,
    "São Paulo",
    "*.*.*.*.*.*.*.*.*.*",
    "../../etc/passwd",
    "%s%n{0}",
    "[bold red]markup[/]",
    "Nwe York",
    "internet",
    "expressroute",
    "ERP7O1",
    "0.0.0.0/0",
    "10.0.0.0/8",
    "20.2.2.1/29",
    "1.2.3.4/33",
    "255.255.255.255",
    "::1",
    "mail..contoso.com",
)
HOSTILE_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    -1,
    0,
    1,
    2**31,
    2**64,
    10**13,
    -(10**15),
    1e400,
    float("nan"),
    0.5,
    [],
    {},
    [None],
    {"lat": 91, "lon": 0},
    {"lat": 10, "lon": 10},
)
SYNTAX = (": ", "- ", "&a ", "*a", "<<: *a", "!!python/object:os.system ", "\t", "{", "}", "[",
          "]", "#", "'", '"', "? ", "|", ">", "---\n", "...\n", "\n", "%YAML 1.1\n", "\\u202e",
          "\x1b", "\r", "!!float ", "!!int ", ".inf", "0x7fffffffffffffffffff")  # fmt: skip


def example_data() -> list[tuple[str, dict[str, Any]]]:
    """(name, plain data) of every shipped example."""
    out = []
    for path in EXAMPLES:
        data, _, _, _ = parse_text(path.read_text(encoding="utf-8"), path.name)
        out.append((path.name, data))
    return out


MAX_DEPTH = 40  # mutations stay shallower than the loader's bound (and the YAML dumper's stack)
MAX_ITEMS = 2000  # a grown list: big enough to stress, small enough to stay a design
MAX_PATHS = 100_000


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if len(path) >= MAX_DEPTH:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def _hostile(rng: random.Random) -> Any:
    return rng.choice(HOSTILE_STRINGS) if rng.random() < 0.5 else rng.choice(HOSTILE_VALUES)


def mutate(data: dict[str, Any], rng: random.Random, rounds: int = 3) -> dict[str, Any]:
    """A copy of ``data`` with a few structure-aware mutations."""
    data = copy.deepcopy(data)
    for _ in range(rounds):
        # Grown lists share their items, so paths multiply: a sample is enough.
        paths = list(itertools.islice(_paths(data), 1, MAX_PATHS))
        path = rng.choice(paths)
        parent = _get(data, path[:-1])
        last = path[-1]
        op = rng.randrange(7)
        if op == 0:  # a hostile value
            parent[last] = _hostile(rng)
        elif op == 1 and isinstance(parent, dict):  # a key removed
            del parent[last]
        elif op == 2 and isinstance(parent, dict):  # a key renamed
            parent[rng.choice(HOSTILE_STRINGS) or "k"] = parent.pop(last)
        elif op == 3:  # a subtree copied elsewhere (not into itself: depth would double)
            other = rng.choice(paths)
            if path[: len(other)] != other:
                parent[last] = copy.deepcopy(_get(data, other))
        elif op == 4 and isinstance(parent[last], list) and parent[last]:  # a list grown
            parent[last] = copy.deepcopy(parent[last] * rng.choice((2, 50, 400)))[:MAX_ITEMS]
        elif op == 5 and isinstance(parent[last], dict) and parent[last]:  # a twin object
            twin = rng.choice(list(parent[last]))
            parent[last][f"{twin}-2"] = copy.deepcopy(parent[last][twin])
        else:  # a value wrapped or unwrapped
            value = parent[last]
            parent[last] = value[0] if isinstance(value, list) and value else [value]
    return data


def to_yaml(data: Any) -> str:
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


def mutate_text(text: str, rng: random.Random, rounds: int = 2) -> str:
    """``text`` with YAML syntax inserted, characters removed, or the end cut."""
    for _ in range(rounds):
        at = rng.randrange(len(text) + 1)
        op = rng.randrange(4)
        if op == 0:
            text = text[:at] + rng.choice(SYNTAX) + text[at:]
        elif op == 1:
            text = text[:at] + text[at + rng.randrange(1, 20) :]
        elif op == 2:
            text = text[:at]
        else:
            text = text[:at] + chr(rng.randrange(0x20, 0x3000)) + text[at:]
    return text


class Crash(AssertionError):
    """The property failed: erplan raised something else than InputError, or printed raw."""


def check(text: str, name: str, catalogs: Catalogs | None = None) -> str:
    """The property; returns "refused" or "verified", raises Crash otherwise."""
    catalogs = catalogs or load_catalogs()
    try:
        loaded = load_text(text, name, catalogs)
    except InputError as err:
        if not err.findings:
            raise Crash("an InputError without findings") from err
        for f in err.findings:
            loc = f.location
            if loc is None or loc.file != name or loc.line < 1 or loc.column < 1:
                raise Crash(f"a problem without FILE:LINE:COL: {f}") from err
            if find_code(f.code) is None:
                raise Crash(f"a code erplan does not explain: {f.code}") from err
        if RAW.search(err.render()):
            raise Crash("a raw control character in an input problem") from err
        return "refused"
    report = verify(loaded, catalogs)
    text_out = render_text(report.findings)
    if RAW.search(text_out):
        raise Crash("a raw control character in the text report")
    for document in (
        report.to_dict(),
        to_json(report.findings),
        to_sarif(report.findings, all_rules(), default_file=name),
    ):
        json.loads(dumps(document), parse_constant=_not_json)
    return "verified"


def _not_json(name: str) -> Any:
    raise Crash(f"{name} in a JSON report: not JSON")
