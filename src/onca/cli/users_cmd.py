"""`onca users ...`: users, roles and API tokens in the metadata store, for the operator of the server.

The operator acts with full rights (as the server's own first start does); the rules that protect the data
still hold, e.g. the last enabled Admin cannot be disabled.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from onca.cli.common import DEFAULT_DATA_DIR, DataDir, StoreUrl, fail, store_url

users_app = typer.Typer(help="Users, roles and API tokens: create, list, enable and disable, reset passwords.",
                        no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens: create (the value is shown once), list, revoke.", no_args_is_help=True)
users_app.add_typer(tokens_app, name="tokens")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
UserArg = Annotated[str, typer.Argument(help="The user's email or id.")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin",
                                             help="Read the password from standard input instead of generating one.")]


def _open(store: str | None, data_dir: Path) -> Any:
    from onca.api.auth import ensure_builtin_roles
    from onca.store import StoreError, open_store

    url = store_url(store, data_dir)
    try:
        opened = open_store(url)
    except StoreError as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a database that cannot be reached, said in one line
        fail(f"cannot open the store {url}: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}")
    ensure_builtin_roles(opened)
    return opened


def _out() -> Console:
    return Console(file=sys.stdout, width=200, highlight=False)


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _problem(exc: Exception) -> None:
    """Say what was wrong with the request, in one line, and exit 1."""
    from onca.api.auth.errors import Invalid

    if isinstance(exc, Invalid):
        fail(f"{_OPTION_NAMES.get(exc.field, exc.field)}: {exc.message}", code=1)
    fail(str(exc), code=1)


_OPTION_NAMES = {"allowedCIDRBlocks": "--allow-cidr", "expiresAt": "--expires", "permissions": "--permission",
                 "role": "--role"}


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("--password-stdin: standard input held no password")
    return password


def _user(opened: Any, who: str) -> Any:
    user = opened.users.get_by_email(who) if "@" in who else opened.users.get(who)
    if user is None:
        fail(f"no user with {'email' if '@' in who else 'id'} {who!r}", code=1)
    return user


def _errors() -> tuple[type[Exception], ...]:
    from onca.api.auth.errors import AuthError
    from onca.store import StoreError

    return AuthError, StoreError


@users_app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The new user's email (unique, in any letter case).")],
    role: Annotated[str, typer.Option("--role", help="The role's name: Admin, Analyst, AnalystReadOnly or a "
                                                     "custom role.")],
    given_name: Annotated[str, typer.Option("--given-name", help="First name.")] = "",
    family_name: Annotated[str, typer.Option("--family-name", help="Last name.")] = "",
    password_stdin: PasswordStdin = False,
    store: StoreUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Create a user. Prints a generated password, once, unless --password-stdin gives one."""
    from onca.api.auth.roles import find_role
    from onca.api.auth.users import create_user

    password = _read_password() if password_stdin else None
    opened = _open(store, data_dir)
    try:
        created = create_user(opened, email=email, role=find_role(opened, name=role), given_name=given_name,
                              family_name=family_name, password=password)
    except _errors() as exc:
        _problem(exc)
    finally:
        opened.close()
    print(f"created user {created.user.email} (id {created.user.id}) with role {role}")
    if created.password is not None:
        print(f"password (shown only now): {created.password}")


