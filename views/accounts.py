"""账号管理 Accounts (administrators only): every account with its role, street and sign-in state; add one,
change its role or street, reset its password, deactivate or reactivate it — all through
data_access.accounts, which refuses what the policy refuses (weak passwords, a secretary without a street,
removing the last administrator). The router shows this page to administrators only; it checks again."""

from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from data_access import accounts
from data_access.engine import is_lock_wait
from domain.auth_policy import ROLE_SECRETARY, ROLES
from ui import keys
from ui.auth import auth_now, current_viewer
from ui.data import engine_for
from ui.filter_bar import page_context
from ui.i18n import t

ctx = page_context()
viewer = current_viewer()
st.title(t("page.accounts.title"))
if not viewer.permissions.manage_accounts:
    st.error(t("accounts.not_allowed"), icon=":material/block:")
    st.stop()

engine = engine_for(ctx.url)
street_names = {int(i): str(n) for i, n in zip(ctx.streets["id"], ctx.streets["name"])}


def role_label(role: str) -> str:
    return t(f"auth.role.{role}")


def street_label(street_id: int | None) -> str:
    return t("accounts.no_street") if street_id is None else street_names.get(street_id, str(street_id))


def apply(change: Callable[[Connection], object], done: str) -> None:
    """Run one change in a transaction; report the policy's refusal, or rerun with the result."""
    try:
        with engine.begin() as conn:
            change(conn)
    except accounts.AccountError as exc:
        st.error(t(f"accounts.error.{exc.code}"), icon=":material/error:")
        return
    except OperationalError as exc:
        if not is_lock_wait(exc):
            raise
        st.error(t("accounts.error.busy"), icon=":material/hourglass_top:")  # nothing was changed
        return
    st.session_state[keys.ACCOUNTS_MESSAGE] = done
    st.rerun()


done = st.session_state.pop(keys.ACCOUNTS_MESSAGE, None)
if done:
    st.success(done, icon=":material/check_circle:")

with engine.connect() as conn:
    table = accounts.list_accounts(conn)
    district = accounts.only_district(conn)

st.subheader(t("accounts.list_heading"))
shown = table.assign(role=table["role"].map(role_label), street=table["street"].fillna(""))
for text_column in ("display_name", "email"):
    shown[text_column] = shown[text_column].fillna("")  # an empty cell, not "None"
columns = ("username", "display_name", "email", "role", "street", "active", "has_password", "last_sign_in_at", "locked_until")
st.dataframe(
    shown[list(columns)], hide_index=True, width="stretch",
    column_config={c: st.column_config.Column(t(f"accounts.column.{c}")) for c in columns},
)
st.caption(t("accounts.list_caption"))

add_tab, change_tab = st.tabs([t("accounts.tab_add"), t("accounts.tab_change")])
street_choices = [None, *street_names]

with add_tab, st.form(keys.ACCOUNTS_ADD_FORM, clear_on_submit=True):
    username = st.text_input(t("accounts.username"), key=keys.ACCOUNTS_ADD_USERNAME, help=t("accounts.username_help"))
    display_name = st.text_input(t("accounts.display_name"), key=keys.ACCOUNTS_ADD_NAME)
    email = st.text_input(t("accounts.email"), key=keys.ACCOUNTS_ADD_EMAIL)
    role = st.selectbox(t("accounts.role"), ROLES, format_func=role_label, key=keys.ACCOUNTS_ADD_ROLE, index=2)
    # Most new accounts are street secretaries, who must have a street: the first street is preselected
    # (the choice is ignored for the other roles, as the help says).
    street = st.selectbox(
        t("accounts.street"), street_choices, format_func=street_label, key=keys.ACCOUNTS_ADD_STREET,
        help=t("accounts.street_help"), index=1 if len(street_choices) > 1 else 0,
    )
    password = st.text_input(t("accounts.password"), type="password", key=keys.ACCOUNTS_ADD_PASSWORD, help=t("accounts.password_help"))
    if st.form_submit_button(t("accounts.add_submit"), type="primary"):
        apply(
            lambda conn: accounts.create_account(
                conn, username=username, role=role, now=auth_now(ctx.settings), password=password,
                display_name=display_name or None, email=email or None,
                district_id=None if role == ROLE_SECRETARY else district,
                street_id=street if role == ROLE_SECRETARY else None,
            ),
            t("accounts.done_added", username=accounts.normal_username(username)),
        )

with change_tab:
    if table.empty:
        st.stop()
    by_id = {int(r["id"]): r for r in table.to_dict("records")}
    picked = st.selectbox(
        t("accounts.pick"), list(by_id), key=keys.ACCOUNTS_PICK,
        format_func=lambda i: f"{by_id[i]['username']} · {by_id[i]['display_name']} · {role_label(by_id[i]['role'])}",
    )
    row = by_id[picked]
    name = row["username"]
    roles_column, password_column, status_column = st.columns(3)
    with roles_column, st.form(keys.ACCOUNTS_ROLE_FORM):
        st.markdown(f"**{t('accounts.role_heading')}**")
        new_role = st.selectbox(
            t("accounts.role"), ROLES, index=ROLES.index(row["role"]) if row["role"] in ROLES else 0, format_func=role_label, key=keys.ACCOUNTS_ROLE
        )
        current_street = None if pd.isna(row["street_id"]) else int(row["street_id"])
        new_street = st.selectbox(
            t("accounts.street"), street_choices, index=street_choices.index(current_street) if current_street in street_choices else 0,
            format_func=street_label, key=keys.ACCOUNTS_STREET, help=t("accounts.street_help"),
        )
        if st.form_submit_button(t("accounts.role_submit")):
            apply(
                lambda conn: accounts.set_role(
                    conn, picked, new_role, now=auth_now(ctx.settings), district_id=None if new_role == ROLE_SECRETARY else district,
                    street_id=new_street if new_role == ROLE_SECRETARY else None,
                ),
                t("accounts.done_role", username=name),
            )
    with password_column, st.form(keys.ACCOUNTS_PASSWORD_FORM, clear_on_submit=True):
        st.markdown(f"**{t('accounts.password_heading')}**")
        new_password = st.text_input(t("accounts.new_password"), type="password", key=keys.ACCOUNTS_NEW_PASSWORD, help=t("accounts.password_help"))
        if st.form_submit_button(t("accounts.password_submit")):
            apply(lambda conn: accounts.set_password(conn, picked, new_password, now=auth_now(ctx.settings)), t("accounts.done_password", username=name))
    with status_column:
        st.markdown(f"**{t('accounts.status_heading')}**")
        active = bool(row["active"])
        if st.button(t("accounts.deactivate" if active else "accounts.activate"), key=keys.ACCOUNTS_TOGGLE_ACTIVE):
            apply(
                lambda conn: accounts.set_active(conn, picked, not active, now=auth_now(ctx.settings)),
                t("accounts.done_deactivated" if active else "accounts.done_activated", username=name),
            )
