"""The loader: YAML -> plain data + positions -> Design, and every input problem as a coded
finding at its exact line and column, all of them in one run, in file order."""

from __future__ import annotations

import re
import time
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from erplan import load as load_module
from erplan.analyses import stages
from erplan.catalogs import load_catalogs
from erplan.diagnostics import InputError, Location
from erplan.load import (
    CODES,
    MAX_BYTES,
    LoadedDesign,
    SourceMap,
    load_design,
    load_mapping,
    load_text,
    parse_text,
    text_checks,
    yaml_compose,
)

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
GOOD = DATA / "good" / "minimal.yaml"
EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))


def expected_problems() -> dict[str, list[str]]:
    """tests/data/bad/expected.txt: for each bad fixture, the exact problem lines, in order."""
    cases: dict[str, list[str]] = {}
    current: list[str] = []
    for line in (BAD / "expected.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("== "):
            current = cases.setdefault(line[3:], [])
        elif line:
            current.append(line)
    return cases


EXPECTED = expected_problems()


def problems(text: str, catalogs: bool = True) -> list[str]:
    with pytest.raises(InputError) as info:
        load_text(text, "d.yaml", load_catalogs() if catalogs else None)
    return [
        f"{f.location.line}:{f.location.column} {f.code} {f.message}"
        for f in info.value.findings
        if f.location is not None
    ]


MINIMAL = "erplan: 1\ntenant:\n  geography: US\nsites:\n  hq:\n    location: New York\n"


# --------------------------------------------------------------------------- fixtures


def test_every_bad_fixture_has_expectations() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in BAD.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_fixture_reports_exactly_the_expected_problems(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BAD)  # messages name the file as given
    with pytest.raises(InputError) as info:
        load_design(Path(name), load_catalogs())
    assert info.value.render().splitlines() == EXPECTED[name]


def test_good_minimal_fixture_loads() -> None:
    loaded = load_design(GOOD, load_catalogs())
    assert isinstance(loaded, LoadedDesign)
    assert loaded.path == GOOD
    assert list(loaded.design.sites) == ["hq"]
    assert loaded.design.sites["hq"].users == 200
    assert loaded.source.where(("sites", "hq", "users")) == Location(str(GOOD), 8, 12)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_shipped_examples_load(path: Path) -> None:
    loaded = load_design(path, load_catalogs())
    assert loaded.design.sites


# --------------------------------------------------------------------------- positions


def test_source_map_points_at_values_keys_and_falls_back_to_ancestors() -> None:
    text = (
        "erplan: 1\n"
        "tenant: {geography: US}\n"
        "sites:\n"
        "  us: {location: New York}\n"
        "  eu: {location: Amsterdam}\n"
        "wan:\n"
        "  - between: [us, eu]\n"
        "circuits:\n"
        "  us-er:\n"
        "    peering_location: New York\n"
        "    site: us\n"
        "    peer_asn: 394500\n"
        "    snat_pool: 20.2.2.0/29\n"
    )
    src = load_text(text, "d.yaml").source
    assert src.where(("circuits", "us-er", "snat_pool")) == Location("d.yaml", 13, 16)
    assert src.key_where(("circuits", "us-er", "snat_pool")) == Location("d.yaml", 13, 5)
    assert src.where(("wan", 0, "between", 1)) == Location("d.yaml", 7, 19)
    assert src.key_where(("circuits", "us-er")) == Location("d.yaml", 9, 3)
    # No position of its own (a default): the nearest ancestor's.
    assert src.where(("circuits", "us-er", "bandwidth_mbps")) == Location("d.yaml", 10, 5)
    assert src.where(()) == Location("d.yaml", 1, 1)


def test_load_mapping_validates_plain_data_without_positions() -> None:
    loaded = load_mapping(
        {"erplan": 1, "tenant": {"geography": "US"}, "sites": {"hq": {"location": "Chicago"}}}
    )
    assert loaded.design.sites["hq"].location == "Chicago"
    assert loaded.source.where(("sites", "hq")) is None
    with pytest.raises(InputError) as info:
        load_mapping({"erplan": 1, "tenant": {"geography": "US"}, "sites": {"hq": {}}})
    (finding,) = info.value.findings
    assert finding.code == "ERP011"
    assert finding.message == "missing required key 'location' in sites.hq"
    assert finding.location is None


def test_mapping_and_text_give_the_same_design() -> None:
    from_text = load_text(GOOD.read_text(), "x.yaml").design
    from_mapping = load_mapping(parse_text(GOOD.read_text(), "x.yaml")[0]).design
    assert from_text == from_mapping


# --------------------------------------------------------------------------- YAML reading


def test_yaml_12_core_schema_keeps_no_as_text_and_keys_as_written() -> None:
    text = MINIMAL.replace("geography: US", "geography: NO") + "  2024:\n    location: Oslo\n"
    design = load_text(text, "d.yaml").design
    assert design.tenant.geography == "NO"
    assert list(design.sites) == ["hq", "2024"]


def test_anchors_aliases_and_merge_keys() -> None:
    text = (
        "erplan: 1\n"
        "tenant: {geography: US}\n"
        "sites:\n"
        "  hq: &site {location: New York, users: 10, prefixes: [10.0.0.0/8]}\n"
        "  eu:\n"
        "    <<: *site\n"
        "    location: Amsterdam\n"
    )
    design = load_text(text, "d.yaml").design
    assert design.sites["eu"].location == "Amsterdam"
    assert design.sites["eu"].users == 10
    assert design.sites["eu"].prefixes == [IPv4Network("10.0.0.0/8")]


def test_standard_tags_are_accepted_and_checked() -> None:
    design = load_text(MINIMAL + "    users: !!int 12\nname: !!str 2024\n", "d.yaml").design
    assert design.sites["hq"].users == 12
    assert design.name == "2024"
    assert problems(MINIMAL + "    users: !!int twelve\n") == [
        "7:12 ERP012 'twelve' is not a valid !!int"
    ]


def test_yaml_error_in_pure_python_parser_matches_the_fast_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without libyaml the pure-Python parser is used, with the same data and positions."""
    fast = load_design(GOOD)
    monkeypatch.setattr(yaml_compose, "CParser", None)
    slow = load_design(GOOD)
    assert fast.design == slow.design
    assert dict(fast.source.values) == dict(slow.source.values)
    assert dict(fast.source.keys) == dict(slow.source.keys)


def test_deep_nesting_is_refused() -> None:
    text = MINIMAL + "name: " + "[" * 200 + "]" * 200 + "\n"
    assert problems(text, catalogs=False) == [
        "7:70 ERP007 nesting deeper than 64 levels; refusing the file"
    ]


def test_non_scalar_key_is_refused() -> None:
    assert problems(MINIMAL + "? [a, b]\n: c\n", catalogs=False) == [
        "7:3 ERP007 a mapping key must be a plain name, not a list or mapping"
    ]


def test_control_character_is_refused() -> None:
    assert problems(MINIMAL.replace("US", "U\x07S"), catalogs=False) == [
        "3:15 ERP003 control character U+0007 is not allowed in a design file"
    ]


# --------------------------------------------------------------------------- bounds


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.write(b"erplan: 1\n")
        fh.truncate(50 * 1024 * 1024)  # 50 MB, sparse: cheap to make
    start = time.perf_counter()
    with pytest.raises(InputError) as info:
        load_design(big)
    assert time.perf_counter() - start < 0.5
    (finding,) = info.value.findings
    assert finding.code == "ERP002"
    assert finding.location == Location(str(big), 1, 1)
    assert finding.message == "file is 50.0 MB; erplan reads design files up to 8 MB"


def test_huge_text_is_refused() -> None:
    with pytest.raises(InputError) as info:
        load_text("#" * (MAX_BYTES + 1), "t.yaml")
    assert info.value.findings[0].code == "ERP002"


def test_directory_and_missing_file_are_unreadable(tmp_path: Path) -> None:
    for path, reason in ((tmp_path, "is a directory"), (tmp_path / "nope.yaml", "no such file")):
        with pytest.raises(InputError) as info:
            load_design(path)
        (finding,) = info.value.findings
        assert finding.code == "ERP001"
        assert reason in finding.message


def synthetic(n: int) -> str:
    lines = ["erplan: 1", "tenant:", "  geography: US", "sites:"]
    for i in range(n):
        lines += [
            f"  s{i}:",
            f"    location: {{lat: {i % 90}, lon: {i % 180}}}",
            f"    users: {100 + i}",
            f"    prefixes: [10.{i // 256 % 256}.{i % 256}.0/24]",
            f"    resolver_egress: b{i}",
        ]
    lines.append("wan:")
    for i in range(1, n):
        lines += [f"  - between: [s0, s{i}]", f"    latency_ms: {i % 50 + 1}"]
    lines.append("breakouts:")
    for i in range(n):
        lines += [f"  b{i}:", f"    site: s{i}", f"    nat: [20.{i // 256 % 256}.{i % 256}.1/32]"]
    return "\n".join(lines) + "\n"


def test_thousand_site_design_loads_quickly() -> None:
    text = synthetic(1000)
    assert text.count("\n") > 10_000
    best = min(_timed(text) for _ in range(3))
    # About 0.25 s on a laptop core; the bound leaves room for a busy CI machine.
    assert best < 1.0, f"1,000 sites took {best:.2f} s"


def _timed(text: str) -> float:
    start = time.perf_counter()
    loaded = load_text(text, "big.yaml")
    elapsed = time.perf_counter() - start
    assert len(loaded.design.sites) == 1000
    return elapsed


# --------------------------------------------------------------------------- messages


def test_unknown_key_suggestion_and_nested_type_errors() -> None:
    text = MINIMAL + "    proxy: {mdoe: pac}\n    er_routes: maybe\n"
    assert problems(text) == [
        "7:13 ERP010 unknown key 'mdoe' in sites.hq.proxy; did you mean 'mode'?",
        "8:16 ERP012 sites.hq.er_routes: expected true or false, got 'maybe'",
    ]


def test_bad_addresses() -> None:
    text = MINIMAL + (
        "services:\n"
        "  mail:\n"
        "    fqdn: mail.contoso.com\n"
        "    dns_record: 20.2.2.300\n"
        "    public_address: mail\n"
        "    site: hq\n"
    )
    assert problems(text) == [
        "10:17 ERP013 services.mail.dns_record: '20.2.2.300' is not a valid IPv4 address: "
        "octet 300 (> 255) not permitted in '20.2.2.300'",
        "11:21 ERP013 services.mail.public_address: 'mail' is not a valid IPv4 address: "
        "expected an IPv4 address such as 192.0.2.10",
    ]


def test_circuit_and_breakout_may_not_share_a_name() -> None:
    text = MINIMAL + (
        "breakouts:\n  x: {site: hq}\n"
        "circuits:\n  x: {peering_location: New York, site: hq, peer_asn: 65000}\n"
    )
    assert problems(text) == [
        "10:3 ERP028 circuits.x: a breakout has the same name; entry paths name circuits and "
        "breakouts, so names must differ"
    ]


def test_silence_needs_a_reason() -> None:
    text = MINIMAL + "    silence: {ERP101: ''}\n"
    assert problems(text) == [
        "7:23 ERP028 sites.hq.silence.ERP101: silencing ERP101 needs a reason"
    ]


def test_version_problem_is_reported_alone() -> None:
    text = "erplan: '1'\ntenant: 5\nsites: 6\n"
    assert problems(text) == [
        "1:9 ERP008 unsupported format version '1'; this erplan reads version 1"
    ]


def test_every_code_used_is_documented() -> None:
    package = Path(load_module.__file__).parent
    used: set[str] = set()
    for module in package.glob("*.py"):
        if module.name != "codes.py":
            used |= set(re.findall(r'"(ERP0\d\d)"', module.read_text(encoding="utf-8")))
    used.add(text_checks.CODE)
    used.add(stages.CODE)  # a rollout plan is an input too, read by `erplan stages`
    assert used <= set(CODES)
    assert set(CODES) <= used


def test_source_map_empty_has_no_positions() -> None:
    assert SourceMap("x").where(("a", 1)) is None
    assert SourceMap("x").key_where(("a",)) is None


def _at(loc: Location | None) -> tuple[int, int] | None:
    return None if loc is None else (loc.line, loc.column)


def test_positions_of_values_keys_merges_and_ancestors() -> None:
    text = "a:\n  b: [1, {c: 2}]\n  <<: {d: 3}\nx: 1\n"
    _, source, problems, _ = parse_text(text, "d.yaml")
    assert problems == []
    assert _at(source.where(("a", "b", 1, "c"))) == (2, 14)
    assert _at(source.key_where(("a", "b", 1, "c"))) == (2, 11)
    assert _at(source.where(("a", "b", 0))) == (2, 7)
    assert _at(source.key_where(("a", "b", 0))) == (2, 7)  # a list item has no key
    assert _at(source.where(("a", "b", 5, "zz"))) == (2, 6)  # the nearest ancestor
    assert _at(source.where(("a", "d"))) == _at(source.key_where(("a", "d"))) == (3, 7)
    assert _at(source.key_where(("x",))) == (4, 1)
    assert _at(source.where(("nope",))) == (1, 1)
    assert source.values[("a", "b", 1, "c")] == (2, 14)
    assert source.keys[("a", "b")] == (2, 3)
    assert ("a", "b", 0) not in source.keys


def test_positions_of_skipped_copies_do_not_hide_what_was_kept() -> None:
    """A duplicate key's ignored value and a refused key are kept apart (named ``?``): the
    first ``k`` keeps its place, and where ``?`` recurs the last written wins."""
    text = "s:\n  k: 1\n  k: 2\n  ? [1]\n  : 3\n"
    _, source, problems, _ = parse_text(text, "d.yaml")
    assert [f.code for f in problems] == ["ERP006", "ERP007"]
    assert "first defined at line 2, column 3" in problems[0].message
    assert _at(source.where(("s", "k"))) == (2, 6)
    assert _at(source.key_where(("s", "k"))) == (2, 3)
    assert _at(source.where(("s", "?"))) == (5, 5)


@pytest.mark.parametrize("value", ["true", "5", "4294967295", "1.5"])
def test_numbers_and_booleans_are_not_addresses(value: str) -> None:
    """The model's address types would read 5 as 0.0.0.5 and true as 0.0.0.1."""
    text = (
        MINIMAL
        + f"    prefixes: [{value}]\n"
        + "services:\n"
        + f"  m: {{fqdn: mail.contoso.com, dns_record: {value}, public_address: 20.2.2.1, "
        + "site: hq}\n"
    )
    assert problems(text) == [
        f"7:16 ERP013 sites.hq.prefixes[0]: expected an IPv4 prefix such as 192.0.2.0/24, "
        f"got {value}",
        f"9:43 ERP013 services.m.dns_record: expected an IPv4 address, got {value}",
    ]


def test_a_site_names_a_workload_profile_that_exists() -> None:
    """ERP029: a site's `workload` is a profile of `workloads` (or `default`, built in)."""
    profiles = "workloads:\n  engineering:\n    teams_kbps: 1000\n"
    site = "    workload: enginering\n"
    assert problems(MINIMAL + site + profiles) == [
        "7:15 ERP029 sites.hq.workload: undefined workload 'enginering'; did you mean "
        "'engineering'?"
    ]
    load_text(MINIMAL + "    workload: default\n", "d.yaml", load_catalogs())
