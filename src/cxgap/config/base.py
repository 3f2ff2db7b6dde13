"""The base of every configuration section: unknown keys are errors, values are frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A configuration section that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)
