"""The auth domain's use cases (R-28..R-30, R-33), for routers, the CLI and other domains.

Each use case is a plain async function in its own module, taking one frozen dependencies
object with only what it uses (a login needs no notifier, a logout no settings):

    register        _register.py            RegisterDeps
    login           _login.py               LoginDeps
    refresh         _refresh.py             RefreshDeps
    logout          _logout.py              LogoutDeps
    forgot          _forgot.py              ForgotDeps
    reset_password  _reset.py               ResetDeps
    verify_email    _verify.py              VerifyDeps
    resend_verification  _resend.py         ResendDeps
    update_account  _accounts.py            AccountUpdateDeps   (an admin's change)
    ensure_admin    _admin.py               EnsureAdminDeps     (create-admin, seed)

Token pairs are issued and revoked in `_sessions.py`; HTTP builds the deps in
`dependencies.py`.
"""

from __future__ import annotations

from roomtime.domains.auth._accounts import AccountUpdateDeps, update_account
from roomtime.domains.auth._admin import AdminOutcome, EnsureAdminDeps, ensure_admin
from roomtime.domains.auth._forgot import ForgotDeps, forgot
from roomtime.domains.auth._login import LoginDeps, LoginResult, login
from roomtime.domains.auth._logout import LogoutDeps, logout
from roomtime.domains.auth._refresh import RefreshDeps, refresh
from roomtime.domains.auth._register import RegisterDeps, register
from roomtime.domains.auth._resend import ResendDeps, resend_verification
from roomtime.domains.auth._reset import ResetDeps, reset_password
from roomtime.domains.auth._verify import VerifyDeps, verify_email
from roomtime.domains.auth.tokens import jwt_config

__all__ = [
    "AccountUpdateDeps",
    "AdminOutcome",
    "EnsureAdminDeps",
    "ForgotDeps",
    "LoginDeps",
    "LoginResult",
    "LogoutDeps",
    "RefreshDeps",
    "RegisterDeps",
    "ResendDeps",
    "ResetDeps",
    "VerifyDeps",
    "ensure_admin",
    "forgot",
    "jwt_config",
    "login",
    "logout",
    "refresh",
    "register",
    "resend_verification",
    "reset_password",
    "update_account",
    "verify_email",
]
