"""GET /reset and GET /verify: the pages the reset and verification mails link to. Tiny pages
that post the token to /auth/reset and /auth/verify, so both flows work end to end without a
separate front end (which may replace them).

The token is taken out of the address bar at once, and each page is sent with a policy that
allows only its own inline script and style and requests to this origin, so nothing on the
page can carry the token elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_STYLE = (
    "body{font:16px system-ui;max-width:28rem;margin:3rem auto;padding:0 1rem}"
    "input,button{font:inherit;padding:.5rem;width:100%;margin:.25rem 0 1rem}"
)

_RESET_SCRIPT = """
const token = new URLSearchParams(location.search).get("token") || "";
history.replaceState(null, "", location.pathname);
document.getElementById("f").addEventListener("submit", async (e) => {
  e.preventDefault();
  const r = await fetch("auth/reset", {method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({token, new_password: document.getElementById("p").value})});
  const msg = document.getElementById("msg");
  if (r.status === 204) { msg.textContent = "Done. Sign in with your new password."; return; }
  const problem = await r.json().catch(() => ({}));
  msg.textContent = (problem.details && problem.details[0].message) || problem.detail || "Failed.";
});
"""

_RESET_BODY = """<h1>Choose a new password</h1>
<form id="f"><label for="p">New password (at least 8 characters)</label>
<input id="p" type="password" minlength="8" maxlength="128" required autocomplete="new-password">
<button>Set password</button></form><p id="msg" role="status"></p>"""

# A button rather than an automatic request: mail scanners that open links do not click.
_VERIFY_SCRIPT = """
const token = new URLSearchParams(location.search).get("token") || "";
history.replaceState(null, "", location.pathname);
document.getElementById("f").addEventListener("submit", async (e) => {
  e.preventDefault();
  const r = await fetch("auth/verify", {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({token})});
  const msg = document.getElementById("msg");
  if (r.status === 204) { msg.textContent = "Done. Your email address is confirmed."; return; }
  const problem = await r.json().catch(() => ({}));
  msg.textContent = problem.detail || "Failed.";
});
"""

_VERIFY_BODY = """<h1>Confirm your email address</h1>
<form id="f"><button>Confirm my email address</button></form><p id="msg" role="status"></p>"""


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def _page(title: str, body: str, script: str) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>RoomTime: {title}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<style>{_STYLE}</style></head>\n<body>{body}\n<script>{script}</script></body></html>"
    )
    policy = (
        f"default-src 'none'; script-src {_sha256(script)}; style-src {_sha256(_STYLE)}; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": re.sub(r"\s+", " ", policy),
        },
    )


@router.get("/reset", response_class=HTMLResponse)
async def reset_page() -> HTMLResponse:
    return _page("choose a new password", _RESET_BODY, _RESET_SCRIPT)


@router.get("/verify", response_class=HTMLResponse)
async def verify_page() -> HTMLResponse:
    return _page("confirm your email address", _VERIFY_BODY, _VERIFY_SCRIPT)
