"""A whole view to keep: the page as self-contained HTML (charts inline, nothing to fetch) or printed to PDF."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
