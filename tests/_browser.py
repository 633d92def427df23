"""Headless Chromium for the report's tests: Debian's chromium and chromium-driver, driven by
selenium, nothing downloaded. One browser per test module, always stopped, every wait bounded.

Without the browser the tests are skipped with the reason, except in CI (``CI`` set), where a
missing browser is a failure: .ci/run installs it through scripts/install-sysdeps.sh.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PAGE_TIMEOUT_S = 30
SCRIPT_TIMEOUT_S = 20
ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
MERMAID_DIR = (
    Path(os.environ.get("ERPLAN_TESTDEPS", "")) if os.environ.get("ERPLAN_TESTDEPS") else None
)


def _missing(what: str, how: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI: {how}")
    pytest.skip(f"{what} is not installed: {how}")


def require_browser() -> None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.exists(path) or shutil.which(Path(path).name)):
            _missing(
                f"{Path(path).name} (Debian's chromium and chromium-driver)",
                "run `make sysdeps` as root (scripts/install-sysdeps.sh)",
            )


@contextmanager
def chrome(width: int = 1400, height: int = 1000) -> Iterator[object]:
    """A headless Chromium session; the browser and its driver are gone when this returns."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--no-first-run",
        "--disable-background-networking",
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else shutil.which("chromedriver")
    service = Service(executable_path=str(driver_path))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(PAGE_TIMEOUT_S)
        driver.set_script_timeout(SCRIPT_TIMEOUT_S)
        yield driver
    finally:
        driver.quit()
        process = service.process
        if process is not None and process.poll() is None:  # pragma: no cover - belt and braces
            process.kill()
            process.wait(timeout=10)


def mermaid_bundle() -> Path:
    """Mermaid's browser bundle as scripts/install-mermaid.sh put it (make testdeps)."""
    import sys

    places = [MERMAID_DIR] if MERMAID_DIR else []
    places.append(Path(sys.prefix) / "share" / "erplan-test")
    for place in places:
        if place is not None:
            found = sorted(place.glob("mermaid-*.min.js"))
            if found:
                return found[-1]
    _missing("Mermaid's bundle", "run `make testdeps` (scripts/install-mermaid.sh)")
    raise AssertionError("unreachable")
