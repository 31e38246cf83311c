"""The ASGI app: the Open Dental API under ``/api/v1`` plus control endpoints under
``/_sandbox``. Build it with :func:`create_app`."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from crowndesk.odsim import shortquery
from crowndesk.odsim.faults import FaultRule
from crowndesk.odsim.resources import (
    BY_PATH,
    ENUM_NUMBERS,
    PATIENT_SELECT,
    RESOURCES,
    Filter,
    Lookups,
    Resource,
    RowSerializer,
    compile_serializer,
)
from crowndesk.odsim.sandbox import Sandbox

API = "/api/v1"
JSON = "application/json; charset=utf-8"
_DT_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_D_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Handler = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def od_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=JSON, headers=headers)


def od_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    # Open Dental answers errors with a short message; we send it as a JSON string.
    return od_json(message, status, headers)


def format_retry_after(seconds: float) -> str:
    if seconds >= 1 and float(seconds).is_integer():
        return str(int(seconds))
    if seconds >= 1:
        return str(math.ceil(seconds))
    return f"{seconds:.3f}".rstrip("0").rstrip(".") or "0.001"


def parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"{name} is invalid.") from None


def parse_bool(name: str, raw: str) -> bool:
    low = raw.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    raise ApiError(400, f"{name} must be true or false.")


def parse_date(name: str, raw: str) -> str:
    if not _D_RE.match(raw):
        raise ApiError(400, f"{name} format must be yyyy-MM-dd")
    try:
        date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} format must be yyyy-MM-dd") from None
    return raw


def parse_dt(name: str, raw: str) -> str:
    if not _DT_RE.match(raw):
        raise ApiError(400, f"{name} format must be yyyy-MM-dd HH:mm:ss")
    try:
        datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} format must be yyyy-MM-dd HH:mm:ss") from None
    return raw


def query_params(request: Request) -> dict[str, tuple[str, str]]:
    """Lower-cased parameter name -> (name as sent, value); names are case-insensitive."""
    return {k.lower(): (k, v) for k, v in request.query_params.items()}


class ListQuery:
    def __init__(self) -> None:
        self.where: list[str] = []
        self.args: list[Any] = []
        self.suppress_server_dt = False

    def add(self, clause: str, *args: Any) -> None:
        self.where.append(clause)
        self.args.extend(args)


def apply_filter(q: ListQuery, f: Filter, name: str, raw: str) -> None:
    col, kind = f.column, f.kind
    if kind == "int":
        q.add(f"{col} = ?", parse_int(name, raw))
    elif kind == "str":
        q.add(f"{col} = ?", raw)
    elif kind == "like":
        q.add(f"{col} LIKE ?", f"%{raw}%")
    elif kind.startswith("enum."):
        num = ENUM_NUMBERS[kind[5:]].get(raw.strip().lower())
        if num is None:
            raise ApiError(400, f"{name} is invalid.")
        q.add(f"{col} = ?", num)
    elif kind == "bool":
        q.add(f"{col} = ?", int(parse_bool(name, raw)))
    elif kind == "nonzero":
        q.add(f"{col} {'!=' if parse_bool(name, raw) else '='} 0")
    elif kind == "date":
        q.add(f"{col} = ?", parse_date(name, raw))
    elif kind == "day":
        d = parse_date(name, raw)
        q.add(f"{col} >= ? AND {col} <= ?", f"{d} 00:00:00", f"{d} 23:59:59")
    elif kind == "daystart":
        q.add(f"{col} >= ?", f"{parse_date(name, raw)} 00:00:00")
    elif kind == "dayend":
        q.add(f"{col} <= ?", f"{parse_date(name, raw)} 23:59:59")
    elif kind == "plantype":
        low = raw.strip().lower()
        mapping = {"percentage": "", "p": "p", "f": "f", "c": "c"}
        if low not in mapping:
            raise ApiError(400, "PlanType is invalid.")
        q.add(f"{col} = ?", mapping[low])
    elif kind == "clinic":
        parse_int(name, raw)
        q.add("IsHidden = 0")
        q.suppress_server_dt = True
    elif kind == "phone":
        digits = re.sub(r"\D", "", raw)
        q.add(
            "(digits(HmPhone) LIKE ? OR digits(WkPhone) LIKE ? OR digits(WirelessPhone) LIKE ?)",
            *([f"%{digits}%"] * 3),
        )
    elif kind == "hideinactive":
        if parse_bool(name, raw):
            q.add("PatStatus != 2")
    elif kind == "guaronly":
        if parse_bool(name, raw):
            q.add("PatNum = Guarantor")
    elif kind == "showarchived":
        pass  # handled by the caller
    elif kind == "intlist":
        nums = [parse_int(name, x) for x in raw.split(",") if x.strip()]
        if nums:
            q.add(f"{col} IN ({','.join('?' * len(nums))})", *nums)
    else:  # pragma: no cover - spec error
        raise ValueError(kind)


def _digits(v: Any) -> str:
    return re.sub(r"\D", "", str(v or ""))


class OdsimApp:
    """Outer ASGI layer: auth, throttle, faults and stats around the routes."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        # The lookups the serializers were compiled with, and the serializers, as one pair.
        self._serializers: tuple[Lookups | None, dict[Resource, RowSerializer]] = (None, {})
        sandbox.conn.create_function("digits", 1, _digits, deterministic=True)
        self.inner = Starlette(routes=self._routes())
        self.inner.add_exception_handler(ApiError, self._api_error)  # type: ignore[arg-type]
        self.inner.add_exception_handler(404, self._not_found)
        self.inner.add_exception_handler(405, self._not_allowed)

    async def _api_error(self, request: Request, exc: ApiError) -> Response:
        return od_error(exc.status, exc.message, exc.headers)

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return od_error(404, "Resource not found.")

    async def _not_allowed(self, request: Request, exc: Exception) -> Response:
        return od_error(404, "Resource not found.")

    # ------------------------------------------------------------------ ASGI
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].lower().startswith(API + "/"):
            if scope["type"] == "http":
                scope = dict(scope, path=scope["path"].lower())
            await self.inner(scope, receive, send)
            return
        sb = self.sandbox
        scope = dict(scope, path=scope["path"].lower().rstrip("/"))
        rest = scope["path"][len(API) + 1 :]
        resource = rest.split("/", 1)[0]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        st = sb.stats
        st.requests += 1
        st.by_resource[resource] = st.by_resource.get(resource, 0) + 1
        status_box = [0]

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
            await send(message)

        try:
            customer = self._auth(headers.get("authorization", ""))
        except ApiError as exc:
            await self._send_error(exc, scope, receive, counting_send)
            self._count_status(status_box[0])
            return
        wait = sb.throttle_enter(customer)
        if wait is not None:
            refusal = ApiError(
                429,
                "Too many requests. Slow down: this customer key is throttled.",
                {"Retry-After": format_retry_after(wait)},
            )
            await self._send_error(refusal, scope, receive, counting_send)
            self._count_status(status_box[0])
            return
        try:
            if sb.config.require_content_type and not headers.get(
                "content-type", ""
            ).lower().startswith("application/json"):
                raise ApiError(400, "Content-Type must be application/json.")
            rules = sb.faults.draw(resource)
            soft = []
            for rule in rules:
                if rule.kind == "slow":
                    await asyncio.sleep(rule.delay)
                elif rule.kind == "429":
                    raise ApiError(
                        429,
                        "Too many requests.",
                        {"Retry-After": format_retry_after(rule.retry_after)},
                    )
                elif rule.kind == "400":
                    raise ApiError(
                        400, "The office's eConnector is not responding. Try again later."
                    )
                elif rule.kind in ("500", "503", "504"):
                    text = {
                        "500": "An internal error occurred.",
                        "503": "Service unavailable.",
                        "504": "The request timed out.",
                    }[rule.kind]
                    raise ApiError(int(rule.kind), text)
                else:
                    soft.append(rule)
            scope["odsim.faults"] = soft
            if any(r.kind == "drop" for r in soft):
                await self._dropped(scope, receive, counting_send)
            else:
                await self.inner(scope, receive, counting_send)
        except ApiError as exc:
            await self._send_error(exc, scope, receive, counting_send)
        finally:
            sb.throttle_exit(customer)
            self._count_status(status_box[0])

    def _count_status(self, status: int) -> None:
        key = str(status)
        by = self.sandbox.stats.by_status
        by[key] = by.get(key, 0) + 1

    def _auth(self, header: str) -> str:
        if not header:
            raise ApiError(401, "Authorization header is missing.")
        scheme, _, creds = header.strip().partition(" ")
        dev, _, cust = creds.strip().partition("/")
        if scheme != "ODFHIR" or not dev or not cust:
            raise ApiError(
                401, "Authorization header must be 'ODFHIR {DeveloperKey}/{CustomerKey}'."
            )
        if not self.sandbox.valid_key(dev, cust):
            raise ApiError(401, "Invalid or disabled developer key or customer key.")
        return cust

    async def _send_error(self, exc: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
        await od_error(exc.status, exc.message, exc.headers)(scope, receive, send)

    async def _dropped(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, then send the headers and half the body and hang up."""
        start: Message | None = None
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.inner(scope, receive, capture)
        assert start is not None
        full = bytes(body) or b"[" + b" " * 64 + b"]"
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(full)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send(
            {"type": "http.response.body", "body": full[: len(full) // 2], "more_body": True}
        )
        # Returning without finishing makes the server close the connection mid-body.

    # ------------------------------------------------------------------ routes
    def _routes(self) -> list[Route]:
        from crowndesk.odsim import control, writes

        routes: list[Route] = []
        routes += writes.routes(self)
        routes.append(Route(f"{API}/queries/shortquery", self.short_query, methods=["PUT"]))
        routes.append(Route(f"{API}/patients", self._list_handler(PATIENT_SELECT), methods=["GET"]))
        for res in RESOURCES:
            path = f"{API}/{res.path.lower()}"
            if res.path != "patients":
                routes.append(Route(path, self._list_handler(res), methods=["GET"]))
            if res.single:
                routes.append(Route(path + "/{pk:int}", self._get_handler(res), methods=["GET"]))
        routes += control.routes(self)
        return routes

    def serializer(self, res: Resource) -> RowSerializer:
        """The resource's serializer, compiled once per set of lookups (the labels it sends)."""
        lookups = self.sandbox.lookups()
        compiled_with, serializers = self._serializers
        if compiled_with is not lookups:
            # New lookups (a reset, a simulated day): the old serializers send stale labels.
            # A fresh dict, paired with its lookups, so that a serializer compiled while another
            # thread swaps them can only land beside the lookups it was compiled with.
            serializers = {}
            self._serializers = (lookups, serializers)
        ser = serializers.get(res)
        if ser is None:
            ser = serializers[res] = compile_serializer(res, lookups)
        return ser

    def _list_handler(self, res: Resource) -> Handler:
        async def handler(request: Request) -> Response:
            return self.list_response(request, res)

        return handler

    def _get_handler(self, res: Resource) -> Handler:
        async def handler(request: Request) -> Response:
            pk = request.path_params["pk"]
            sb = self.sandbox
            with sb.lock:
                row = sb.conn.execute(
                    f"SELECT * FROM {res.table} WHERE {res.pk} = ?", (pk,)
                ).fetchone()
            if row is None:
                raise ApiError(404, res.not_found)
            out = self.serializer(res)(row, sb.clock.now_str() if res.server_dt else None)
            self._soft_faults(request, [out], res, 0, None)
            return od_json(out)

        return handler

    def list_response(self, request: Request, res: Resource) -> Response:
        sb = self.sandbox
        params = query_params(request)
        q = ListQuery()
        for req in res.required:
            if req.lower() not in params:
                raise ApiError(400, f"{req} is required.")
        if res is PATIENT_SELECT:
            if "datetstamp" in params:
                raise ApiError(400, "DateTStamp is not a valid parameter for this method.")
            q.add("PatStatus != 4")
            show = params.get("showarchived")
            if not (show and parse_bool(show[0], show[1])):
                q.add("PatStatus != 3")
        filters = {k.lower(): v for k, v in res.filters.items()}
        for low, (name, raw) in params.items():
            f = filters.get(low)
            if f is not None:
                apply_filter(q, f, name, raw)
        if res.changed is not None and res.changed[0].lower() in params:
            pname, col, kind = res.changed
            raw = params[pname.lower()][1]
            value = parse_dt(pname, raw) if kind == "dt" else parse_date(pname, raw)
            q.add(f"{col} >= ?", value)
        offset = 0
        if "offset" in params:
            offset = parse_int("Offset", params["offset"][1])
            if offset < 0:
                raise ApiError(400, "Offset is invalid.")
        cap = sb.config.page_size
        limit = cap
        if "limit" in params:
            limit = parse_int("Limit", params["limit"][1])
            limit = cap if limit <= 0 else min(limit, cap)
        server_dt = sb.clock.now_str() if res.server_dt and not q.suppress_server_dt else None
        shift = self._shift(request, res, q, offset)
        where = (" WHERE " + " AND ".join(q.where)) if q.where else ""
        sql = f"SELECT * FROM {res.table}{where} ORDER BY {res.pk} LIMIT ? OFFSET ?"
        with sb.lock:
            rows = sb.conn.execute(sql, [*q.args, limit, max(0, offset + shift)]).fetchall()
        out = self.serializer(res).rows(rows, server_dt)
        sb.stats.rows_served += len(out)
        self._soft_faults(request, out, res, offset, q)
        return od_json(out)

    def _shift(self, request: Request, res: Resource, q: ListQuery, offset: int) -> int:
        rules = [r for r in request.scope.get("odsim.faults", []) if r.kind == "shift"]
        if not rules or offset <= 0:
            return 0
        shift = int(sum(r.shift for r in rules))
        if shift > 0:
            # The rows the client now misses were "edited": bump their stamps.
            stamp_col = next((c for c in ("DateTStamp", "SecDateTEdit") if c in res.columns), "")
            if stamp_col:
                where = (" WHERE " + " AND ".join(q.where)) if q.where else ""
                sb = self.sandbox
                with sb.lock:
                    pks = [
                        r[0]
                        for r in sb.conn.execute(
                            f"SELECT {res.pk} FROM {res.table}{where} ORDER BY {res.pk} "
                            "LIMIT ? OFFSET ?",
                            [*q.args, shift, offset],
                        ).fetchall()
                    ]
                    sb.conn.executemany(
                        f"UPDATE {res.table} SET {stamp_col} = ? WHERE {res.pk} = ?",
                        [(sb.clock.now_str(), pk) for pk in pks],
                    )
        return shift

    def _soft_faults(
        self,
        request: Request,
        rows: list[dict[str, Any]],
        res: Resource,
        offset: int,
        q: ListQuery | None,
    ) -> None:
        for rule in request.scope.get("odsim.faults", []):
            if rule.kind == "malformed":
                self.sandbox.faults.corrupt(rows, rule)

    async def short_query(self, request: Request) -> Response:
        if not self.sandbox.config.queries_permission:
            raise ApiError(401, "The developer key lacks the Queries permission.")
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("SqlCommand"), str):
            raise ApiError(400, "SqlCommand is required.")
        params = query_params(request)
        offset = parse_int("Offset", params["offset"][1]) if "offset" in params else 0
        sb = self.sandbox
        try:
            with sb.lock:
                rows = shortquery.run(sb.conn, body["SqlCommand"], max(0, offset))
        except shortquery.NotReadOnly as exc:
            raise ApiError(401, str(exc)) from None
        except shortquery.BadQuery as exc:
            raise ApiError(400, str(exc)) from None
        return od_json(rows)


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "The request body is not valid JSON.") from None


def create_app(sandbox: Sandbox) -> OdsimApp:
    return OdsimApp(sandbox)


__all__ = ["BY_PATH", "ApiError", "FaultRule", "OdsimApp", "create_app", "od_error", "od_json"]
