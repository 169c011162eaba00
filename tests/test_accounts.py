"""Accounts on every backend (SQLite, PostgreSQL, MariaDB) over the case book: hashing, sign-in with
lockout, the scope each role gets and what it lets a query see, the identity-provider match, the
administrator's changes, the demo accounts, and the caller-identity refusal.

Case book (tests/helpers.py): district D1 with 东湖街道 (S1: C1a, C1b) and 西苑街道 (S2: C2a, C2b).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import accounts, overdue_queries, queries
from data_access.accounts import AccountError, scope_for
from data_access.personal_queries import caller_identity
from data_access.schema import Account as AccountModel
from data_access.scope import PersonalDataRefused, Scope, TicketFilter
from domain.auth_policy import Account, Permissions
from domain.settings import DEFAULT_SETTINGS
from helpers import NOV, NOW

A = AccountModel.__table__
PASSWORD = "correct horse battery"
NOVEMBER = TicketFilter(since=NOV[0], until=NOV[1])


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    """bcrypt's lowest work factor: the same hashes and checks, fast enough for a test suite."""
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)


def add(conn, username: str, role: str = "supervisor", password: str | None = PASSWORD, **kw) -> Account:
    return accounts.create_account(conn, username=username, role=role, now=NOW, password=password, **kw)


def sign_in(conn, username: str, password: str, minutes: float = 0):
    return accounts.authenticate(conn, username, password, now=NOW + dt.timedelta(minutes=minutes), settings=DEFAULT_SETTINGS)


# --- passwords -----------------------------------------------------------------------------------------


def test_only_a_bcrypt_hash_is_stored(conn):
    account = add(conn, "zhang")
    stored = conn.execute(select(A.c.password_hash).where(A.c.id == account.id)).scalar_one()
    assert stored.startswith("$2b$04$") and PASSWORD not in stored
    assert accounts.verify_password(PASSWORD, stored)
    assert not accounts.verify_password(PASSWORD + "!", stored)


@pytest.mark.parametrize("hashed", [None, "", "plain-text", "$2b$04$tooshort"], ids=["none", "empty", "not-bcrypt", "cut"])
def test_verify_refuses_a_missing_or_malformed_hash(hashed):
    assert accounts.verify_password(PASSWORD, hashed) is False


def test_a_weak_password_is_refused(conn):
    with pytest.raises(AccountError) as refused:
        add(conn, "zhang", password="short")
    assert refused.value.code == "password_too_short"


# --- signing in ----------------------------------------------------------------------------------------


def test_sign_in_with_the_right_password(conn):
    account = add(conn, "zhang")
    result = sign_in(conn, "zhang", PASSWORD)
    assert result.status == "ok" and result.account == account
    assert conn.execute(select(A.c.last_sign_in_at).where(A.c.id == account.id)).scalar_one() == NOW


def test_usernames_ignore_case_and_spaces(conn):
    add(conn, "Zhang.Wei")
    assert sign_in(conn, "  ZHANG.wei ", PASSWORD).status == "ok"


@pytest.mark.parametrize(
    "username, password, status",
    [("zhang", "wrong password", "invalid"), ("nobody", PASSWORD, "unknown")],
    ids=["wrong-password", "unknown-username"],
)
def test_a_failed_sign_in(conn, username, password, status):
    add(conn, "zhang")
    result = sign_in(conn, username, password)
    assert (result.status, result.account) == (status, None)


def test_an_inactive_account_is_refused_like_a_wrong_password(conn):
    account = add(conn, "zhang")
    accounts.set_active(conn, account.id, False, now=NOW)
    assert sign_in(conn, "zhang", PASSWORD).status == "invalid"


def test_five_failures_lock_the_account_even_against_the_right_password(conn):
    add(conn, "zhang")
    statuses = [sign_in(conn, "zhang", "wrong password", minutes=i).status for i in range(5)]
    assert statuses == ["invalid"] * 4 + ["locked"]
    locked = sign_in(conn, "zhang", PASSWORD, minutes=6)
    assert locked.status == "locked" and locked.locked_until == NOW + dt.timedelta(minutes=4 + 15)


