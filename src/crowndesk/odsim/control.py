"""Control endpoints under ``/_sandbox`` (no auth: the sandbox is a local test tool)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crowndesk.odsim.faults import FaultRule

if TYPE_CHECKING:
    from crowndesk.odsim.app import OdsimApp


def routes(app: OdsimApp) -> list[Route]:
    from crowndesk.odsim.app import ApiError, od_json, read_json
    from crowndesk.odsim.simulator import advance

    sb = app.sandbox

    async def stats(request: Request) -> Response:
        return od_json(sb.stats_dict())

    async def do_advance(request: Request) -> Response:
        body = await read_json(request)
        params: dict[str, Any] = dict(request.query_params)
        if isinstance(body, dict):
            params.update(body)
        try:
            minutes = float(params.get("minutes", 0)) + float(params.get("days", 0)) * 1440
        except (TypeError, ValueError):
            raise ApiError(400, "minutes and days must be numbers.") from None
        if minutes <= 0:
            raise ApiError(400, "Give minutes or days greater than zero.")
        summary = advance(sb, minutes)
        return od_json(summary)

    async def faults(request: Request) -> Response:
        if request.method == "GET":
            return od_json([r.to_dict() for r in sb.faults.rules])
        if request.method == "DELETE":
            sb.faults.clear(request.query_params.get("resource"))
            return od_json([])
        body = await read_json(request)
        items = body if isinstance(body, list) else [body]
        added = []
        for item in items:
            if not isinstance(item, dict) or "kind" not in item:
                raise ApiError(400, "Each fault needs a kind.")
            allowed = {
                "kind",
                "resource",
                "rate",
                "count",
                "delay",
                "retry_after",
                "shift",
                "malformed",
            }
            unknown = set(item) - allowed
            if unknown:
                raise ApiError(400, f"Unknown fault fields: {sorted(unknown)}")
            try:
                rule = FaultRule(**{k: v for k, v in item.items()})
                rule.kind = str(rule.kind)
                rule.resource = rule.resource.lower()
                added.append(sb.faults.add(rule).to_dict())
            except (TypeError, ValueError) as exc:
                raise ApiError(400, str(exc)) from None
        return od_json(added, 201)

    async def reset(request: Request) -> Response:
        sb.reset()
        return od_json({"serverDateTime": sb.clock.now_str()})

    async def config(request: Request) -> Response:
        if request.method == "POST":
            body = await read_json(request)
            if not isinstance(body, dict):
                raise ApiError(400, "Send a JSON object.")
            c = sb.config
            if "mode" in body:
                if body["mode"] not in ("remote", "local", "service"):
                    raise ApiError(400, "mode must be remote, local or service.")
                c.mode = body["mode"]
            if "tier" in body:
                if body["tier"] not in ("read_all", "standard", "enterprise"):
                    raise ApiError(400, "tier must be read_all, standard or enterprise.")
                c.tier = body["tier"]
            if "throttle_scale" in body:
                c.throttle_scale = float(body["throttle_scale"])
            if "require_content_type" in body:
                c.require_content_type = bool(body["require_content_type"])
            sb.keys.clear()
        return od_json(sb.config.public())

    return [
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/advance", do_advance, methods=["POST"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/config", config, methods=["GET", "POST"]),
    ]
