"""The sign-in policy as pure functions (domain/auth_policy.py): hand-worked tables, one case per row."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.auth_policy import (
    Account,
    Attempts,
    Permissions,
    activity_due,
    after_failure,
    binding_problem,
    identity_signed_in_at,
    identity_value,
    is_locked,
    match_identity,
    password_problem,
    permissions_for,
    seconds_left,
    session_expiry,
)
from domain.settings import DEFAULT_SETTINGS, settings_from_mapping

T0 = dt.datetime(2026, 11, 20, 9, 0)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


# --- roles ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, expected",
    [
        ("admin", Permissions(view_dashboard=True, manage_accounts=True, view_data_quality=True, see_caller=False)),
        ("supervisor", Permissions(view_dashboard=True, manage_accounts=False, view_data_quality=True, see_caller=False)),
        ("secretary", Permissions(view_dashboard=True, manage_accounts=False, see_caller=False)),
        ("public", Permissions()),
        ("", Permissions()),
    ],
    ids=["admin", "supervisor", "secretary", "unknown-role", "blank-role"],
)
def test_permissions_of_each_role(role, expected):
    assert permissions_for(role) == expected


@pytest.mark.parametrize(
    "role, district_id, street_id, problem",
    [
        ("secretary", None, 3, None),
        ("secretary", None, None, "secretary_needs_street"),
        ("secretary", 1, None, "secretary_needs_street"),
        ("supervisor", 1, None, None),
        ("supervisor", None, None, None),
        ("supervisor", None, 3, "street_only_for_secretary"),
        ("admin", None, None, None),
        ("admin", 1, 2, "street_only_for_secretary"),
        ("viewer", None, None, "unknown_role"),
    ],
    ids=[
        "secretary-street", "secretary-no-street", "secretary-district-only", "supervisor-district",
        "supervisor-everything", "supervisor-street", "admin", "admin-street", "unknown-role",
    ],
)
def test_binding_problem(role, district_id, street_id, problem):
    assert binding_problem(role, district_id, street_id) == problem


# --- failed sign-ins (defaults: 5 failures within 15 minutes lock for 15 minutes) -----------------------


@pytest.mark.parametrize(
    "before, minute, after",
    [
        (Attempts(), 0, Attempts(1, at(0), None)),
        (Attempts(1, at(0), None), 2, Attempts(2, at(0), None)),
        (Attempts(3, at(0), None), 10, Attempts(4, at(0), None)),
        # the 5th failure within the window locks until 15 minutes after it
        (Attempts(4, at(0), None), 14, Attempts(5, at(0), at(29))),
        # the window is over: counting starts again
        (Attempts(4, at(0), None), 15, Attempts(1, at(15), None)),
        # a failure after the lock ran out starts a new window
        (Attempts(5, at(0), at(29)), 29, Attempts(1, at(29), None)),
    ],
    ids=["first", "second", "fourth", "fifth-locks", "window-over", "after-lock"],
)
def test_after_failure(before, minute, after):
    assert after_failure(before, at(minute), DEFAULT_SETTINGS) == after


def test_after_failure_follows_the_settings():
    strict = settings_from_mapping({"max_failed_sign_ins": 2, "lockout_minutes": 60})
    once = after_failure(Attempts(), at(0), strict)
    assert after_failure(once, at(59), strict) == Attempts(2, at(0), at(119))


@pytest.mark.parametrize(
    "attempts, minute, locked",
    [
        (Attempts(), 0, False),
        (Attempts(4, at(0), None), 1, False),
        (Attempts(5, at(0), at(15)), 14.9, True),
        (Attempts(5, at(0), at(15)), 15, False),
    ],
    ids=["never-failed", "failed-not-locked", "locked", "lock-ran-out"],
)
def test_is_locked(attempts, minute, locked):
    assert is_locked(attempts, at(minute)) is locked


# --- sessions (defaults: 30 minutes idle, 12 hours at most) ----------------------------------------------


@pytest.mark.parametrize(
    "signed_in, last_seen, now, expiry",
    [
        (0, 0, 29, None),
        (0, 0, 30, "idle"),
        (0, 600, 629, None),
        (0, 715, 720, "absolute"),
        (0, 719, 719.9, None),
        (0, 0, 720, "absolute"),
    ],
    ids=["idle-29-min", "idle-30-min", "active-10-h", "12-h-while-active", "just-under-12-h", "both"],
)
def test_session_expiry(signed_in, last_seen, now, expiry):
    assert session_expiry(at(signed_in), at(last_seen), at(now), DEFAULT_SETTINGS) == expiry


@pytest.mark.parametrize(
    "last_seen, now, due", [(0, 0.5, False), (0, 59 / 60, False), (0, 1, True), (0, 30, True)],
    ids=["30-s", "59-s", "1-min", "30-min"],
)
def test_activity_is_written_at_most_once_a_minute(last_seen, now, due):
    assert activity_due(at(last_seen), at(now)) is due


@pytest.mark.parametrize(
    "signed_in, now, left", [(0, 0, 12 * 3600), (0, 60, 11 * 3600), (0, 720, 0), (0, 800, 0)],
    ids=["fresh", "after-1-h", "at-the-limit", "past-it"],
)
def test_the_cookie_lives_until_the_absolute_limit(signed_in, now, left):
    assert seconds_left(at(signed_in), at(now), DEFAULT_SETTINGS) == left


# --- passwords -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, problem",
    [
        ("correct horse", None),
        ("12345678", None),
        ("1234567", "password_too_short"),
        ("        ", "password_blank"),
        ("", "password_blank"),
        ("密码" * 12, None),  # 24 characters, 72 bytes: the longest bcrypt reads whole
        ("密码" * 12 + "x", "password_too_long"),
    ],
    ids=["phrase", "eight", "seven", "spaces", "empty", "72-bytes", "73-bytes"],
)
def test_password_problem(password, problem):
    assert password_problem(password) == problem


# --- identity provider ---------------------------------------------------------------------------------

ACCOUNTS = [
    Account(1, "zhang.wei", "张伟", "supervisor", email="Zhang.Wei@District.gov.cn"),
    Account(2, "li.na@district.gov.cn", "李娜", "secretary", street_id=1),
    Account(3, "wang.fang", "王芳", "secretary", street_id=2, email="wang@district.gov.cn", active=False),
    Account(4, "dup1", "重复甲", "secretary", street_id=1, email="dup@district.gov.cn"),
    Account(5, "dup2", "重复乙", "secretary", street_id=2, email="dup@district.gov.cn"),
]


@pytest.mark.parametrize(
    "claims, claim, account_id",
    [
        ({"email": "zhang.wei@district.gov.cn"}, "email", 1),
        ({"email": " ZHANG.WEI@DISTRICT.GOV.CN "}, "email", 1),
        ({"email": "li.na@district.gov.cn", "email_verified": True}, "email", 2),
        ({"email": "li.na@district.gov.cn", "email_verified": False}, "email", None),
        ({"email": "wang@district.gov.cn"}, "email", None),
        ({"email": "dup@district.gov.cn"}, "email", None),
        ({"email": "nobody@district.gov.cn"}, "email", None),
        ({"name": "张伟"}, "email", None),
        ({"preferred_username": "zhang.wei", "email": "other@x.cn"}, "preferred_username", 1),
        ({"email": ""}, "email", None),
        ({"email": 42}, "email", None),
    ],
    ids=[
        "email-matches-email", "case-and-spaces", "email-matches-username", "unverified-email", "inactive",
        "ambiguous", "unknown", "claim-missing", "other-claim", "blank", "not-text",
    ],
)
def test_match_identity(claims, claim, account_id):
    found = match_identity(claims, claim, ACCOUNTS)
    assert (found.id if found else None) == account_id


def test_identity_value_is_lower_cased_and_trimmed():
    assert identity_value({"email": " A@B.CN "}, "email") == "a@b.cn"


@pytest.mark.parametrize(
    "claims, expected",
    [
        ({"auth_time": 1795651200, "iat": 1795654800}, dt.datetime(2026, 11, 26, 8, 0)),
        ({"iat": 1795654800}, dt.datetime(2026, 11, 26, 9, 0)),
        ({"iat": "1795654800"}, None),
        ({"iat": True}, None),
        ({}, None),
    ],
    ids=["auth-time-first", "iat", "text-ignored", "bool-ignored", "none"],
)
def test_identity_signed_in_at(claims, expected):
    # 1795651200 = 2026-11-26 00:00 UTC (+3600 for iat) = 08:00 in Shanghai.
    assert identity_signed_in_at(claims, "Asia/Shanghai") == expected
