"""The shipped catalogs: contents, look-ups, geoDNS answers, and untrusted endpoint downloads."""

from __future__ import annotations

import json
import os
import time
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erplan.catalogs import (
    MAX_ENDPOINTS_BYTES,
    Catalogs,
    EndpointSet,
    load_catalogs,
    read_endpoints,
    suggest,
)
from erplan.catalogs import catalog as catalog_module
from erplan.diagnostics import InputError, Location

DATA = Path(__file__).parent / "data" / "endpoints"


@pytest.fixture(scope="module")
def cat() -> Catalogs:
    return load_catalogs()


def _only_problem(err: pytest.ExceptionInfo[InputError]) -> tuple[str, Location | None, str]:
    assert len(err.value.findings) == 1
    f = err.value.findings[0]
    return f.code, f.location, f.message


# -- loading ---------------------------------------------------------------------------------
def test_shipped_catalogs_are_loaded_once_per_process(cat: Catalogs) -> None:
    assert load_catalogs() is cat
    assert load_catalogs(None) is cat


def test_whole_catalog_loads_well_under_100_ms() -> None:
    catalog_module._shipped.cache_clear()
    catalog_module._static.cache_clear()
    start = time.perf_counter()
    fresh = load_catalogs()
    elapsed = time.perf_counter() - start
    assert len(fresh.endpoint_sets) == 63
    assert elapsed < 0.1, f"catalog load took {elapsed * 1000:.1f} ms"


def test_a_download_is_cached_per_version_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.json"
    path.write_bytes((DATA / "old.json").read_bytes())
    first = load_catalogs(path)
    assert load_catalogs(path) is first
    assert first.endpoints_source == str(path)
    assert [s.id for s in first.endpoint_sets] == [1, 9, 46, 73]
    # The download replaces only the endpoint sets; the CSV catalogs stay.
    assert len(first.peering_locations) == 105
    path.write_bytes((DATA / "new.json").read_bytes())
    os.utime(path, ns=(1, 1))  # a different version of the file, whatever the clock says
    second = load_catalogs(path)
    assert second is not first
    assert [s.id for s in second.endpoint_sets] == [1, 9, 46, 193]


# -- contents --------------------------------------------------------------------------------
def test_expressroute_sets_of_the_shipped_snapshot(cat: Catalogs) -> None:
    # data/SOURCES.md: expressRoute=true sets of the snapshot.
    assert {s.id for s in cat.expressroute_sets()} == {1, 2, 9, 10, 11, 12, 31, 46, 56, 64}
    assert {s.id for s in cat.endpoint_sets if s.express_route and s.category == "Optimize"} == {
        1,
        11,
        31,
    }
    assert all(not s.express_route for s in cat.endpoint_sets if s.category == "Default")
    assert all(s.ips for s in cat.expressroute_sets())


def test_endpoint_set_fields_follow_the_web_service(cat: Catalogs) -> None:
    exo = cat.endpoint_set(1)
    assert exo is not None
    assert exo.service_area == "Exchange"
    assert exo.display_name == "Exchange Online"
    assert "outlook.office365.com" in exo.urls
    assert IPv4Network("40.96.0.0/13") in exo.ips
    assert exo.tcp_ports == (80, 443)
    assert exo.udp_ports == (443,)
    assert exo.required and exo.express_route and exo.category == "Optimize"
    imap = cat.endpoint_set(2)
    assert imap is not None and imap.tcp_ports == (143, 587, 993, 995) and not imap.required
    assert cat.endpoint_set(999) is None


@pytest.mark.parametrize(
    ("set_id", "community"),
    [
        (1, "12076:5010"),
        (9, "12076:5010"),
        (31, "12076:5020"),
        (11, "12076:5030"),
        (46, "12076:5100"),
    ],
)
def test_endpoint_set_community_comes_from_its_service_area(
    cat: Catalogs, set_id: int, community: str
) -> None:
    s = cat.endpoint_set(set_id)
    assert s is not None and s.community == community
    services = [v for v in cat.services if v.service_area == s.service_area]
    assert [v.community for v in services] == [community]


