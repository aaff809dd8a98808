"""The web UI (SPEC R-39): server-rendered pages at `/`, one more adapter beside the JSON API.

Handlers call the JSON API of this same app in-process (see api_client), so every rule stays
in the API; see docs/architecture.md, "Web UI", for the page map and why.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from roomtime.web.errors import install_error_pages
from roomtime.web.routes import (
    account,
    admin_people,
    admin_resources,
    bookings,
    browse,
    docs,
    events,
    notifications,
    specialists,
)
from roomtime.web.routes.admin_resources import IMAGE_PATH

STATIC_PATH = "/static"
# Routes whose body is streamed on to the API instead of read whole (see main.py).
STREAMED_ROUTES = [("POST", IMAGE_PATH)]


def install_web_ui(app: FastAPI) -> None:
    install_error_pages(app)
    modules = (docs, account, browse, bookings, events, specialists, notifications)
    for module in (*modules, admin_resources, admin_people):
        # Straight on the app, as the API routes are (api/router.py says why).
        app.router.routes.extend(module.router.routes)
    static = resources.files(__package__).joinpath("static")
    app.mount(STATIC_PATH, StaticFiles(directory=str(static)), name="static")