def test_the_lock_runs_out(conn):
    add(conn, "zhang")
    for i in range(5):
        sign_in(conn, "zhang", "wrong password", minutes=i)
    assert sign_in(conn, "zhang", PASSWORD, minutes=4 + 15).status == "ok"


def test_a_sign_in_clears_the_failures(conn):
    account = add(conn, "zhang")
    for i in range(4):
        sign_in(conn, "zhang", "wrong password", minutes=i)
    assert sign_in(conn, "zhang", PASSWORD, minutes=5).status == "ok"
    row = conn.execute(select(A.c.failed_attempts, A.c.locked_until).where(A.c.id == account.id)).one()
    assert tuple(row) == (0, None)


def test_resetting_the_password_lifts_the_lock(conn):
    account = add(conn, "zhang")
    for i in range(5):
        sign_in(conn, "zhang", "wrong password", minutes=i)
    accounts.set_password(conn, account.id, "a new password", now=NOW)
    assert sign_in(conn, "zhang", "a new password", minutes=6).status == "ok"


def test_an_account_without_password_signs_in_only_through_the_identity_provider(conn):
    add(conn, "sso.user", password=None, email="sso@district.gov.cn")
    assert sign_in(conn, "sso.user", "anything at all").status == "invalid"
    found = accounts.account_for_identity(conn, {"email": "SSO@district.gov.cn"}, "email")
    assert found is not None and found.username == "sso.user"


# --- scope ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "account, district_streets, expected",
    [
        (Account(1, "s", "s", "secretary", street_id=2), None, Scope.streets([2])),
        (Account(1, "s", "s", "secretary"), None, Scope.streets([])),
        (Account(1, "d", "d", "supervisor"), None, Scope.district()),
        (Account(1, "d", "d", "supervisor", district_id=1), frozenset({1, 2}), Scope.streets([1, 2])),
        (Account(1, "a", "a", "admin", district_id=1), frozenset({1, 2}), Scope.streets([1, 2])),
        (Account(1, "d", "d", "supervisor", district_id=9), frozenset(), Scope.streets([])),
        (Account(1, "d", "d", "supervisor", active=False), None, Scope.streets([])),
        (Account(1, "x", "x", "visitor"), None, Scope.streets([])),
    ],
    ids=[
        "secretary", "secretary-without-street", "supervisor-unbound", "supervisor-district", "admin-district",
        "empty-district", "inactive", "unknown-role",
    ],
)
def test_scope_for(account, district_streets, expected):
    assert scope_for(account, district_streets) == expected


@pytest.mark.parametrize(
    "role, street_id, district_id, streets, tickets",
    [
        ("supervisor", None, 1, ["S1", "S2"], 9),
        ("admin", None, None, ["S1", "S2"], 9),
        ("secretary", 1, None, ["S1"], 4),  # T1–T4 (T8 excluded, T9 in October)
        ("secretary", 2, None, ["S2"], 5),  # T5, T6, T7, T10, T11
    ],
    ids=["supervisor", "admin", "secretary-S1", "secretary-S2"],
)
def test_each_role_sees_its_streets_and_their_tickets(conn, role, street_id, district_id, streets, tickets):
    account = add(conn, "viewer", role=role, street_id=street_id, district_id=district_id)
    scope = accounts.viewer_scope(conn, account)
    assert list(queries.streets(conn, scope)["code"]) == streets
    assert queries.rate_counts_for(conn, scope, NOVEMBER, now=NOW)["tickets"] == tickets


def test_a_filter_for_another_street_shows_nothing_not_more(conn):
    secretary = add(conn, "donghu", role="secretary", street_id=1)
    scope = accounts.viewer_scope(conn, secretary)
    other = TicketFilter(since=NOV[0], until=NOV[1], street_ids=(2,))
    assert queries.rate_counts_for(conn, scope, other, now=NOW)["tickets"] == 0
    assert list(queries.communities(conn, scope)["code"]) == ["C1a", "C1b"]
    assert sorted(queries.grid_cells(conn, scope, with_boundary=False)["code"]) == ["G1", "G2"]
    listed = overdue_queries.overdue_rows(conn, scope, TicketFilter(), now=NOW, due_soon_hours=24, max_rows=100)
    assert list(listed["ticket_no"]) == ["T4"]


