"""The records behind a number: responses, comments, interactions and customers of a slice, paged, sorted and exportable as CSV."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
