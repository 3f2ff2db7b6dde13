"""The JSON behind the drill-down pages: records of a slice and a customer's timeline, under the same roles."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["api"])
