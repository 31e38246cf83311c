"""The staff web app: server-rendered Jinja2 pages with HTMX, served at `/`.

Views are thin: they read the request, call the same services as the JSON API and render a
template. Assets are vendored in `static/` (no build step).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from crowndesk.web.errors import install_error_pages
from crowndesk.web.rendering import HERE
from crowndesk.web.views import admin, auth, dashboard, patients, procedures


def install(app: FastAPI) -> None:
    """Mount the web app's routes and assets, and answer errors outside /api in HTML."""
    for module in (auth, dashboard, patients, procedures, admin):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_error_pages(app)