# --- identity provider ---------------------------------------------------------------------------------


def test_the_identity_provider_maps_to_an_account_by_email_or_username(conn):
    add(conn, "zhang", email="zhang@district.gov.cn")
    add(conn, "li@district.gov.cn", role="secretary", street_id=1)
    by_email = accounts.account_for_identity(conn, {"email": "Zhang@District.gov.cn"}, "email")
    by_username = accounts.account_for_identity(conn, {"email": "li@district.gov.cn"}, "email")
    assert (by_email.username, by_username.username) == ("zhang", "li@district.gov.cn")
    assert accounts.account_for_identity(conn, {"email": "nobody@district.gov.cn"}, "email") is None


# --- the administrator's changes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, code",
    [
        (dict(username="dup"), "duplicate_username"),
        (dict(username="DUP "), "duplicate_username"),
        (dict(username="two words"), "bad_username"),
        (dict(username=""), "bad_username"),
        (dict(username="x", role="secretary"), "secretary_needs_street"),
        (dict(username="x", role="secretary", street_id=99), "unknown_street"),
        (dict(username="x", role="supervisor", street_id=1), "street_only_for_secretary"),
        (dict(username="x", role="supervisor", district_id=99), "unknown_district"),
        (dict(username="x", role="root"), "unknown_role"),
    ],
    ids=["duplicate", "duplicate-other-case", "space", "blank", "secretary-no-street", "no-such-street",
         "street-for-supervisor", "no-such-district", "unknown-role"],
)
def test_create_account_refuses(conn, kw, code):
    add(conn, "dup")
    with pytest.raises(AccountError) as refused:
        add(conn, **{"role": "supervisor", **kw})
    assert refused.value.code == code


def test_the_last_active_administrator_stays(conn):
    admin = add(conn, "root", role="admin")
    with pytest.raises(AccountError, match="last active administrator"):
        accounts.set_active(conn, admin.id, False, now=NOW)
    with pytest.raises(AccountError, match="last active administrator"):
        accounts.set_role(conn, admin.id, "supervisor", now=NOW)
    second = add(conn, "root2", role="admin")
    accounts.set_active(conn, admin.id, False, now=NOW)
    assert not accounts.get_account(conn, admin.id).active
    with pytest.raises(AccountError):
        accounts.set_role(conn, second.id, "secretary", now=NOW, street_id=1)


def test_set_role_binds_a_secretary_to_a_street(conn):
    account = add(conn, "zhang")
    accounts.set_role(conn, account.id, "secretary", now=NOW, street_id=2)
    changed = accounts.get_account(conn, account.id)
    assert (changed.role, changed.street_id, changed.district_id) == ("secretary", 2, None)
    assert accounts.viewer_scope(conn, changed) == Scope.streets([2])


def test_the_account_list_has_no_hashes(conn):
    add(conn, "zhang", display_name="张伟")
    add(conn, "li", role="secretary", street_id=1)
    frame = accounts.list_accounts(conn)
    assert list(frame["username"]) == ["li", "zhang"]
    assert list(frame["street"].fillna("")) == ["东湖街道", ""]
    assert "password_hash" not in frame.columns and bool(frame["has_password"].all())


# --- demo accounts -------------------------------------------------------------------------------------


def test_demo_accounts_in_a_sample_without_accounts(conn):
    created = accounts.seed_demo_accounts(conn, now=NOW, password="demo-password")
    # The case book has 东湖街道 but no 南河街道: that secretary is left out.
    assert sorted(created) == ["admin", "donghu", "supervisor"]
    donghu = accounts.find_account(conn, "donghu")
    assert (donghu.role, donghu.street_id) == ("secretary", 1)
    assert accounts.find_account(conn, "supervisor").district_id == 1  # the only district
    assert sign_in(conn, "donghu", "demo-password").status == "ok"


