"""Placeholder; replaced below."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

if TYPE_CHECKING:
    from crowndesk.odsim.app import OdsimApp


def routes(app: OdsimApp) -> list[Route]:
    return []
