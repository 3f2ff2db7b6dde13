"""The six gaps and the dashboard's terms, defined in plain words one click from any page."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