def test_sets_for_service_area(cat: Catalogs) -> None:
    assert {s.id for s in cat.sets_for_service_area("exchange")} == {1, 2, 8, 9, 10}
    assert {s.id for s in cat.sets_for_service_area("SharePoint") if s.express_route} == {31}
    assert cat.sets_for_service_area("Nothing") == ()


def test_front_ends_and_geographies_are_consistent(cat: Catalogs) -> None:
    assert len(cat.front_ends) >= 25
    for fe in cat.front_ends:
        assert cat.regional_community(fe.region) is not None, fe.name
    for geo in cat.geographies:
        assert cat.front_end(geo.home_front_end) is not None, geo.name
    assert cat.regional_community("west europe") is not None
    assert cat.regional_community("West Europe").community == "12076:51002"  # type: ignore[union-attr]
    assert cat.regional_community("East US").community == "12076:51004"  # type: ignore[union-attr]


GUIDE_PLACES = [
    "New York",
    "New Jersey",
    "Washington DC",
    "Los Angeles",
    "Dallas",
    "Chicago",
    "California",
    "Silicon Valley",
    "Virginia",
    "Hong Kong",
    "Bangladesh",
    "Dhaka",
    "Chennai",
    "London",
    "Amsterdam",
    "Dublin",
    "Frankfurt",
    "Paris",
    "Seattle",
    "Singapore",
    "Tokyo",
    "Sydney",
]


@pytest.mark.parametrize("name", GUIDE_PLACES)
def test_every_place_the_guides_name_is_known(cat: Catalogs, name: str) -> None:
    place = cat.place(name)
    assert place is not None
    assert -90 <= place.lat <= 90 and -180 <= place.lon <= 180


def test_places_catalog_size_and_stand_ins(cat: Catalogs) -> None:
    assert len(cat.places) >= 120
    nj, newark = cat.place("New Jersey"), cat.place("Newark")
    assert nj is not None and newark is not None and (nj.lat, nj.lon) == (newark.lat, newark.lon)
    bd, dhaka = cat.place("Bangladesh"), cat.place("Dhaka")
    assert bd is not None and dhaka is not None and (bd.lat, bd.lon) == (dhaka.lat, dhaka.lon)


def test_lookups_ignore_case_spaces_and_punctuation(cat: Catalogs) -> None:
    assert cat.place("NEW YORK") == cat.place("new york")
    sv = cat.peering_location("silicon valley")
    assert sv is not None and sv.name == "Silicon Valley"
    assert cat.peering_location("Queretaro(Mexico)") == cat.peering_location("queretaro (mexico)")
    assert cat.place("São Paulo") == cat.place("Sao Paulo")
    assert cat.place("Atlantis") is None
    assert cat.peering_location("Atlantis") is None


def test_place_prefers_the_city_and_falls_back_to_peering_locations(cat: Catalogs) -> None:
    city = cat.place("New York")
    meetme = cat.peering_location("New York")  # the facility is in Secaucus, New Jersey
    assert city is not None and meetme is not None
    assert (city.lat, city.lon) != (meetme.lat, meetme.lon)
    only_meetme = cat.place("Stavanger")
    assert only_meetme is not None and only_meetme.country == "Norway"
    numbered = cat.place("Amsterdam2")
    assert numbered is not None and numbered.region == "Europe"


def test_geography_aliases(cat: Catalogs) -> None:
    assert cat.geography("NA").name == "US"  # type: ignore[union-attr]
    assert cat.geography("north america").name == "US"  # type: ignore[union-attr]
    assert cat.geography("EMEA").name == "EU"  # type: ignore[union-attr]
    assert cat.geography("Europe").name == "EU"  # type: ignore[union-attr]
    assert cat.geography("asia pacific").name == "APAC"  # type: ignore[union-attr]
    assert cat.geography("Mars") is None
    home = cat.home_front_end("EU")
    assert home is not None and home.geography == "Europe"
    us = cat.home_front_end("US")
    assert us is not None and us.geography == "North America"


