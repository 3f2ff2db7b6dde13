"""Notifications as JSON: a signed-in person's own preferences (read and change), the delivery log (admins
and analysts), and the server's scheduler, started with the app where a channel is configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from cxgap import notify
from cxgap.api.auth import User
from cxgap.api.results import plain
from cxgap.api.routes import Board


@asynccontextmanager
async def scheduling(app: FastAPI) -> AsyncIterator[None]:
    """While the server runs, send what is due every `[notify] every_seconds` (only with a channel)."""
    dashboard = app.state.dashboard
    scheduler = None
    if notify.wanted(dashboard.settings):
        scheduler = notify.Scheduler(dashboard.store, dashboard.settings, dashboard.writing).start()
    app.state.notify_scheduler = scheduler
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.stop()


router = APIRouter(prefix="/api/notify", tags=["notifications"], lifespan=scheduling)


class PreferenceIn(BaseModel):
    """One event's choice: told of it at all, and in the daily digest instead of at once."""

    model_config = ConfigDict(extra="forbid")
    event: str = Field(description=f"One of {', '.join(notify.EVENTS)}.")
    enabled: bool
    in_digest: bool = Field(False, description="Only case_due and case_overdue can go in the digest.")


class PreferencesIn(BaseModel):
    """The choices to record (events left out keep theirs)."""

    model_config = ConfigDict(extra="forbid")
    preferences: list[PreferenceIn] = Field(min_length=1, max_length=len(notify.EVENTS))


def _preferences(dashboard: Board, user_id: str) -> dict[str, Any]:
    return {
        "user": user_id,
        "preferences": [asdict(p) for p in notify.preferences(dashboard.store, user_id)],
    }


@router.get("/preferences")
def get_preferences(dashboard: Board, user: User) -> dict[str, Any]:
    """The signed-in person's preferences, one per event (defaults filled in)."""
    return _preferences(dashboard, user.user_id)


@router.put("/preferences")
def put_preferences(dashboard: Board, user: User, body: PreferencesIn) -> dict[str, Any]:
    """Change the signed-in person's own preferences; the whole list comes back."""
    with dashboard.writing():
        for p in body.preferences:
            notify.set_preference(
                dashboard.store, user.user_id, p.event, enabled=p.enabled, in_digest=p.in_digest
            )
    return _preferences(dashboard, user.user_id)


@router.get("/log")
def delivery_log(
    dashboard: Board,
    user: User,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    recipient: Annotated[str | None, Query(max_length=128)] = None,
) -> dict[str, Any]:
    """The latest deliveries, newest first: event, recipient, channel, status, attempts, errors."""
    user.require("admin", "analyst")
    rows = notify.delivery_log(dashboard.store, recipient=recipient, limit=limit)
    return {"deliveries": [plain(d) for d in rows]}