@users_app.command("list")
def list_(
    json_out: JsonFlag = False,
    active_only: Annotated[bool, typer.Option("--active-only", help="Leave out deactivated users.")] = False,
    store: StoreUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Every user with their role, status and last sign-in."""
    from onca.api.auth.views import user_json
    from onca.store import every_page

    opened = _open(store, data_dir)
    try:
        users = every_page(opened.users.list, include_disabled=not active_only)
        documents = [user_json(u, opened.roles.get(u.role_id)) for u in users]
    finally:
        opened.close()
    if json_out:
        _print_json(documents)
        return
    table = Table()
    for column in ("email", "name", "role", "enabled", "last sign-in", "id"):
        table.add_column(column)
    for d in documents:
        table.add_row(d["email"], f"{d['givenName']} {d['familyName']}".strip(), d["role"]["name"] or "",
                      "yes" if d["enabled"] else "no", d["lastLoggedInAt"] or "never", d["id"])
    _out().print(table)


def _set_enabled(who: str, enabled: bool, store: str | None, data_dir: Path) -> None:
    from onca.api.auth.users import update_user

    opened = _open(store, data_dir)
    try:
        user = update_user(opened, _user(opened, who).id, enabled=enabled)
    except _errors() as exc:
        _problem(exc)
    finally:
        opened.close()
    print(f"{user.email} is {'enabled' if enabled else 'deactivated; their sessions ended'}")


@users_app.command("disable")
def disable(who: UserArg, store: StoreUrl = None, data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Deactivate a user: they can no longer sign in and their sessions end."""
    _set_enabled(who, False, store, data_dir)


@users_app.command("enable")
def enable(who: UserArg, store: StoreUrl = None, data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Let a deactivated user sign in again."""
    _set_enabled(who, True, store, data_dir)


@users_app.command("reset-password")
def reset_password_(who: UserArg, password_stdin: PasswordStdin = False, store: StoreUrl = None,
                    data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Give a user a new password (printed once unless --password-stdin gives it); their sessions end."""
    from onca.api.auth.users import reset_password

    password = _read_password() if password_stdin else None
    opened = _open(store, data_dir)
    try:
        done = reset_password(opened, _user(opened, who).id, password=password)
    except _errors() as exc:
        _problem(exc)
    finally:
        opened.close()
    print(f"new password set for {done.user.email}")
    if done.password is not None:
        print(f"password (shown only now): {done.password}")


@users_app.command("roles")
def roles(json_out: JsonFlag = False, store: StoreUrl = None, data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """The roles, their permissions and log type access."""
    from onca.api.auth.views import role_json

    opened = _open(store, data_dir)
    try:
        records, _ = opened.roles.list(limit=1000)
        documents = [{**role_json(r), "users": opened.roles.user_count(r.id)} for r in records]
    finally:
        opened.close()
    if json_out:
        _print_json(documents)
        return
    table = Table()
    for column in ("role", "users", "log types", "permissions"):
        table.add_column(column, overflow="fold")
    for d in documents:
        access = d["logTypeAccessKind"] + (f": {', '.join(d['logTypeAccess'])}" if d.get("logTypeAccess") else "")
        table.add_row(d["name"] + (" (built-in)" if d["builtin"] else ""), str(d["users"]), access,
                      ", ".join(d["permissions"]))
    _out().print(table)


_SPAN = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_expiry(text: str, *, now: datetime | None = None) -> datetime:
    """`30d`, `12h`, `90m`, `2w` from now, or a date or time (2026-01-31, 2026-01-31T12:00:00Z; UTC unless
    it says otherwise)."""
    now = now or datetime.now(UTC)
    match = _SPAN.fullmatch(text.strip().lower())
    if match:
        return now + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is neither a span like 30d, 12h, 90m, 2w nor a date like "
                                 "2026-01-31") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="What the token is for.")],
    permission: Annotated[list[str], typer.Option("--permission", "-p",
                                                  help="A permission the token holds (repeatable), e.g. AlertRead; "
                                                       "'all' for every one.")],
    expires: Annotated[str | None, typer.Option("--expires", help="When it stops working: 30d, 12h, or a date.")]
    = None,
    allow_cidr: Annotated[list[str] | None, typer.Option("--allow-cidr",
                                                         help="Only clients in this block may use it (repeatable).")]
    = None,
    json_out: JsonFlag = False,
    store: StoreUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Create an API token. Its value is printed once; only a hash of it is kept."""
    from onca.api.auth import PERMISSIONS
    from onca.api.auth.tokens import issue_token
    from onca.api.auth.views import token_json

    permissions = list(PERMISSIONS) if [p.lower() for p in permission] == ["all"] else permission
    expires_at = parse_expiry(expires) if expires else None
    opened = _open(store, data_dir)
    try:
        issued = issue_token(opened, name=name, permissions=permissions, allowed_cidrs=allow_cidr or (),
                             expires_at=expires_at)
    except _errors() as exc:
        _problem(exc)
    finally:
        opened.close()
    if json_out:
        _print_json(token_json(issued.token, issued.value))
        return
    until = f", expires {issued.token.expires_at:%Y-%m-%d %H:%M}Z" if issued.token.expires_at else ""
    print(f"created API token {issued.token.id} ({issued.token.name}{until})")
    print(f"value (shown only now; send it as the X-API-Key header): {issued.value}")


@tokens_app.command("list")
def tokens_list(
    json_out: JsonFlag = False,
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked tokens.")] = False,
    store: StoreUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """API tokens with their permissions, expiry and last use (never their values)."""
    from onca.api.auth.views import token_json
    from onca.store import every_page

    opened = _open(store, data_dir)
    try:
        tokens = every_page(opened.tokens.list, include_revoked=revoked)
    finally:
        opened.close()
    documents = [token_json(t) for t in tokens]
    if json_out:
        _print_json(documents)
        return
    table = Table()
    for column in ("id", "name", "permissions", "expires", "last used", "allowed CIDRs"):
        table.add_column(column, overflow="fold")
    for d in documents:
        name = d["name"] + (" (revoked)" if d.get("revokedAt") else "")
        table.add_row(d["id"], name, ", ".join(d["permissions"]), d["expiresAt"] or "never",
                      d["lastUsedAt"] or "never", ", ".join(d["allowedCIDRBlocks"]) or "any")
    _out().print(table)


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="The token's id (from `tokens list`).")],
                  store: StoreUrl = None, data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Revoke an API token: it stops working at once."""
    from onca.api.auth.tokens import revoke_token

    opened = _open(store, data_dir)
    try:
        token = revoke_token(opened, token_id)
    except _errors() as exc:
        _problem(exc)
    finally:
        opened.close()
    print(f"revoked API token {token.id} ({token.name})")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
