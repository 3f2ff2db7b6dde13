"""Notification preferences: which events each person is told of, at once or in the daily digest."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
