"""Admin endpoints (/api/admin/...): the writes of CLI commands, run by the server that holds the store.

While `cxgap serve` holds a DuckDB file no other process can write it, so `cxgap import`, `cxgap batches
remove`, `cxgap users ...` and `cxgap cases open/act/assign/note` send their work here with the server's
local admin token (see cxgap.cli.handoff). Each endpoint calls the very library function the command
would, under the server's write lock, and answers what the command prints. Admins only.

An import is sent as an upload in pieces (each within `[server] max_body_bytes`, which the body limit
enforces) and then imported by name, with the mapping's TOML text or a preset; the import adds a batch, so the
result cache (keyed by the store's version) shows the new data on the next read.

`cxgap status`, `cxgap users list` and `cxgap cases list` read through it the same way (DuckDB keeps
other processes out while one holds the file, readers too).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from cxgap import cases
from cxgap.access import (
    Principal,
    add_user,
    issue_token,
    list_users,
    revoke_token,
    set_email,
    set_password,
)
from cxgap.access.sessions import check_password
from cxgap.api.loop import Note, User
from cxgap.api.routes import Board
from cxgap.cases.inbox import find_cases
from cxgap.errors import ConfigError, CxgapError
from cxgap.io import import_file, mapping_from_dict
from cxgap.store import describe_url
from cxgap.store.batches import remove_batch

UPLOAD_ID = r"^[0-9a-f]{32}$"

router = APIRouter(prefix="/api/admin", tags=["admin"])


def _uploads(request: Request) -> Path:
    """This server's folder of uploads in progress (removed when the process exits)."""
    state = request.app.state
    if getattr(state, "uploads", None) is None:
        state.uploads = tempfile.TemporaryDirectory(prefix="cxgap-uploads-")
    return Path(state.uploads.name)


def _admin(user: Principal) -> None:
    """Refuse (403) anyone but an admin: these endpoints add users and write whole files."""
    user.require("admin")


class Import(BaseModel):
    """Import an uploaded file: its name as the command was given it (the batch's source and the format
    by its extension), and the mapping as TOML text (named as its file) or a preset."""

    model_config = ConfigDict(extra="forbid")
    upload: str = Field(pattern=UPLOAD_ID)
    source: str = Field(min_length=1, max_length=4096)
    mapping: str | None = Field(None, max_length=1_000_000)
    mapping_name: str = Field("mapping", max_length=4096)
    preset: str | None = Field(None, max_length=64)
    strict: bool = False
    dry_run: bool = False


class BatchRemoval(BaseModel):
    """Take an import batch back out of the store (or, `dry_run`, say what would go)."""

    model_config = ConfigDict(extra="forbid")
    batch_id: str = Field(min_length=1, max_length=64)
    dry_run: bool = False


class NewUser(BaseModel):
    """A user to add, with an optional password for browser sign-in."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    role: str = Field(min_length=1, max_length=32)
    team: str | None = Field(None, max_length=64)
    password: str | None = Field(None, max_length=1024)
    email: str | None = Field(None, max_length=320)


class Email(BaseModel):
    """A user's e-mail address for notifications (none: removed)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    email: str | None = Field(None, max_length=320)


class UserName(BaseModel):
    """One user, by name."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)


class Password(BaseModel):
    """A user's new password."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    password: str = Field(max_length=1024)


class Revocation(BaseModel):
    """A token, or its id, to revoke."""

    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=256)


class OpenCases(BaseModel):
    """Run the case rules (all, or `rules`) over records since a moment (default: each rule's lookback)."""

    model_config = ConfigDict(extra="forbid")
    since: dt.datetime | None = None
    rules: list[str] = Field(default_factory=list, max_length=100)
    as_of: dt.datetime | None = None


class CaseAction(BaseModel):
    """Move a case along its workflow, as `actor`."""

    model_config = ConfigDict(extra="forbid")
    actor: str = Field(min_length=1, max_length=128)
    action: str = Field(min_length=1, max_length=32)
    root_cause: str | None = Field(None, max_length=64)
    note: str | None = Field(None, max_length=10_000)


class CaseAssignment(BaseModel):
    """Give a case to a team and/or owner, as `actor`."""

    model_config = ConfigDict(extra="forbid")
    actor: str = Field(min_length=1, max_length=128)
    team: str | None = Field(None, max_length=64)
    owner: str | None = Field(None, max_length=128)


