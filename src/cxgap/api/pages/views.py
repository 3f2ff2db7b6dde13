"""Saved views: a person's named pages with their filters, and a link that opens the same view."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
