"""Two independent JavaScript engines that run PAC files: pypac (on dukpy, Duktape) and
pacparser (SpiderMonkey). A PAC file's decision for a host is what both return."""

from __future__ import annotations

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
