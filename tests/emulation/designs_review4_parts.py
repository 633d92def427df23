"""A published service of the fourth review's designs, as plain data."""

from __future__ import annotations

from typing import Any


def service(
    public: str, internal: str, site_name: str, entry: list[str], **extra: Any
) -> dict[str, Any]:
    s: dict[str, Any] = {
        "fqdn": "app.contoso.com",
        "dns_record": public,
        "public_address": public,
        "internal_address": internal,
        "site": site_name,
        "entry": entry,
        "initiator": "Exchange",
        "used_by_internet_users": False,
        # One region initiates: every region takes the same entries (the third review).
        "initiator_regions": ["Boydton"],
    }
    s.update(extra)
    return s
