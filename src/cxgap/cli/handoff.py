"""The local server hand-off: how CLI commands keep writing while `cxgap serve` holds a DuckDB store.

DuckDB lets one process open a file for writing, so while `cxgap serve` runs, `cxgap import`, `cxgap users
add` or `cxgap cases open` cannot open the store. The server therefore leaves a hand-off file beside the
database, `<store>.duckdb.server.json` (mode 0600: it holds a secret), with its base URL (127.0.0.1 and the
bound port, even when it listens on 0.0.0.0), its pid, its body-size limit and a fresh API token of the
system user `local-admin` (role admin, created on first use). The token is issued at every start and
revoked, and the file removed, when the server stops (Ctrl-C and SIGTERM included).

A writing command that finds the store in use reads the file; when its pid is alive and its server answers
/health, the command sends the same work to the server's admin endpoints (cxgap.api.admin), which run the
same library functions under the server's write lock, and prints what a local run prints. Without a file, or
with a stale one (its pid gone), the command says in one sentence what to do. Only whoever may read the
database's folder can read the token, which is no more than whoever may open the database itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cxgap.errors import CxgapError, StoreError, StoreInUse
from cxgap.store import Store, describe_url

LOCAL_ADMIN = "local-admin"
SUFFIX = ".server.json"
CHUNK_BYTES = 4 * 1024 * 1024  # the most one upload request carries (less when the server accepts less)
HEALTH_TIMEOUT_S = 5.0
RESTART = "or restart `cxgap serve` with this cxgap version so that commands are sent to it"


def handoff_path(url: str) -> Path | None:
    """Where a server on the DuckDB file `url` leaves its hand-off file; None for other stores (PostgreSQL
    has writers enough, and an in-memory store has no other process)."""
    if not url.startswith("duckdb:///") or url.startswith("duckdb:///:memory:"):
        return None
    database = url.removeprefix("duckdb:///").split("?", 1)[0]
    return Path(database + SUFFIX)


def local_base_url(host: str, port: int) -> str:
    """The URL a local command reaches the server at: the loopback address for a wildcard or loopback host
    (0.0.0.0 listens on 127.0.0.1 too), else the address the server listens on."""
    if host in ("0.0.0.0", "", "localhost", "127.0.0.1"):
        return f"http://127.0.0.1:{port}"
    if host in ("::", "::1"):
        return f"http://[::1]:{port}"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (one of another user's counts: it holds the id)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


# --- the server's side ---------------------------------------------------------------------------------


@dataclass
class HandOff:
    """A running server's hand-off file and the local admin token it holds; `withdraw()` undoes both."""

    path: Path
    store: Store
    token: str
    withdrawn: bool = False

    def withdraw(self) -> None:
        """Remove the file and revoke the token (once; later calls do nothing), so no command sends work to
        a server that has stopped and the token is worthless if it was copied."""
        if self.withdrawn:
            return
        self.withdrawn = True
        self.path.unlink(missing_ok=True)
        with contextlib.suppress(CxgapError):
            from cxgap.access import revoke_token

            revoke_token(self.store, self.token)


def _local_admin(store: Store) -> str | None:
    """Make sure the system user `local-admin` exists as an admin; the reason to skip the hand-off if a user
    of that name is someone else (another role, or disabled: never silently made an admin again)."""
    from cxgap.access import add_user

    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT role, disabled_at FROM users WHERE user_id = :u"), {"u": LOCAL_ADMIN}
        ).first()
    if row is None:
        add_user(store, LOCAL_ADMIN, "admin")
        return None
    if row.role != "admin" or row.disabled_at is not None:
        return f"the user {LOCAL_ADMIN} is not an enabled admin"
    return None


