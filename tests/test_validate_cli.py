"""`erplan validate`: a usable file says so on stdout (exit 0); an unusable one prints one line
per problem on stderr, FILE:LINE:COL first, exit 2, nothing on stdout, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from erplan.cli import main

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
GOOD = DATA / "good" / "minimal.yaml"
ERPLAN = Path(sys.executable).parent / "erplan"


def expected_problems() -> dict[str, list[str]]:
    cases: dict[str, list[str]] = {}
    current: list[str] = []
    for line in (BAD / "expected.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("== "):
            current = cases.setdefault(line[3:], [])
        elif line:
            current.append(line)
    return cases


EXPECTED = expected_problems()


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """The console-script entry point, in process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["erplan", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out, err


def listing(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


def test_valid_design(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(["validate", str(GOOD)], capsys, monkeypatch)
    assert (code, err) == (0, "")
    assert out == f"{GOOD}: valid (1 site, 0 circuits, 0 services)\n"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_design_text(
    name: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(BAD)
    before = listing(BAD)
    code, out, err = run(["validate", name], capsys, monkeypatch)
    assert code == 2
    assert out == ""
    assert err.splitlines() == EXPECTED[name]
    assert "Traceback" not in err
    assert listing(BAD) == before  # nothing written


def test_bad_design_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BAD)
    code, out, err = run(
        ["validate", "--format", "json", "multiple-errors.yaml"], capsys, monkeypatch
    )
    assert (code, err) == (2, "")
    doc = json.loads(out)
    assert doc["valid"] is False
    assert doc["file"] == "multiple-errors.yaml"
    assert doc["summary"] is None
    rendered = [
        f"{p['file']}:{p['line']}:{p['column']}: {p['message']} [{p['code']}]"
        for p in doc["problems"]
    ]
    assert rendered == EXPECTED["multiple-errors.yaml"]
    assert set(doc["problems"][0]) == {"code", "message", "file", "line", "column"}


def test_bad_design_sarif(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BAD)
    code, out, err = run(["validate", "-f", "sarif", "multiple-errors.yaml"], capsys, monkeypatch)
    assert (code, err) == (2, "")
    run_ = json.loads(out)["runs"][0]
    located = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
        )
        for r in run_["results"]
    ]
    assert located[0][0::2] == ("multiple-errors.yaml", "ERP012")
    assert len(located) == len(EXPECTED["multiple-errors.yaml"])
    assert {d["id"] for d in run_["tool"]["driver"]["rules"]} == {c for _, _, c in located}


def test_valid_design_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["validate", "-f", "json", str(GOOD)], capsys, monkeypatch)
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "file": str(GOOD),
        "valid": True,
        "summary": {
            "sites": 1,
            "circuits": 0,
            "services": 0,
            "breakouts": 0,
            "devices": 0,
            "wan_links": 0,
        },
        "problems": [],
    }


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["validate", "--format", "markdown", "x.yaml"], "--format markdown is not available"),
        (["validate", "-f", "xml", "x.yaml"], "'xml' is not one of"),
        (["validate"], "Missing argument"),
        (["validate", "a.yaml", "b.yaml"], "unexpected extra argument"),
        (["validate", "--bogus", "a.yaml"], "No such option: --bogus"),
    ],
)
def test_argument_errors_exit_2(
    args: list[str],
    needle: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(args, capsys, monkeypatch)
    assert code == 2
    assert out == ""
    assert needle in err
    assert "Traceback" not in err


def test_huge_file_refused_quickly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.write(b"erplan: 1\n" * 1000)
        fh.truncate(50 * 1024 * 1024)
    start = time.perf_counter()
    code, out, err = run(["validate", str(big)], capsys, monkeypatch)
    assert time.perf_counter() - start < 1.0
    assert (code, out) == (2, "")
    assert err == f"{big}:1:1: file is 50.0 MB; erplan reads design files up to 8 MB [ERP002]\n"
    assert listing(tmp_path) == [big]


def test_bad_endpoints_file_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    junk = tmp_path / "endpoints.json"
    junk.write_text("{not json", encoding="utf-8")
    code, out, err = run(["validate", "--endpoints", str(junk), str(GOOD)], capsys, monkeypatch)
    assert (code, out) == (2, "")
    assert err.startswith(f"{junk}:1:")
    assert "Traceback" not in err


def test_console_script(tmp_path: Path) -> None:
    """The installed command, as users run it: exit codes and streams end to end."""
    ok = subprocess.run(
        [str(ERPLAN), "validate", str(GOOD)], capture_output=True, text=True, check=False
    )
    assert (ok.returncode, ok.stderr) == (0, "")
    assert ok.stdout == f"{GOOD}: valid (1 site, 0 circuits, 0 services)\n"
    bad = subprocess.run(
        [str(ERPLAN), "validate", "wrong-type.yaml"],
        capture_output=True,
        text=True,
        check=False,
        cwd=BAD,
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.splitlines() == EXPECTED["wrong-type.yaml"]
