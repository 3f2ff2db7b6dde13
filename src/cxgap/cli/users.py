"""`cxgap users ...`: who may use the API and the pages, their roles, passwords, e-mail addresses and
tokens. The commands that write send their work to a running `cxgap serve` when it holds the DuckDB store
(see cxgap.cli.handoff)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from .app import ConfigOption, _store_or_server, app, user_errors
from .output import Format, JsonOption, chosen, emit, format_option, out
from .render import cell

users_app = typer.Typer(help="API users, roles and tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
@user_errors
def add(
    name: str,
    role: Annotated[str, typer.Option(help="admin, analyst, team_lead, team_member or viewer.")],
    team: Annotated[str | None, typer.Option(help="The team (team members and team leads).")] = None,
    email: Annotated[str | None, typer.Option(help="Where their notifications go.")] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password (typed twice, never shown) to sign in.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Add a user and print their first API token (shown once; only its hash is kept); with --password
    they can also sign in to the pages in a browser."""
    from cxgap.access import add_user, check_email, issue_token, set_password
    from cxgap.access.sessions import check_password
    from cxgap.store import Store

    if email is not None:
        email = check_email(email)  # before the password prompt: a typo is said at once
    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    if secret is not None:
        check_password(secret)
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            add_user(store, name, role, team, email=email)
            if secret is not None:
                set_password(store, name, secret)
            token = issue_token(store, name)
    else:  # `cxgap serve` holds the store: it adds the user
        sent = {"name": name, "role": role, "team": team, "password": secret}
        token = str(target.call("/api/admin/users", sent | ({"email": email} if email else {}))["token"])
    out.print(f"Added {name} ({role}{', team ' + team if team else ''}). Token, shown only now:")
    out.print(token, highlight=False, soft_wrap=True)


@users_app.command("password")
@user_errors
def password(name: str, config: ConfigOption = None) -> None:
    """Set or change a user's password for browser sign-in (typed twice, never shown)."""
    from cxgap.access import set_password
    from cxgap.store import Store

    secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            set_password(store, name, secret)
    else:  # `cxgap serve` holds the store: it sets the password
        target.call("/api/admin/users/password", {"name": name, "password": secret})
    out.print(f"{name} can now sign in at /sign-in.")


@users_app.command("email")
@user_errors
def email(
    name: str,
    address: Annotated[str | None, typer.Argument(help="The address; leave it out with --remove.")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the user's address.")] = False,
    config: ConfigOption = None,
) -> None:
    """Set (or remove) the e-mail address a user's notifications go to."""
    from cxgap.access import check_email, set_email
    from cxgap.errors import CxgapError
    from cxgap.store import Store

    if (address is None) == (not remove):
        raise CxgapError("Give an e-mail address, or --remove to remove the user's address (not both).")
    checked = check_email(address) if address is not None else None
    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            set_email(store, name, checked)
    else:  # `cxgap serve` holds the store: it sets the address
        target.call("/api/admin/users/email", {"name": name, "email": checked})
    out.print(f"{name}'s notifications go to {checked}." if checked else f"{name} has no e-mail address now.")


@users_app.command("token")
@user_errors
def token(name: str, config: ConfigOption = None) -> None:
    """Issue another token for a user (shown once)."""
    from cxgap.access import issue_token
    from cxgap.store import Store

    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            issued = issue_token(store, name)
    else:  # `cxgap serve` holds the store: it issues the token
        issued = str(target.call("/api/admin/users/token", {"name": name})["token"])
    out.print(issued, highlight=False, soft_wrap=True)


@users_app.command("revoke")
@user_errors
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token, or its id (the part after cxg_).")],
    config: ConfigOption = None,
) -> None:
    """Revoke a token: the API refuses it from now on."""
    from cxgap.access import revoke_token
    from cxgap.store import Store

    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            revoke_token(store, token_id)
    else:  # `cxgap serve` holds the store: it revokes the token
        target.call("/api/admin/tokens/revoke", {"token": token_id})
    out.print("Revoked.")


@users_app.command("list")
@user_errors
def list_users(
    config: ConfigOption = None,
    fmt: Annotated[Format, format_option("one row per user")] = Format.table,
    as_json: JsonOption = False,
) -> None:
    """Users, their roles, teams and e-mail addresses, and how many live tokens each has."""
    fmt = chosen(fmt, as_json)
    import pandas as pd

    from cxgap.access import list_users as run
    from cxgap.store import Store

    target = _store_or_server(config)
    if isinstance(target, Store):
        with target as store:
            rows = run(store).to_dict("records")
    else:  # `cxgap serve` holds the store: it reads it
        rows = target.call("/api/admin/users/list", {})
    emit(fmt, {"users": rows}, lambda: [_users_table(rows)], lambda: pd.DataFrame(rows))


def _users_table(rows: list[dict[Any, Any]]) -> Table:
    """Users with their role, team, e-mail address and live tokens."""
    table = Table(title=f"{len(rows)} users")
    for column in ("user", "role", "team", "e-mail", "live tokens"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            cell(row["user_id"]),
            cell(row["role"]),
            cell(row["team"]),
            cell(row.get("email")),
            cell(row["live_tokens"]),
        )
    return table
