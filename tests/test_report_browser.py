"""The report in a real browser (headless Chromium): it loads clean, lists every finding, a
chosen flow lights up exactly its hops and its strokes are the ones erplan computes, it works
from the keyboard, hostile names stay text; and Mermaid itself parses the Mermaid output.
Screenshots of three examples go to build/test-artifacts/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _browser import ARTIFACTS, chrome, mermaid_bundle, require_browser
from _report import HOSTILE, HOSTILE_NAME, SHOWCASE, catalogs, html, verified
from erplan.analyses.verdicts import FlowResult
from erplan.report import DiagramFormat, render_diagram, sketch
from erplan.report.html import design_topology

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    with chrome() as driver:
        yield driver


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, str]:
    folder = tmp_path_factory.mktemp("reports")
    out = {}
    for path in (*SHOWCASE, HOSTILE):
        page = folder / f"{path.stem}.html"
        page.write_text(html(path), encoding="utf-8")
        out[path] = page.as_uri()
    return out


def _open(driver: Any, url: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # forget what earlier pages said
    driver.get(url)
    WebDriverWait(driver, 20).until(
        lambda d: d.find_element("id", "flow-status").text.startswith("Showing")
    )


def _problems(driver: Any) -> list[dict[str, Any]]:
    """Console messages of warning level and above (errors, CSP violations, failed loads)."""
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def _row(path: Path, key: str) -> FlowResult:
    _, report = verified(path)
    return next(r for r in report.results if r.flow.key == key)


@pytest.mark.parametrize("path", SHOWCASE, ids=lambda p: p.stem)
def test_loads_clean_and_lists_every_finding(
    browser: Any, pages: dict[Path, str], path: Path
) -> None:
    _open(browser, pages[path])
    assert _problems(browser) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    _, report = verified(path)
    shown = browser.execute_script(
        "return [...document.querySelectorAll('li.finding .message')].map(e => e.textContent)"
    )
    assert sorted(shown) == sorted(f.message for f in report.findings)
    codes = browser.execute_script(
        "return [...document.querySelectorAll('li.finding .code')].map(e => e.textContent)"
    )
    assert sorted(codes) == sorted(f.code for f in report.findings)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    figure = browser.find_element("css selector", "figure.map-wrap")
    browser.execute_script("arguments[0].scrollIntoView()", figure)
    assert figure.screenshot(str(ARTIFACTS / f"{path.stem}.png"))


@pytest.mark.parametrize("path", SHOWCASE[1:], ids=lambda p: p.stem)
def test_choosing_a_flow_lights_exactly_its_hops(
    browser: Any, pages: dict[Path, str], path: Path
) -> None:
    from selenium.webdriver.support.ui import Select

    _open(browser, pages[path])
    loaded, report = verified(path)
    topo = design_topology(loaded.design, catalogs(), report)
    chooser = Select(browser.find_element("id", "flow-list"))
    values = [o.get_attribute("value") for o in chooser.options]
    assert len(values) == len(report.results)
    for value in values:
        chooser.select_by_value(value)  # a user's choice: fires the change event
        key = browser.find_element("id", "map").get_attribute("data-flow")
        row = _row(path, key)
        lit = browser.execute_script(
            "return [...document.querySelectorAll('#map g.n.hop')].map(e => e.dataset.node)"
        )
        assert sorted(lit) == sorted(sketch.hop_nodes(row)), key
        reached = browser.execute_script(
            "return [...document.querySelectorAll('#map g.n.reached')].map(e => e.dataset.node)"
        )
        want = {f"fe:{sketch.branch_front_end(row, b)}" for b in row.trace.branches}
        assert set(reached) == want & set(topo.nodes)
        # The script draws the strokes erplan computes, one line per segment.
        drawn = browser.execute_script(f"return window.erplanReport.strokes({value})")
        expected = list(sketch.strokes(topo, row, loaded.design.analysis))
        assert [
            (s["direction"], s["status"], s["points"], s["styles"], s["failed"]) for s in drawn
        ] == [
            (s.direction, s.status.value, list(s.points), [x.value for x in s.styles], s.failed_at)
            for s in expected
        ], key
        segments = browser.execute_script(
            "return document.querySelectorAll('#overlay line').length"
        )
        assert segments == sum(len(s.styles) for s in expected)
        crosses = browser.execute_script(
            "return document.querySelectorAll('#overlay .failed-hop').length"
        )
        assert crosses == sum(1 for s in expected if s.failed_at)


def test_keyboard_and_screen_reader(browser: Any, pages: dict[Path, str]) -> None:
    from selenium.webdriver.common.keys import Keys

    _open(browser, pages[SHOWCASE[1]])
    status = browser.find_element("id", "flow-status")
    assert status.get_attribute("aria-live") == "polite"
    first = browser.find_element("id", "map").get_attribute("data-flow")
    chooser = browser.find_element("id", "flow-list")
    chooser.send_keys(Keys.ARROW_DOWN)
    second = browser.find_element("id", "map").get_attribute("data-flow")
    assert second != first and second in status.text
    # Every control has a name, the map a title and a description.
    unnamed = browser.execute_script(
        """return [...document.querySelectorAll('input, select, button')].filter(e =>
             !(e.labels && e.labels.length) && !e.textContent.trim()
             && !e.getAttribute('aria-label')).length"""
    )
    assert unnamed == 0
    assert (
        browser.find_element("id", "map").get_attribute("aria-labelledby") == "map-title map-desc"
    )
    # "Show on the map" from a finding selects that group's flow and moves the focus to it.
    button = browser.find_element("css selector", "li.finding button.show")
    button.send_keys(Keys.ENTER)
    assert browser.execute_script("return document.activeElement.id") == "flow-details"
    key = browser.find_element("id", "map").get_attribute("data-flow")
    assert _row(SHOWCASE[1], key).verdict.value != "ok"


def test_hostile_names_render_as_text(browser: Any, pages: dict[Path, str]) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    _open(browser, pages[HOSTILE])
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    assert _problems(browser) == []
    assert browser.find_element("css selector", "h1").text == HOSTILE_NAME
    assert browser.execute_script("return document.scripts.length") == 2
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    assert (
        "<img src=x onerror=alert(2)> & friends"
        in browser.find_element("css selector", ".description").text
    )
    titles = browser.execute_script(
        "return [...document.querySelectorAll('#map g.n > title')].map(e => e.textContent)"
    )
    assert f"site {HOSTILE_NAME}: 5000 users" in titles
    assert browser.execute_script(
        "return window.erplanReport.showKey(arguments[0])", "dns/" + HOSTILE_NAME
    )
    assert HOSTILE_NAME in browser.find_element("id", "flow-details").text


def test_mermaid_parses_and_renders_the_diagrams(browser: Any) -> None:
    bundle = mermaid_bundle().read_text(encoding="utf-8")
    browser.get("about:blank")
    # As a page loads it: a script element, run in the page's global scope.
    browser.execute_script(
        """const s = document.createElement('script'); s.textContent = arguments[0];
           document.head.appendChild(s);
           window.mermaid.initialize({startOnLoad: false});""",
        bundle,
    )
    parse = """
        const done = arguments[arguments.length - 1];
        window.mermaid.parse(arguments[0]).then(() => done('ok'), e => done(String(e)));"""
    assert browser.execute_async_script(parse, 'flowchart LR\n  a["x"y"]') != "ok"  # strict
    for path in (*SHOWCASE, HOSTILE):
        loaded, report = verified(path)
        key = next((r.flow.key for r in report.results if r.verdict.value != "ok"), None)
        text = render_diagram(loaded.design, catalogs(), report, DiagramFormat.MERMAID, flow=key)
        assert browser.execute_async_script(parse, text) == "ok", path.stem
    render = """
        const done = arguments[arguments.length - 1];
        window.mermaid.render('hostile', arguments[0]).then(r => {
            const doc = new DOMParser().parseFromString(r.svg, 'image/svg+xml');
            done(JSON.stringify({scripts: doc.querySelectorAll('script').length,
                                 text: doc.documentElement.textContent}));
        }, e => done(JSON.stringify({error: String(e)})));"""
    loaded, report = verified(HOSTILE)
    text = render_diagram(loaded.design, catalogs(), report, DiagramFormat.MERMAID)
    got = json.loads(browser.execute_async_script(render, text))
    assert "error" not in got, got
    assert got["scripts"] == 0
    assert HOSTILE_NAME in got["text"]
