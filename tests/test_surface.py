"""One command surface: the same --format everywhere (refused the same way), every printed
code explained, one silencing for every code, --version, workflow order, full-width pipes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from _cli import run
from _designs import circuit, load, two_sites
from _designs import run as verify_data
from erplan import silencing
from erplan.codes import all_codes, find_code, suggest_code
from erplan.diagnostics import Finding, Severity
from erplan.files import STDIN

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SHARED_POOL = ROOT / "examples" / "g000-fig16-shared-pool.yaml"
ENDPOINTS = Path(__file__).parent / "data" / "endpoints"
HA = ROOT / "examples" / "g001-sharepoint-outbound.yaml"
PLAN = ROOT / "examples" / "plans" / "g001-sharepoint-rollout.yaml"


# -- --format -----------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["validate", "lint", "verify"])
@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "TEXT"])
def test_findings_commands_take_every_findings_format(
    command: str, fmt: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run([command, str(SHARED_POOL), "-f", fmt], capsys, monkeypatch)
    assert result.code in (0, 1) and result.err == ""
    if fmt == "sarif":
        assert json.loads(result.out)["version"] == "2.1.0"
    elif fmt == "json":
        json.loads(result.out)


@pytest.mark.parametrize(
    ("args", "fmt", "allowed"),
    [
        (
            ["trace", str(SHARED_POOL), "--from", "us", "--to", "outlook.office365.com"],
            "sarif",
            "text or json",
        ),
        (["verify", str(SHARED_POOL)], "markdown", "text, json or sarif"),
        (["lint", str(SHARED_POOL)], "markdown", "text, json or sarif"),
        (["validate", str(SHARED_POOL)], "markdown", "text, json or sarif"),
        (["rules"], "sarif", "text, json or markdown"),
        (["explain", "ERP305"], "sarif", "text or json"),
        (["security", str(SHARED_POOL)], "sarif", "text, json or markdown"),
        (["catalog"], "sarif", "text or json"),
        (["meetme", str(SHARED_POOL)], "sarif", "text, json, csv or markdown"),
        (["failures", str(SHARED_POOL)], "sarif", "text, json, csv or markdown"),
        (["bandwidth", str(SHARED_POOL)], "sarif", "text, json, csv or markdown"),
        (["diff", str(SHARED_POOL), str(SHARED_POOL)], "sarif", "text, json, csv or markdown"),
        (["stages", str(SHARED_POOL), "--plan", str(PLAN)], "sarif", "text, json, csv or markdown"),
        (["verify", str(SHARED_POOL)], "csv", "text, json or sarif"),
        (
            ["endpoints", "diff", str(ENDPOINTS / "old.json"), str(ENDPOINTS / "new.json")],
            "sarif",
            "text or json",
        ),
    ],
)
def test_a_format_a_command_cannot_do_is_refused_the_same_way(
    args: list[str],
    fmt: str,
    allowed: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run([*args, "--format", fmt], capsys, monkeypatch)
    command = "endpoints diff" if args[0] == "endpoints" else args[0]
    assert result.code == 2 and result.out == ""
    assert result.err == (f"erplan: {command}: --format {fmt} is not available; use {allowed}\n")


@pytest.mark.parametrize(
    "args",
    [
        ["meetme", "DESIGN"],
        ["failures", "DESIGN", "--failure", "Chicago"],
        ["bandwidth", "DESIGN"],
        ["diff", str(HA), "DESIGN"],
        ["stages", "DESIGN", "--plan", str(PLAN)],
    ],
)
def test_planning_commands_share_output_and_standard_input(
    args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """-o writes what stdout would show (atomically, never onto an input); - reads the design
    from standard input."""
    with_file = [str(HA) if a == "DESIGN" else a for a in args]
    printed = run([*with_file, "-f", "json"], capsys, monkeypatch)
    assert printed.code in (0, 1) and printed.err == ""
    target = tmp_path / "out.json"
    written = run([*with_file, "-f", "json", "-o", str(target)], capsys, monkeypatch)
    assert (written.code, written.out) == (printed.code, "")
    assert target.read_text(encoding="utf-8") == printed.out
    piped = [STDIN if a == "DESIGN" else a for a in args]
    stdin = HA.read_text(encoding="utf-8")
    assert run([*piped, "-f", "json"], capsys, monkeypatch, stdin=stdin).out == printed.out
    onto_input = run([*with_file, "-o", str(HA)], capsys, monkeypatch)
    assert onto_input.code == 2 and onto_input.out == ""
    assert HA.read_text(encoding="utf-8") == stdin


# -- every code printed is explained ------------------------------------------------------------
def test_every_code_in_the_sources_is_in_the_catalog() -> None:
    used: set[str] = set()
    for module in (ROOT / "src" / "erplan").rglob("*.py"):
        used |= set(re.findall(r'"(ERP\d{3})"', module.read_text(encoding="utf-8")))
    known = {c.code for c in all_codes()}
    assert used - known == set()
    assert {c.kind for c in all_codes()} == {"input", "rule", "flow", "pac", "generate"}


def test_every_code_the_examples_print_is_explained(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    printed: set[str] = set()
    for example in EXAMPLES:
        result = run(["verify", str(example), "-f", "json"], capsys, monkeypatch)
        printed |= {f["code"] for f in json.loads(result.out)["findings"]}
    assert {"ERP803", "ERP815", "ERP701"} <= printed
    for code in sorted(printed | {"ERP016", "ERP092", "ERP096"}):
        result = run(["explain", code], capsys, monkeypatch)
        assert result.code == 0 and result.out.startswith(f"{code} "), code
        assert "Fix: " in result.out


def test_explain_by_name_and_with_a_typo(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(["explain", "outbound-dropped"], capsys, monkeypatch).out.startswith("ERP803 ")
    typo = run(["explain", "ERP8O3"], capsys, monkeypatch)
    assert typo.code == 2 and "did you mean ERP803?" in typo.err
    assert suggest_code("snat-pool-overlap") == "snat-pools-overlap"
    listing = run(["rules", "--kind", "flow", "-f", "json"], capsys, monkeypatch)
    assert [c["code"][:4] for c in json.loads(listing.out)] == ["ERP8"] * 15


def test_route_note_texts_match_the_findings_verify_makes() -> None:
    d = two_sites()
    d["circuits"]["us-er"]["region_preference"] = {"West Europe": 300}
    # A tie between a working circuit and one whose pool is not advertised (ERP821).
    d["circuits"]["us-er2"] = circuit("us", "Washington DC", "20.2.2.16/29", advertises=[])
    findings = {f.code: f for f in verify_data(d).findings}
    for code in ("ERP820", "ERP821", "ERP822"):
        info = find_code(code)
        assert info is not None
        assert (findings[code].fix, findings[code].source, findings[code].severity) == (
            info.fix,
            info.source,
            info.severity,
        )


# -- silencing ----------------------------------------------------------------------------------
def test_a_flow_code_is_silenced_like_a_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = run(["verify", str(SHARED_POOL), "-f", "json"], capsys, monkeypatch)
    dropped = [f for f in json.loads(before.out)["findings"] if f["code"] == "ERP803"]
    assert dropped and all("silenced" not in f for f in dropped)
    subject = dropped[0]["subject"]
    name = subject.split(".")[1]
    text = SHARED_POOL.read_text(encoding="utf-8")
    assert f"\n  {name}:\n" in text
    for key in ("ERP803", "outbound-dropped", "Outbound-Dropped"):
        silenced = tmp_path / "silenced.yaml"
        silenced.write_text(
            text.replace(
                f"\n  {name}:\n",
                f"\n  {name}:\n    silence:\n      {key}: accepted for the test\n",
                1,
            )
        )
        after = run(["verify", str(silenced), "-f", "json"], capsys, monkeypatch)
        findings = json.loads(after.out)["findings"]
        assert all(
            f.get("silenced") for f in findings if f["code"] == "ERP803" and f["subject"] == subject
        )
        assert not [f for f in findings if f["code"] == "ERP791"], key


def test_silencing_names_with_dots_and_circuit_links() -> None:
    d = two_sites()
    d["sites"]["hq.paris"] = {"location": "Paris", "silence": {"ERP711": "the proxy is elsewhere"}}
    design = load(d).design
    f = Finding("ERP711", Severity.ERROR, "m", subject="sites.hq.paris")
    assert silencing.apply([f], design)[0].silenced == "the proxy is elsewhere"
    assert silencing.owners_of(
        Finding("ERP803", Severity.ERROR, "m", subject="circuits.us-er.links.primary"), design
    ) == [("circuits", "us-er", "links", "primary"), ("circuits", "us-er")]


# -- the rest of the surface --------------------------------------------------------------------
def test_version_and_workflow_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from erplan import __version__

    assert run(["--version"], capsys, monkeypatch).out == f"erplan {__version__}\n"
    helped = run(["--help"], capsys, monkeypatch).out
    listed = re.findall(r"^│ (\w+) ", helped, flags=re.MULTILINE)
    # The README's command table is in the order of the work; --help lists them the same way.
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    cells = [line.split(" | ")[0] for line in readme.splitlines() if line.startswith("| `")]
    named = [n for cell in cells for n in re.findall(r"`(?:sudo )?erplan (\w+)", cell)]
    documented = list(dict.fromkeys(named))
    assert listed == documented
    assert listed[:4] == ["validate", "lint", "verify", "trace"]


def test_help_imports_neither_the_loader_nor_the_engine() -> None:
    """`erplan --help` stays fast: the command modules import the heavy parts when they run."""
    code = (
        "import sys, erplan.cli\n"
        "parts = ('engine', 'load', 'analyses', 'catalogs')\n"
        "heavy = [m for m in sys.modules if m.startswith('erplan.') and m.split('.')[1] in parts]\n"
        "print(','.join(sorted(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_piped_tables_are_never_cut_at_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    result = run(["catalog", "endpoints"], capsys, monkeypatch)
    rows = [line for line in result.out.splitlines() if line.startswith("│")]
    assert max(len(line) for line in rows) > 80
    row = next(line for line in rows if "outlook.cloud.microsoft" in line)
    assert "outlook.office.com (+" in row  # the cell in full, on its row
