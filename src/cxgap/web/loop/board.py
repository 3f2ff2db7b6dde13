"""The systemic-issue board: recurring root causes, issues raised from them, their plan and effect."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
