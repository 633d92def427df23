"""What every type of the design model shares: frozen, no unknown keys, finite numbers, and the
per-object `silence` map. No I/O."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    # Finite numbers only: .inf and NaN have no meaning in a design and no JSON form.
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False
    )


Silence = Annotated[
    dict[str, str],
    Field(
        default_factory=dict,
        description=(
            "Rules silenced for this object: rule code -> the reason (required, non-empty). "
            "Silenced findings are still listed in the report."
        ),
    ),
]