def test_demo_accounts_get_random_passwords_by_default(conn):
    created = accounts.seed_demo_accounts(conn, now=NOW)
    assert len(set(created.values())) == len(created) and all(len(p) >= 12 for p in created.values())


def test_demo_accounts_never_touch_existing_accounts(conn):
    add(conn, "root", role="admin")
    assert accounts.seed_demo_accounts(conn, now=NOW, password="demo-password") == {}
    assert accounts.count_accounts(conn) == 1


# --- caller identity -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope, permissions",
    [
        (Scope.district(), Permissions(view_dashboard=True, manage_accounts=True)),
        (Scope.streets([1]), Permissions(view_dashboard=True)),
        (Scope.public_screen(), Permissions(view_dashboard=True, see_caller=True)),
    ],
    ids=["admin", "secretary", "public-even-if-permitted"],
)
def test_caller_identity_is_refused_without_the_permission(conn, scope, permissions):
    with pytest.raises(PersonalDataRefused):
        caller_identity(conn, scope, permissions, "T1")


def test_caller_identity_with_the_permission_reads_only_tickets_in_scope(conn):
    allowed = Permissions(view_dashboard=True, see_caller=True)
    assert list(caller_identity(conn, Scope.streets([1]), allowed, "T1")["caller_name"]) == ["张三"]
    assert caller_identity(conn, Scope.streets([2]), allowed, "T1").empty


# --- settings of the policy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [{"max_failed_sign_ins": 0}, {"lockout_minutes": 0}, {"session_idle_minutes": -5}, {"session_max_hours": 0},
     {"oidc_username_claim": " "}],
    ids=["no-failures", "no-lockout", "negative-idle", "no-session", "blank-claim"],
)
def test_sign_in_settings_are_validated(overrides):
    from domain.settings import settings_from_mapping

    with pytest.raises(ValueError):
        settings_from_mapping(overrides)


# --- `cli.py add-user` (on a copy of the SQLite case book) ----------------------------------------------


