"""Placeholder; replaced below."""

from __future__ import annotations

from typing import Any

from crowndesk.odsim.sandbox import Sandbox


def advance(sb: Sandbox, minutes: float) -> dict[str, Any]:
    from datetime import timedelta

    sb.clock.advance(timedelta(minutes=minutes))
    return {"serverDateTime": sb.clock.now_str()}
