"""The case inbox: queues with counts, search, filters, sorting, paging, bulk assign and close."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