def test_service_aliases_communities_and_authorization(cat: Catalogs) -> None:
    teams = cat.service("teams")
    assert teams is not None and teams.community == "12076:5030" and teams.authorization
    other = cat.service("Other Office 365")
    assert other is not None and other is cat.service("Common")
    assert other.community == "12076:5100" and other.service_area == "Common"
    crm = cat.service("CRM")
    assert crm is not None and crm.community == "12076:5040" and not crm.authorization
    assert cat.service("Dynamics 365") is crm
    exo = cat.service("EXCHANGE")
    assert exo is not None and exo.community == "12076:5010" and exo.authorization
    assert cat.service("12076:5020") is cat.service("SharePoint")
    entra = cat.service("Azure AD")
    assert entra is not None and entra.community == "12076:5060"
    assert cat.service("Gopher") is None


def test_sets_for_fqdn_matches_web_service_wildcards(cat: Catalogs) -> None:
    assert {1, 2} <= {s.id for s in cat.sets_for_fqdn("outlook.office365.com")}
    assert [s.id for s in cat.sets_for_fqdn("contoso.sharepoint.com")] == [31]
    assert 31 not in {s.id for s in cat.sets_for_fqdn("sharepoint.com")}
    assert 8 in {s.id for s in cat.sets_for_fqdn("autodiscover.contoso.onmicrosoft.com")}


def test_suggest(cat: Catalogs) -> None:
    assert suggest("Amsterdan", cat.place_names()) == "Amsterdam"
    assert suggest("silicon vally", cat.place_names()) == "Silicon Valley"
    assert suggest("Exchnage Online", [s.name for s in cat.services]) == "Exchange Online"
    assert suggest("zzzzqqq", cat.place_names()) is None


# -- geoDNS ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("site", "front_end"),
    [
        ("London", "London"),
        ("Amsterdam", "Amsterdam"),
        ("New York", "New York"),
        ("Dallas", "San Antonio"),
        ("Seattle", "Quincy"),
        ("Hong Kong", "Hong Kong"),
        ("Dhaka", "Chennai"),  # guide 001: Chennai is the Microsoft 365 location near Bangladesh
    ],
)
def test_nearest_front_end(cat: Catalogs, site: str, front_end: str) -> None:
    place = cat.place(site)
    assert place is not None
    assert cat.nearest_front_end(place.lat, place.lon).name == front_end


def test_front_end_address_is_inside_the_set_deterministic_and_distinct(cat: Catalogs) -> None:
    fresh = Catalogs(
        peering_locations=cat.peering_locations,
        places=cat.places,
        front_ends=reversed(cat.front_ends),  # order of the catalog does not matter
        geographies=cat.geographies,
        services=cat.services,
        regional_communities=cat.regional_communities,
        endpoint_sets=cat.endpoint_sets,
    )
    for s in cat.expressroute_sets():
        answers = [cat.front_end_address(s, fe) for fe in cat.front_ends]
        for address in answers:
            assert any(address in net for net in s.ips)
        assert answers == [fresh.front_end_address(s, fe) for fe in cat.front_ends]
        # As many distinct answers as the prefixes allow (set 64 is two /32s).
        room = sum(len(_hosts_upto(n, len(answers))) for n in s.ips)
        assert len(set(answers)) == min(len(answers), room), f"set {s.id}"


def test_geodns_answers_differ_between_us_and_eu(cat: Catalogs) -> None:
    # Guide 000 Figure 4: the US user resolves 1.2.3.4, the EU user 4.5.6.7 for one FQDN.
    exo = cat.endpoint_set(1)
    us, eu = cat.front_end("Boydton"), cat.front_end("Amsterdam")
    assert exo is not None and us is not None and eu is not None
    assert cat.front_end_address(exo, us) != cat.front_end_address(exo, eu)


def test_one_fqdn_in_two_sets_gets_one_answer(cat: Catalogs) -> None:
    # outlook.office365.com is listed in sets 1 and 2, which share their prefixes.
    one, two = cat.endpoint_set(1), cat.endpoint_set(2)
    fe = cat.front_end("London")
    assert one is not None and two is not None and fe is not None
    assert cat.front_end_address(one, fe) == cat.front_end_address(two, fe)