def _write_private(path: Path, data: dict[str, Any]) -> None:
    """Write JSON readable by the owner alone (0600), whole or not at all (a temporary file renamed)."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def publish(store: Store, host: str, port: int, max_body_bytes: int) -> HandOff | str:
    """Issue a fresh local admin token and write the hand-off file for a server now listening on `port`;
    the reason instead when there is none to write (not a DuckDB file, or no usable local admin)."""
    from cxgap.access import issue_token

    path = handoff_path(store.url)
    if path is None:
        return "the store is not a DuckDB file"
    reason = _local_admin(store)
    if reason:
        return reason
    token = issue_token(store, LOCAL_ADMIN)
    handoff = HandOff(path, store, token)
    try:
        _write_private(
            path,
            {
                "url": local_base_url(host, port),
                "pid": os.getpid(),
                "token": token,
                "max_body_bytes": max_body_bytes,
                "store": describe_url(store.url),
            },
        )
    except OSError as error:
        handoff.withdraw()
        return f"the hand-off file {path} cannot be written ({error.strerror})"
    return handoff


def run_server(app: Any, host: str, port: int, store: Store, max_body_bytes: int) -> None:
    """Serve `app` with uvicorn; once the socket is bound, publish the hand-off, and withdraw it when the
    server shuts down (inside uvicorn's graceful shutdown, before it re-raises SIGINT or SIGTERM) or fails."""
    import uvicorn

    from .output import err

    published: list[HandOff] = []

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if not self.started or self.should_exit:
                return
            bound = next((s.getsockname()[1] for srv in self.servers for s in srv.sockets), port)
            result = publish(store, host, int(bound), max_body_bytes)
            if isinstance(result, HandOff):
                published.append(result)
            elif handoff_path(store.url) is not None:
                err.print(f"No hand-off for other cxgap commands: {result}.", highlight=False)

        async def shutdown(self, sockets: Any = None) -> None:
            try:
                await super().shutdown(sockets)
            finally:
                for handoff in published:
                    handoff.withdraw()

    server = Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    try:
        server.run()
    finally:
        for handoff in published:
            handoff.withdraw()


# --- the command's side --------------------------------------------------------------------------------


def _opener() -> urllib.request.OpenerDirector:
    """Straight to the local server: no proxy from the environment stands between."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class LocalServer:
    """A running `cxgap serve` on the same store, reached with its local admin token."""

    url: str
    token: str
    pid: int
    max_body_bytes: int

    def answers(self) -> bool:
        """Whether its /health answers ok."""
        try:
            with _opener().open(f"{self.url}/health", timeout=HEALTH_TIMEOUT_S) as response:
                return bool(json.loads(response.read()).get("status") == "ok")
        except (OSError, ValueError):
            return False

    def call(self, path: str, payload: Any = None, *, body: bytes | None = None) -> Any:
        """POST JSON `payload` (or raw `body`) to `path` and return the JSON answer; a refusal (4xx) becomes
        its one sentence as a CxgapError, anything else one sentence naming the server."""
        data = body if body is not None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/octet-stream" if body is not None else "application/json",
            },
        )
        try:
            with _opener().open(request, timeout=None) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            try:
                detail = str(json.loads(error.read()).get("detail"))
            except (ValueError, AttributeError):
                detail = error.reason
            if error.code == 401:
                raise CxgapError(
                    f"The cxgap server at {self.url} refused its own hand-off token ({detail.rstrip('.')}); {RESTART}."
                ) from None
            if 400 <= error.code < 500:
                raise CxgapError(detail) from None
            raise CxgapError(
                f"The cxgap server at {self.url} could not do it ({detail.rstrip('.')})."
            ) from None
        except OSError as error:
            raise CxgapError(
                f"The cxgap server at {self.url} stopped answering ({getattr(error, 'reason', error)}); run the command again."
            ) from None

    def upload(self, path: Path) -> str:
        """Send a file in pieces the server accepts (each at most its body limit); the upload's id."""
        upload = secrets.token_hex(16)
        size = max(1, min(CHUNK_BYTES, self.max_body_bytes))
        with path.open("rb") as file:
            for piece in _pieces(file, size):
                self.call(f"/api/admin/uploads/{upload}", body=piece)
        return upload


def _pieces(file: Any, size: int) -> Iterator[bytes]:
    """The file's bytes in pieces of `size`; one empty piece for an empty file (the upload then exists)."""
    first = True
    while True:
        piece = file.read(size)
        if not piece and not first:
            return
        first = False
        yield piece
        if not piece:
            return


def is_in_use(error: StoreError) -> bool:
    """Whether opening the store failed because another process holds the DuckDB file."""
    return isinstance(error, StoreInUse)


def server_for(url: str, error: StoreError) -> LocalServer:
    """The running server to send a write to when the store `url` could not be opened with `error`; else
    the error itself, or, when the file is in use, one sentence saying what to do."""
    path = handoff_path(url)
    if path is None or not is_in_use(error):
        raise error
    where = describe_url(url)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        server = LocalServer(
            str(data["url"]), str(data["token"]), int(data["pid"]), int(data["max_body_bytes"])
        )
    except FileNotFoundError:
        holder = error.holder if isinstance(error, StoreInUse) else None
        if holder is not None and holder.startswith("`cxgap ") and "cxgap serve" not in holder:
            raise StoreError(
                f"The store {where} is in use by {holder}; run this command once it has finished (a DuckDB "
                "file takes one process at a time; PostgreSQL serves several)."
            ) from None
        if holder is not None and not holder.startswith("`cxgap "):
            raise StoreError(
                f"The store {where} is in use by {holder}, not by cxgap; close the store there, then run "
                "this command again."
            ) from None
        raise StoreError(
            f"The store {where} is in use by {holder or 'another process'}, which left no hand-off file "
            f"({path.name}); stop it (an older `cxgap serve` included), {RESTART}."
        ) from None
    except (OSError, ValueError, KeyError, TypeError):
        raise StoreError(
            f"The store {where} is in use by another process and its hand-off file {path} cannot be read; "
            f"stop the server, {RESTART}."
        ) from None
    if not pid_alive(server.pid):
        raise StoreError(
            f"The store {where} is in use by another process, but the cxgap server that wrote {path.name} "
            f"(pid {server.pid}) is no longer running; stop the process that holds the store, {RESTART}."
        )
    if not server.answers():
        raise StoreError(
            f"The store {where} is in use by the cxgap server (pid {server.pid}) at {server.url}, which does "
            "not answer; wait for it to start and run the command again, or stop it."
        )
    return server