@pytest.fixture
def cli_db(casebook_sqlite_url, tmp_path) -> str:
    import shutil

    path = tmp_path / "cli.db"
    shutil.copy(casebook_sqlite_url.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


def run_cli(capsys, monkeypatch, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    import io

    import cli

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def stored(url: str, username: str) -> Account | None:
    from data_access.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as c:
        found = accounts.find_account(c, username)
    engine.dispose()
    return found


def test_add_user_creates_the_first_administrator(cli_db, capsys, monkeypatch):
    code, out, _ = run_cli(capsys, monkeypatch, ["add-user", "Root", "--role", "admin", "--password-stdin", "--url", cli_db], PASSWORD + "\n")
    assert code == 0 and out.startswith("added admin root")
    assert PASSWORD not in out
    root = stored(cli_db, "root")
    assert (root.role, root.district_id, root.street_id) == ("admin", 1, None)


def test_add_user_binds_a_secretary_to_a_street_by_name(cli_db, capsys, monkeypatch):
    code, out, _ = run_cli(
        capsys, monkeypatch, ["add-user", "donghu", "--role", "secretary", "--street", "东湖街道", "--password-stdin", "--url", cli_db],
        PASSWORD + "\n",
    )
    assert code == 0 and "for 东湖街道" in out
    assert stored(cli_db, "donghu").street_id == 1


def test_add_user_asks_for_the_password_twice(cli_db, capsys, monkeypatch):
    answers = iter([PASSWORD, PASSWORD + "typo"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run_cli(capsys, monkeypatch, ["add-user", "root", "--role", "admin", "--url", cli_db])
    assert code == 2 and err.strip() == "cli.py add-user: error: the two passwords differ"
    assert stored(cli_db, "root") is None


@pytest.mark.parametrize(
    "argv, stdin, message",
    [
        (["add-user", "x", "--role", "secretary", "--password-stdin"], PASSWORD, "--street NAME is required for --role secretary and only for it"),
        (["add-user", "x", "--role", "supervisor", "--street", "东湖街道", "--password-stdin"], PASSWORD, "--street NAME is required"),
        (["add-user", "x", "--role", "secretary", "--street", "南河街道", "--password-stdin"], PASSWORD,
         "unknown street: '南河街道' (known: 东湖街道、西苑街道)"),
        (["add-user", "x", "--role", "admin", "--password-stdin"], "short", "the password is shorter than 8 characters"),
        (["add-user", "x", "--role", "admin", "--password-stdin", "--no-password"], "", "exclude each other"),
    ],
    ids=["secretary-without-street", "street-for-supervisor", "unknown-street", "short-password", "two-password-sources"],
)
def test_add_user_errors_are_one_line_with_exit_2(cli_db, capsys, monkeypatch, argv, stdin, message):
    code, _, err = run_cli(capsys, monkeypatch, [*argv, "--url", cli_db], stdin + "\n")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err


def test_add_user_refuses_a_taken_username(cli_db, capsys, monkeypatch):
    argv = ["add-user", "root", "--role", "admin", "--password-stdin", "--url", cli_db]
    run_cli(capsys, monkeypatch, argv, PASSWORD + "\n")
    code, _, err = run_cli(capsys, monkeypatch, argv, PASSWORD + "\n")
    assert code == 2 and "username 'root' is taken" in err


def test_add_user_without_password_for_single_sign_on(cli_db, capsys, monkeypatch):
    code, _, _ = run_cli(capsys, monkeypatch, ["add-user", "zhang@district.gov.cn", "--role", "supervisor", "--no-password", "--url", cli_db])
    assert code == 0
    assert stored(cli_db, "zhang@district.gov.cn").role == "supervisor"


def test_sample_leaves_the_demo_usable(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'sample.db'}"
    code, out, _ = run_cli(capsys, monkeypatch, ["sample", "--tickets", "300", "--months", "1", "--url", url])
    assert code == 0
    printed = dict(line.split() for line in out.split("shown this once", 1)[-1].splitlines() if len(line.split()) == 2)
    assert sorted(printed) == ["admin", "donghu", "nanhe", "supervisor"]
    from data_access.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as c:
        assert accounts.authenticate(c, "nanhe", printed["nanhe"], now=NOW, settings=DEFAULT_SETTINGS).status == "ok"
        assert accounts.find_account(c, "nanhe").street_id == accounts.resolve_street(c, "南河街道")
    engine.dispose()


@pytest.mark.parametrize(
    "password, hashed",
    [(PASSWORD, "right"), (PASSWORD + "!", "right"), (PASSWORD, None), (PASSWORD, ""), (PASSWORD, "plain-text"),
     (PASSWORD, "$2b$04$tooshort"), ("x" * 100, "right")],
    ids=["right", "wrong", "no-hash", "empty", "not-bcrypt", "cut", "too-long"],
)
def test_every_password_check_costs_one_full_bcrypt_check(monkeypatch, password, hashed):
    """No timing oracle: an account without a password (single sign-on only), a malformed hash or an over-long
    password is checked as slowly as a wrong password — one bcrypt check at the same work factor, always."""
    real = accounts.bcrypt.checkpw
    costs: list[bytes] = []

    def counted(pw: bytes, stored: bytes) -> bool:
        result = real(pw, stored)  # raises for an unreadable hash: then it did no work and is not counted
        costs.append(stored[:7])
        return result

    monkeypatch.setattr(accounts.bcrypt, "checkpw", counted)
    stored = accounts.hash_password(PASSWORD) if hashed == "right" else hashed
    assert accounts.verify_password(password, stored) is (password == PASSWORD and hashed == "right")
    assert costs == [b"$2b$04$"]


def test_a_sign_in_to_an_account_without_password_costs_a_bcrypt_check(conn, monkeypatch):
    add(conn, "sso_only", password=None)
    checks = []
    real = accounts.bcrypt.checkpw
    monkeypatch.setattr(accounts.bcrypt, "checkpw", lambda pw, h: checks.append(1) or real(pw, h))
    assert sign_in(conn, "sso_only", "anything").status == "invalid"
    assert checks == [1]