def test_sets_without_prefixes_are_microsoft_internet_hosts_or_third_parties(
    cat: Catalogs,
) -> None:
    """SOURCES.md: Microsoft-hosted sets without IPv4 prefixes answer from Microsoft's own
    address space outside every ExpressRoute-able set; third parties have no Microsoft answer."""
    from erplan.catalogs import MICROSOFT_INTERNET_BLOCK

    web = cat.endpoint_set(73)  # *.aadrm.com: Microsoft's, internet only
    crl = cat.endpoint_set(125)  # *.entrust.net: a certificate authority
    assert web is not None and crl is not None and not web.ips and not crl.ips
    assert not web.third_party and crl.third_party
    fe = cat.front_ends[0]
    assert cat.front_end_address(web, fe) in MICROSOFT_INTERNET_BLOCK
    er = [p for s in cat.endpoint_sets if s.express_route for p in s.ips]
    assert not any(p.overlaps(MICROSOFT_INTERNET_BLOCK) for p in er)
    with pytest.raises(ValueError, match="third party"):
        cat.front_end_address(crl, fe)


_prefixes = st.lists(
    st.builds(
        lambda addr, length: IPv4Network((addr, length), strict=False),
        st.integers(min_value=0, max_value=2**32 - 1),
        st.integers(min_value=8, max_value=32),
    ),
    min_size=1,
    max_size=12,
    unique=True,
).map(tuple)


@settings(max_examples=60, deadline=None)
@given(prefixes=_prefixes)
def test_front_end_address_properties(prefixes: tuple[IPv4Network, ...]) -> None:
    cat = load_catalogs()
    s = EndpointSet(
        id=1000,
        service_area="Exchange",
        display_name="x",
        urls=(),
        ips=prefixes,
        tcp_ports=(443,),
        udp_ports=(),
        express_route=True,
        category="Allow",
        required=True,
    )
    answers = [cat.front_end_address(s, fe) for fe in cat.front_ends]
    assert all(isinstance(a, IPv4Address) and any(a in n for n in prefixes) for a in answers)
    distinct_available = len({a for n in prefixes for a in _hosts_upto(n, len(answers) + 1)})
    if distinct_available >= len(answers):
        assert len(set(answers)) == len(answers)
    assert answers == [cat.front_end_address(s, fe) for fe in cat.front_ends]


def _hosts_upto(net: IPv4Network, limit: int) -> list[IPv4Address]:
    if net.prefixlen >= 31:
        return list(net)[:limit]
    return [net.network_address + 1 + i for i in range(min(limit, net.num_addresses - 2))]


# -- untrusted downloads (--endpoints) -------------------------------------------------------
def test_binary_download_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.json"
    path.write_bytes(b'[{"id": 1}]\n\x00\x01\x02\xff')
    with pytest.raises(InputError) as err:
        read_endpoints(path)
    code, loc, message = _only_problem(err)
    assert code == "ERP090" and "binary" in message
    assert loc == Location(str(path), 2, 1)


def test_non_utf8_download_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('[{"notes": "Zürich"}]'.encode("latin-1"))
    with pytest.raises(InputError) as err:
        read_endpoints(path)
    code, loc, message = _only_problem(err)
    assert code == "ERP090" and "UTF-8" in message
    assert loc == Location(str(path), 1, 14)


def test_too_big_download_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:
        fh.truncate(MAX_ENDPOINTS_BYTES + 1)  # sparse: no 16 MB actually written
    with pytest.raises(InputError) as err:
        load_catalogs(path)
    code, loc, message = _only_problem(err)
    assert code == "ERP090" and "16 MB" in message
    assert loc == Location(str(path), 1, 1)


def test_missing_download_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_catalogs(tmp_path / "absent.json")
    code, _, message = _only_problem(err)
    assert code == "ERP090" and "cannot be read" in message


def test_malformed_json_names_line_and_column() -> None:
    path = DATA / "malformed.json"
    with pytest.raises(InputError) as err:
        read_endpoints(path)
    code, loc, message = _only_problem(err)
    assert code == "ERP091" and "valid JSON" in message
    assert loc == Location(str(path), 6, 5)  # the missing comma before "category"
    assert err.value.render().startswith(f"{path}:6:5: ")


def test_bad_cidr_names_the_offending_value() -> None:
    path = DATA / "bad_cidr.json"
    with pytest.raises(InputError) as err:
        read_endpoints(path)
    code, loc, message = _only_problem(err)
    assert code == "ERP093" and "40.96.0.0/33" in message
    assert loc == Location(str(path), 5, 32)


