"""Saved views as JSON: list, save and delete a person's named views."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["api"])
