"""GET /reset: the page a reset email links to. A tiny form that posts to /auth/reset, so the
flow works end to end without a separate front end (which may replace it)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>RoomTime: choose a new password</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<style>body{font:16px system-ui;max-width:28rem;margin:3rem auto;padding:0 1rem}
input,button{font:inherit;padding:.5rem;width:100%;margin:.25rem 0 1rem}</style></head>
<body><h1>Choose a new password</h1>
<form id="f"><label for="p">New password (at least 8 characters)</label>
<input id="p" type="password" minlength="8" maxlength="128" required autocomplete="new-password">
<button>Set password</button></form><p id="msg" role="status"></p>
<script>
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
</script></body></html>"""


@router.get("/reset", response_class=HTMLResponse)
async def reset_page() -> HTMLResponse:
    return HTMLResponse(
        _PAGE, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    )
