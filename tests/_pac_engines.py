"""Two independent JavaScript engines that run PAC files: pypac (on dukpy, Duktape) and
pacparser (SpiderMonkey). A PAC file's decision for a host is what both return. And the tests'
own reading of the catalog's host patterns, written apart from the generator's."""

from __future__ import annotations

import fnmatch

import pacparser
from pypac.parser import PACFile

ENGINES = ("pypac", "pacparser")


def run_pypac(pac: str, hosts: list[str]) -> dict[str, str]:
    parsed = PACFile(pac)
    return {h: str(parsed.find_proxy_for_url(f"https://{h}/", h)) for h in hosts}


def run_pacparser(pac: str, hosts: list[str]) -> dict[str, str]:
    pacparser.init()
    try:
        pacparser.parse_pac_string(pac)
        return {h: str(pacparser.find_proxy(f"https://{h}/", h)) for h in hosts}
    finally:
        pacparser.cleanup()


def run(pac: str, hosts: list[str]) -> dict[str, dict[str, str]]:
    """Each engine's answer for every host."""
    return {"pypac": run_pypac(pac, hosts), "pacparser": run_pacparser(pac, hosts)}


def covers(pattern: str, host: str) -> bool:
    """Catalog semantics: a '*' label is one or more whole labels, '*' in a label stays in it."""
    p, h = pattern.lower().split("."), host.lower().split(".")

    def go(i: int, j: int) -> bool:
        if i == len(p):
            return j == len(h)
        if p[i] == "*":
            return any(go(i + 1, k) for k in range(j + 1, len(h) + 1))
        return j < len(h) and fnmatch.fnmatchcase(h[j], p[i]) and go(i + 1, j + 1)

    return go(0, 0)


def specificity(pattern: str) -> tuple[bool, int]:
    """An exact name before a wildcard; then the more literal characters, the earlier."""
    return ("*" not in pattern, len(pattern) - pattern.count("*"))