def test_missing_and_mistyped_fields_are_all_reported() -> None:
    path = DATA / "missing_field.json"
    with pytest.raises(InputError) as err:
        read_endpoints(path)
    got = [(f.code, f.location) for f in err.value.findings]
    assert got == [
        ("ERP092", Location(str(path), 9, 5)),  # the set lacking "category"
        ("ERP092", Location(str(path), 12, 21)),  # "expressRoute": "yes"
    ]
    assert "category" in err.value.findings[0].message


def test_positions_in_minified_and_crlf_json(tmp_path: Path) -> None:
    sets = json.loads((DATA / "old.json").read_text())
    sets[2]["ips"] = ["52.108.0.0/14", "52.108.0.1/14"]  # host bits set
    text = json.dumps(sets, separators=(",", ":"))
    minified = tmp_path / "min.json"
    minified.write_text(text)
    with pytest.raises(InputError) as err:
        read_endpoints(minified)
    _, loc, message = _only_problem(err)
    assert "host bits" in message
    assert loc == Location(str(minified), 1, text.index('"52.108.0.1/14"') + 1)

    crlf = tmp_path / "crlf.json"
    crlf.write_bytes((DATA / "bad_cidr.json").read_bytes().replace(b"\n", b"\r\n"))
    with pytest.raises(InputError) as err:
        read_endpoints(crlf)
    assert _only_problem(err)[1] == Location(str(crlf), 5, 32)


@pytest.mark.parametrize(
    ("document", "code", "marker"),
    [
        ('{"id": 1}', "ERP092", "{"),  # not an array
        ("[\n  42\n]", "ERP092", "42"),  # a set that is not an object
        (
            '[{"id": 1, "serviceArea": "Exchange", "expressRoute": true, "category": "Optimize",'
            ' "required": true, "tcpPorts": "80,http"}]',
            "ERP094",
            '"80,http"',
        ),
        (
            '[{"id": 1, "serviceArea": "Exchange", "expressRoute": true, "category": "Fast",'
            ' "required": true}]',
            "ERP092",
            '"Fast"',
        ),
        ('[{"id": true}]', "ERP092", "{"),  # lacks fields; reported at the set
    ],
)
def test_other_bad_documents(tmp_path: Path, document: str, code: str, marker: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(document)
    with pytest.raises(InputError) as err:
        read_endpoints(path)
    first = err.value.findings[0]
    at = document.index(marker)
    line = document.count("\n", 0, at) + 1
    column = at - (document.rfind("\n", 0, at) + 1) + 1
    assert (first.code, first.location) == (code, Location(str(path), line, column))


def test_duplicate_set_id_is_reported_at_the_second_one(tmp_path: Path) -> None:
    one = {"id": 5, "serviceArea": "Common", "expressRoute": False, "category": "Default",
           "required": False}  # fmt: skip
    path = tmp_path / "dup.json"
    path.write_text(json.dumps([one, one], indent=2))
    with pytest.raises(InputError) as err:
        read_endpoints(path)
    code, loc, message = _only_problem(err)
    assert code == "ERP095" and "appears twice" in message
    assert loc == Location(str(path), 10, 11)


def test_ipv6_prefixes_are_kept_apart() -> None:
    cat = load_catalogs(DATA / "with_ipv6.json")
    s = cat.endpoint_set(11)
    assert s is not None
    assert s.ips == (IPv4Network("52.112.0.0/14"), IPv4Network("52.122.0.0/15"))
    assert [str(n) for n in s.ipv6] == ["2603:1063::/38"]
    assert s.udp_ports == (3478, 3479, 3480, 3481)  # a port range
    assert s.community == "12076:5030"


def test_the_shipped_snapshot_passes_the_untrusted_loader(cat: Catalogs) -> None:
    shipped = catalog_module.DATA_DIR / catalog_module.SHIPPED_ENDPOINTS
    assert read_endpoints(shipped) == cat.endpoint_sets


def test_absurd_nesting_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(InputError) as err:
        read_endpoints(path)
    assert _only_problem(err)[0] == "ERP091"


def test_problems_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(json.dumps([{"id": i} for i in range(1000)]))
    with pytest.raises(InputError) as err:
        read_endpoints(path)
    assert 0 < len(err.value.findings) <= 50