class CaseNote(Note):
    """A note for a case's log (the loop API's `Note`), by `actor`."""

    actor: str = Field(min_length=1, max_length=128)


@router.post("/uploads/{upload}")
async def upload_piece(
    request: Request, dashboard: Board, user: User, upload: Annotated[str, PathParam(pattern=UPLOAD_ID)]
) -> dict[str, Any]:
    """Append the request body (raw bytes, within the body limit) to an upload; the first piece starts it."""
    _admin(user)
    piece = await request.body()
    target = _uploads(request) / upload

    def append() -> int:
        with target.open("ab") as file:
            file.write(piece)
        return target.stat().st_size

    return {"upload": upload, "bytes": await anyio.to_thread.run_sync(append)}


def _mapping(body: Import) -> Any:
    """The mapping as the command would have read it: its TOML text under its file's name, or a preset."""
    if (body.mapping is None) == (body.preset is None):
        raise CxgapError("Give exactly one of --mapping FILE or --preset NAME.")
    if body.preset is not None:
        return mapping_from_dict({"preset": body.preset}, f"preset {body.preset}")
    try:
        data = tomllib.loads(body.mapping or "")
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{body.mapping_name}: not valid TOML ({error}).") from None
    return mapping_from_dict(data, body.mapping_name)


@router.post("/import")
def import_upload(request: Request, dashboard: Board, user: User, body: Import) -> dict[str, Any]:
    """Import an uploaded file through its mapping, as `cxgap import` does, under the write lock; the
    import summary (the upload is removed either way)."""
    _admin(user)
    uploads = _uploads(request)
    received = uploads / body.upload
    if not received.exists():
        raise CxgapError("The upload of this import is not on the server; run the command again.")
    folder = Path(tempfile.mkdtemp(prefix=f"{body.upload}-", dir=uploads))
    try:
        name = Path(body.source.replace("\\", "/")).name or "upload"
        path = folder / name  # the file's own name: the format is told by its extension
        received.replace(path)
        mapping = _mapping(body)
        with dashboard.writing():
            summary = import_file(
                dashboard.store, path, mapping, strict=body.strict, source=body.source, dry_run=body.dry_run
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        received.unlink(missing_ok=True)
    return dataclasses.asdict(summary)


@router.post("/batches/remove")
def remove_import_batch(dashboard: Board, user: User, body: BatchRemoval) -> dict[str, Any]:
    """Take an import batch back out, as `cxgap batches remove` does, under the write lock; what was
    taken out (the store's version changes, so the views compute afresh)."""
    _admin(user)
    with dashboard.writing():
        removal = remove_batch(dashboard.store, body.batch_id, dry_run=body.dry_run)
    return dataclasses.asdict(removal)


@router.post("/users")
def new_user(dashboard: Board, user: User, body: NewUser) -> dict[str, Any]:
    """Add a user (with a password, when given) and issue their first token, as `cxgap users add`."""
    _admin(user)
    if body.password is not None:
        check_password(body.password)
    with dashboard.writing():
        add_user(dashboard.store, body.name, body.role, body.team, email=body.email)
        if body.password is not None:
            set_password(dashboard.store, body.name, body.password)
        token = issue_token(dashboard.store, body.name)
    return {"user": body.name, "token": token}


@router.post("/users/email")
def new_email(dashboard: Board, user: User, body: Email) -> dict[str, Any]:
    """Set or remove a user's e-mail address, as `cxgap users email`."""
    _admin(user)
    with dashboard.writing():
        set_email(dashboard.store, body.name, body.email)
    return {"user": body.name, "email": body.email}


@router.post("/users/token")
def new_token(dashboard: Board, user: User, body: UserName) -> dict[str, Any]:
    """Issue another token for a user, as `cxgap users token`."""
    _admin(user)
    with dashboard.writing():
        return {"user": body.name, "token": issue_token(dashboard.store, body.name)}


@router.post("/users/password")
def new_password(dashboard: Board, user: User, body: Password) -> dict[str, Any]:
    """Set a user's password, as `cxgap users password`."""
    _admin(user)
    with dashboard.writing():
        set_password(dashboard.store, body.name, body.password)
    return {"user": body.name}


@router.post("/tokens/revoke")
def revoke(dashboard: Board, user: User, body: Revocation) -> dict[str, Any]:
    """Revoke a token by itself or its id, as `cxgap users revoke`."""
    _admin(user)
    with dashboard.writing():
        revoke_token(dashboard.store, body.token)
    return {"revoked": True}


class CaseQuery(BaseModel):
    """Which cases `cxgap cases list` asks for."""

    model_config = ConfigDict(extra="forbid")
    team: str | None = None
    status: str | None = None
    touchpoint: str | None = None
    limit: int = Field(50, ge=1, le=10_000)
    queue: str = "all"
    search: str | None = Field(None, max_length=200)
    as_of: dt.datetime | None = None
    user: str | None = Field(None, max_length=128)


@router.post("/status")
def status(dashboard: Board, user: User) -> dict[str, Any]:
    """Where the store is, its schema revision, rows per table and the latest imports, as `cxgap status`."""
    _admin(user)
    store = dashboard.store
    return {
        "store": describe_url(store.url),
        "revision": store.revision(),
        "counts": store.counts(),
        "batches": store.latest_batches(),
    }


@router.post("/users/list")
def users(dashboard: Board, user: User) -> list[dict[str, Any]]:
    """Users, roles, teams and live tokens, as `cxgap users list`."""
    _admin(user)
    return [
        {k: row[k] for k in ("user_id", "role", "team", "email", "live_tokens")}
        for row in list_users(dashboard.store).to_dict("records")
    ]


@router.post("/cases/list")
def case_list(dashboard: Board, user: User, body: CaseQuery) -> dict[str, Any]:
    """Cases of a queue, newest first, with the queue's total, as `cxgap cases list`."""
    _admin(user)
    query = cases.InboxQuery(
        queue=body.queue,
        search=body.search,
        team=body.team,
        status=body.status or "any",
        touchpoint=body.touchpoint,
        sort="-created_at",
    )
    now = cases.loop_now(dashboard.store, dashboard.settings, as_of=body.as_of)
    found, counts = find_cases(
        dashboard.store,
        query,
        user_id=body.user or user.user_id,
        scope=None,
        team=body.team,
        now=now,
        limit=body.limit,
        offset=0,
    )
    return {
        "cases": [dataclasses.asdict(record) for record in found],
        "total": counts[query.queue],
        "now": now.isoformat(),
    }


@router.post("/cases/open")
def open_cases(dashboard: Board, user: User, body: OpenCases) -> dict[str, Any]:
    """Run the case rules, as `cxgap cases open`."""
    _admin(user)
    known = dashboard.settings.cases.rules
    unknown = [r for r in body.rules if r not in known]
    if unknown:
        raise CxgapError(f"There is no rule '{unknown[0]}'; cxgap.toml has {', '.join(known)}.")
    with dashboard.writing():
        now = cases.loop_now(dashboard.store, dashboard.settings, as_of=body.as_of)
        run = cases.open_cases(
            dashboard.store, dashboard.settings, since=body.since, only=tuple(body.rules), now=now
        )
    return {
        "run_id": run.run_id,
        "opened": run.opened,
        "joined": run.joined,
        "undated": run.undated,
        "total": run.total,
    }


def _case(record: cases.CaseRecord) -> dict[str, Any]:
    return {
        "case_id": record.case_id,
        "status": record.status,
        "version": record.version,
        "team": record.team,
        "owner": record.owner,
    }


@router.post("/cases/{case_id}/act")
def act(dashboard: Board, user: User, case_id: str, body: CaseAction) -> dict[str, Any]:
    """Move a case along its workflow, as `cxgap cases act` (the command's actor is kept)."""
    _admin(user)
    with dashboard.writing():
        record = cases.transition(
            dashboard.store,
            case_id,
            body.action,
            body.actor,
            root_cause=body.root_cause,
            note=body.note,
            root_causes=tuple(dashboard.settings.cases.root_causes),
        )
    return _case(record)


@router.post("/cases/{case_id}/assign")
def assign(dashboard: Board, user: User, case_id: str, body: CaseAssignment) -> dict[str, Any]:
    """Give a case to a team and/or owner, as `cxgap cases assign`."""
    _admin(user)
    with dashboard.writing():
        record = cases.assign(dashboard.store, case_id, body.actor, team=body.team, owner=body.owner)
    return _case(record)


@router.post("/cases/{case_id}/note")
def note(dashboard: Board, user: User, case_id: str, body: CaseNote) -> dict[str, Any]:
    """Add a note to a case's log, as `cxgap cases note`."""
    _admin(user)
    with dashboard.writing():
        cases.add_note(dashboard.store, case_id, body.actor, body.text)
    return {"case_id": case_id}
