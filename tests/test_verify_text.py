"""`erplan verify` and `erplan trace` as text: tables that are never cut when piped, one line
per problem flow group with the report's codes and keys, every flow on request, colour on a
terminal only, and trace latencies that add up."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from _report import EXAMPLES, html, run_cli, verified
from erplan.cli.verify_text import render_verify
from erplan.report.problems import problem_groups

FIG04 = EXAMPLES / "g000-fig04-single-us-circuit.yaml"
FIG16 = EXAMPLES / "g000-fig16-shared-pool.yaml"
PROBLEM2 = EXAMPLES / "g001-problem2-inbound-er-no-snat.yaml"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def verify_text(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> object:
    def run(path: Path, *extra: str) -> str:
        monkeypatch.setenv("COLUMNS", "80")  # a narrow terminal's setting must not cut a pipe
        code, out, err = run_cli(["verify", str(path), *extra], capsys, monkeypatch)
        assert code in (0, 1) and err == ""
        return out

    return run


def test_piped_text_is_whole_and_plain(verify_text) -> None:  # type: ignore[no-untyped-def]
    out = verify_text(FIG16)
    _, report = verified(FIG16)
    lines = out.splitlines()
    assert "\x1b[" not in out  # no colour codes in a pipe
    assert all(line == line.rstrip() for line in lines)
    assert max(len(line) for line in lines) > 80
    for f in report.findings:
        if f.code.startswith("ERP80"):
            continue  # flow groups have their own table
        assert any(f.message in line for line in lines), f.code
    # The summary table: every verdict with its count.
    for verdict, n in report.summary["by_verdict"].items():
        assert re.search(rf"^{verdict}\s+{n}\s", out, re.M), verdict
    assert out.rstrip().endswith("3 errors, 3 warnings, 0 info")


def test_one_line_per_problem_group_with_the_reports_names(verify_text) -> None:  # type: ignore[no-untyped-def]
    out = verify_text(FIG16)
    _, report = verified(FIG16)
    groups = problem_groups(report)
    lines = [line for line in out.splitlines() if re.match(r"ERP8\d\d ", line)]
    assert len(lines) == len(groups) == 2
    page = html(FIG16)
    for g, line in zip(groups, lines, strict=True):
        assert line.split()[:2] == [g.finding.code, g.verdict]
        assert g.cause_key in line and g.example in line and str(g.finding.location) in line
        # The report names the same group with the same code, cause key and location.
        assert f"<code>{g.cause_key}</code>" in page and str(g.finding.location) in page
    assert "return-elsewhere: the reply comes back by another circuit" in out


def test_flows_table_lists_every_flow_once(verify_text) -> None:  # type: ignore[no-untyped-def]
    out = verify_text(PROBLEM2, "--flows")
    _, report = verified(PROBLEM2)
    keys = [f.key for r in report.results for f in r.flows]
    lines = out.splitlines()
    for key in keys:  # keys may hold spaces (a front end's name): columns are 2+ apart
        assert sum(1 for line in lines if line.startswith(key + "  ")) == 1, key


def test_colour_on_a_terminal_only() -> None:
    _, report = verified(FIG16)
    tty = _Terminal()
    render_verify(report, out=tty)
    assert "\x1b[" in tty.getvalue()
    pipe = io.StringIO()
    render_verify(report, out=pipe)
    assert "\x1b[" not in pipe.getvalue()


_HOP_MS = re.compile(r"\+(\d+\.\d) ms")
_LEG = re.compile(r"  (request|reply) by .*?: \w+, (\d+\.\d) ms one way$")
_BRANCH = re.compile(
    r"branch \d+/\d+: [\d.]+% of connections, (\w+)(?:, (\d+\.\d) ms round trip)?$"
)


def _branches(text: str) -> list[tuple[str, float | None, list[tuple[float, list[float]]]]]:
    """(outcome, round trip shown, [(leg total shown, [hop figures])]) per branch."""
    out: list[tuple[str, float | None, list[tuple[float, list[float]]]]] = []
    for line in text.splitlines():
        if m := _BRANCH.match(line):
            out.append((m.group(1), float(m.group(2)) if m.group(2) else None, []))
        elif m := _LEG.match(line):
            out[-1][2].append((float(m.group(2)), []))
        elif re.match(r"\s+\d+\. ", line) and out and out[-1][2]:
            got = _HOP_MS.search(line)
            out[-1][2][-1][1].append(float(got.group(1)) if got else 0.0)
    return out


@pytest.mark.parametrize("path", [FIG04, FIG16, PROBLEM2], ids=lambda p: p.stem)
def test_trace_latencies_add_up(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, report = verified(path)
    for r in report.results[:12]:
        code, out, _ = run_cli(["trace", str(path), "--flow", r.flow.key], capsys, monkeypatch)
        assert code in (0, 1)
        branches = _branches(out)
        assert len(branches) == len(r.trace.branches)
        trips = []
        for outcome, trip, legs in branches:
            for total, hops in legs:
                assert round(sum(hops), 1) == total, out  # a leg is the sum of its hops
            if outcome in ("ok", "asymmetric"):
                assert trip is not None
                there = legs[0][0]
                back = legs[1][0] if len(legs) > 1 else there
                assert round(there + back, 1) == trip, out  # a round trip, of its legs
                trips.append(trip)
        verdict = re.search(r"^verdict: [^,]*?(?:\([^)]*\))?, (\d+\.\d) ms", out, re.M)
        if trips:
            assert verdict is not None and float(verdict.group(1)) == max(trips), out
