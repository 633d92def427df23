"""The planning side of a design: workload profiles for `erplan bandwidth`, and rollout plans
for `erplan stages` (a separate file). Part of the design model (``erplan.model`` re-exports
these types); kept apart so that each module stays small. No I/O.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from erplan.model_base import Frozen as _Frozen


class Workload(_Frozen):
    """Bandwidth one user needs per Microsoft 365 workload at the busy hour (kbps, the heavier
    direction). The defaults are planning figures to start from; guide 001: 'a pilot test with a
    representative sample of the user profiles and locations is required to fully understand
    the bandwidth needs of your organization'. docs/planning.md gives each default's source."""

    exchange_kbps: float = Field(
        default=20,
        ge=0,
        description="Exchange Online (Outlook, mobile mail) per user. Default 20: Outlook in "
        "cached mode at the busy hour, the order of Microsoft's Exchange client bandwidth "
        "calculator for a typical mailbox profile.",
    )
    sharepoint_kbps: float = Field(
        default=40,
        ge=0,
        description="SharePoint Online and OneDrive per user (sync and browsing). Default 40.",
    )
    teams_kbps: float = Field(
        default=100,
        ge=0,
        description="Microsoft Teams (and Skype for Business) per user: default 100 = 10 % of "
        "people in a call at the busy hour x about 1 Mbps per call (Microsoft's Teams network "
        "guidance: audio 58 kbps, 1:1 video 1.5 Mbps, group video 2.5 Mbps, 'recommended').",
    )


# -- rollout plans (`erplan stages --plan`) ----------------------------------------------------
class Stage(_Frozen):
    """One step of a rollout: the design as it stands after that step."""

    name: str = Field(description="What the step is, e.g. 'routes to the pilot segment only'.")
    description: str | None = Field(default=None, description="Free text: who, what, tests.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="The values of the design that differ at this step, by dotted path "
        "(`sites.dallas.er_routes: false`, `wan.0.up: false`, `sites.hq.proxy.mode: all`); "
        "null restores a value's default. Every other value is the design's.",
    )


class StagesPlan(_Frozen):
    """A staged rollout (guide 001 'Build your deployment procedures'): the steps in order, the
    last one normally the design itself (`set: {}`)."""

    erplan_stages: Literal[1] = Field(description="Rollout-plan format version.")
    before: dict[str, Any] | None = Field(
        default=None,
        description="The network before the rollout, as changes to the design in the same "
        "form as a stage's `set`: the first stage is compared with it.",
    )
    stages: list[Stage] = Field(min_length=1, description="The steps, in rollout order.")
