"""Nothing raw reaches a terminal or a report: what a field may hold is checked at load
(ERP016, FILE:LINE:COL, exit 2), and every text renderer escapes what remains; JSON and SARIF
escape by themselves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from _cli import run
from erplan.catalogs import load_catalogs
from erplan.diagnostics import Finding, InputError, Location, Severity
from erplan.load import load_mapping, load_text
from erplan.output import dumps, render_text, to_json, to_sarif
from erplan.untrusted import TextKind, escape_text, text_problem

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "g000-fig16-shared-pool.yaml"
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # never printed

HEAD = "erplan: 1\ntenant: {geography: US}\n"


def problems(text: str) -> list[tuple[int, int, str, str]]:
    with pytest.raises(InputError) as info:
        load_text(text, "d.yaml", load_catalogs())
    return [
        (f.location.line, f.location.column, f.code, f.message)
        for f in info.value.findings
        if f.location is not None
    ]


# -- what each field may hold -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "kind", "ok"),
    [
        ("us-east_1", TextKind.NAME, True),
        ("São Paulo (GRU) 2", TextKind.NAME, True),
        ("Queretaro (Mexico)", TextKind.NAME, True),
        ("12076:5010", TextKind.NAME, True),
        ("a,b", TextKind.NAME, True),  # printable: every output escapes names
        (" padded", TextKind.NAME, False),
        ("x" * 129, TextKind.NAME, False),
        ("hq\x1b[2J", TextKind.NAME, False),
        ("hq\u202egpj.exe", TextKind.NAME, False),
        ("mail.contoso.com", TextKind.FQDN, True),
        ("autodiscover.contoso.com.", TextKind.FQDN, True),
        ("mail..contoso.com", TextKind.FQDN, False),
        ("-mail.contoso.com", TextKind.FQDN, False),
        ("mail contoso.com", TextKind.FQDN, False),
        ("A title, with — typography: §7.3", TextKind.LINE, True),
        ("two\nlines", TextKind.LINE, False),
        ("forged\rline", TextKind.LINE, False),
        ("first paragraph\n\n\tsecond", TextKind.PARAGRAPHS, True),
        ("title\x1b]0;owned\x07", TextKind.PARAGRAPHS, False),
        ("\u2066isolate", TextKind.LINE, False),
    ],
)
def test_text_policy(value: str, kind: TextKind, ok: bool) -> None:
    assert (text_problem(value, kind) is None) is ok


def test_hostile_names_are_refused_at_their_position_once_each() -> None:
    text = (
        HEAD
        + "sites:\n"
        + '  "hq\\e[2J":\n'  # 4: a name with an escape sequence
        + "    location: New York\n"
        + "  br:\n"
        + '    location: "Paris\\u202e"\n'  # 7: a bidi override in a catalog name
        + '    breakout: "x\\r\\ny"\n'  # 8: CR/LF in a reference
        + "breakouts:\n"
        + "  b1:\n"
        + '    site: "hq\\e[2J"\n'  # 11: the bad name, referenced
        + "services:\n"
        + "  mail:\n"
        + "    fqdn: mail..contoso.com\n"  # 14
        + "    dns_record: 20.2.2.1\n"
        + "    public_address: 20.2.2.1\n"
        + "    site: br\n"
        + '"unknown\\ekey": 1\n'  # 18: not also 'unknown key'
    )
    got = problems(text)
    assert [(line, col, code) for line, col, code, _ in got] == [
        (4, 3, "ERP016"),
        (7, 15, "ERP016"),
        (8, 15, "ERP016"),
        (11, 11, "ERP016"),
        (14, 11, "ERP016"),
        (18, 1, "ERP016"),
    ]
    assert "holds U+001B (ESCAPE)" in got[0][3]
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in got[1][3]
    assert "U+000D (CARRIAGE RETURN)" in got[2][3]
    assert "empty label" in got[4][3]
    for _, _, _, message in got:
        assert RAW.search(message) is None  # messages quote with escapes (repr)


def test_description_may_span_lines_but_a_silence_reason_may_not() -> None:
    ok = HEAD + "description: |\n  first line\n\n  second\nsites:\n  hq: {location: New York}\n"
    assert load_text(ok, "d.yaml", load_catalogs()).design.description == "first line\n\nsecond\n"
    bad = (
        HEAD + 'sites:\n  hq:\n    location: New York\n    silence: {ERP711: "ok\\nERP999 fake"}\n'
    )
    assert [(line, code) for line, _, code, _ in problems(bad)] == [(6, "ERP016")]


def test_the_python_api_is_held_to_the_same_policy() -> None:
    data = {"erplan": 1, "tenant": {"geography": "US"}, "sites": {"a\x1b": {"location": "Oslo"}}}
    with pytest.raises(InputError) as info:
        load_mapping(data, catalogs=load_catalogs())
    assert [f.code for f in info.value.findings] == ["ERP016"]


# -- every renderer escapes -------------------------------------------------------------------
HOSTILE = Finding(
    "ERP999",
    Severity.ERROR,
    "name \x1b[2J\x1b]0;title\x07 then\r\nERP000 error forged line \u202etxt.exe",
    Location("f\x1b.yaml", 1, 2),
    fix="fix\x1b[31m",
    source="src\u2067",
)


def test_escape_text_keeps_nothing_raw() -> None:
    shown = escape_text(HOSTILE.message)
    assert RAW.search(shown) is None and "\n" not in shown
    assert shown.startswith("name \\x1b[2J\\x1b]0;title\\x07 then\\r\\nERP000")
    assert escape_text("plain — ünïcode") == "plain — ünïcode"


def test_text_report_and_input_errors_are_escaped() -> None:
    text = render_text([HOSTILE])
    assert RAW.search(text) is None
    assert len(text.splitlines()) == 4  # finding, fix, see, summary: no forged line
    rendered = InputError([HOSTILE]).render()
    assert RAW.search(rendered) is None and "\n" not in rendered


def test_json_and_sarif_escape_by_themselves() -> None:
    for document in (to_json([HOSTILE]), to_sarif([HOSTILE])):
        text = dumps(document)
        assert re.search(r"[\x00-\x1f]", text.replace("\n", "")) is None
        assert json.loads(text)  # valid JSON, the text round-trips
    assert json.loads(dumps(to_json([HOSTILE])))["findings"][0]["message"] == HOSTILE.message


def _hostile_copy(tmp_path: Path) -> Path:
    name = tmp_path / "design\x1b]0;owned\x07\u202e.yaml"
    name.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    return name


@pytest.mark.parametrize("command", ["lint", "verify", "validate"])
def test_commands_escape_the_file_name_in_text(
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    design = _hostile_copy(tmp_path)
    result = run([command, str(design)], capsys, monkeypatch)
    assert result.code in (0, 1)
    assert RAW.search(result.out) is None and RAW.search(result.err) is None
    assert "design\\x1b]0;owned\\x07\\u202e.yaml" in result.out


@pytest.mark.parametrize(
    ("command", "fmt"), [("lint", "json"), ("lint", "sarif"), ("verify", "json")]
)
def test_commands_json_and_sarif_are_valid_with_a_hostile_file_name(
    command: str,
    fmt: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    design = _hostile_copy(tmp_path)
    result = run([command, str(design), "--format", fmt], capsys, monkeypatch)
    assert re.search(r"[\x00-\x1f]", result.out.replace("\n", "")) is None
    json.loads(result.out)


def test_input_errors_and_usage_errors_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad\x1b[2J.yaml"
    bad.write_text(HEAD + "sites:\n  hq: {location: New York, users: many}\n")
    result = run(["validate", str(bad)], capsys, monkeypatch)
    assert result.code == 2 and RAW.search(result.err) is None
    assert "bad\\x1b[2J.yaml:4:" in result.err
    result = run(["explain", "ERP\x1b[2J"], capsys, monkeypatch)
    assert result.code == 2 and RAW.search(result.err) is None


def test_trace_escapes_a_host_name_given_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(
        ["trace", str(EXAMPLE), "--from", "us", "--to", "x\x1b[2J.sharepoint.com"],
        capsys,
        monkeypatch,
    )
    assert result.code in (0, 1)
    assert "x\\x1b[2j.sharepoint.com" in result.out  # host names are lowercased
    assert RAW.search(result.out) is None
