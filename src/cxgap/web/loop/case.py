"""The case page: its triggers, the customer behind it, its deadline, the actions and its history."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
