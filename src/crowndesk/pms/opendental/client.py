"""HTTP client for the Open Dental API (reference §1): auth header, offset paging, retries
and per-customer-key pacing.

The client moves JSON; it does not validate records (that is the sync engine's job). Errors
carry the status code, the path template (numbers replaced by ``{id}``) and Open Dental's short
message, never keys, query values or bodies.

Retried, up to ``max_attempts`` in all: 429 (waiting ``Retry-After``), 500/502/503/504, the 400
that says the office's eConnector cannot be reached, timeouts, dropped or refused connections
and undecodable bodies. When the attempts run out the last failure is raised as
`OpenDentalUnavailable`, or `OpenDentalBadResponse` if the body was the problem.

Pacing: the remote API throttles per customer key (§1.7), so every client in the process that
uses one key takes start slots from one shared schedule, whatever its event loop or thread.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import random
import re
import ssl
import threading
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import certifi
import httpx
import orjson
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from crowndesk import __version__
from crowndesk.core.logging import get_logger

log = get_logger(__name__)

Params = Mapping[str, str | int]
Rows = list[dict[str, Any]]

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Open Dental answers 400 both for bad requests and when it cannot reach the office
# (reference §3.10); only the text tells them apart.
_OFFICE_UNREACHABLE = re.compile(
    r"econnector|not responding|unreachable|could not (?:be )?reach|try again later", re.I
)
_NUMBER_SEGMENT = re.compile(r"(?<=/)\d+(?=/|$)")
_MESSAGE_MAX = 200
# Open Dental times the interval from when it receives a request, so starts are spaced a little
# wider than the bare interval (5%, at least 30 ms) to keep network jitter from causing 429s.
_PACE_MARGIN = 0.05
_PACE_MARGIN_MIN = 0.03


# ----------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    base_url: str  # e.g. "http://127.0.0.1:30223/api/v1"; a trailing slash is optional
    developer_key: str = field(repr=False)
    customer_key: str = field(repr=False)
    page_size: int = 100  # rows per list page: remote 100, local/service 1000
    request_interval: float | None = None  # seconds between request starts per customer key
    timeout: float = 30.0
    max_attempts: int = 6
    backoff_initial: float = 0.5
    backoff_max: float = 30.0


@dataclass(frozen=True, slots=True)
class Probe:
    ok: bool
    reachable: bool
    authenticated: bool
    message: str
    server_date_time: str | None


class OpenDentalError(Exception):
    """Base class; ``str()`` is a short message without keys or patient data."""


class OpenDentalUnavailable(OpenDentalError):
    """Open Dental could not be reached or kept failing; ``status_code`` is None when no HTTP
    answer came at all."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class OpenDentalAuthError(OpenDentalError):
    """401: the developer or customer key is wrong, unassigned or disabled."""


class QueriesNotPermitted(OpenDentalError):
    """401 on ``/queries``: the office has not granted the Queries permission."""


class OpenDentalRequestError(OpenDentalError):
    """A 4xx (other than 401 and the office-unreachable 400) or an unexpected status."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class OpenDentalBadResponse(OpenDentalError):
    """The body was not JSON, or not the shape asked for."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


# ----------------------------------------------------------------------------- pacing


class _Pacer:
    """Start slots for one customer key, shared by every client and event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_start = float("-inf")
        self._not_before = float("-inf")

    def reserve(self, interval: float) -> float:
        """Take the next slot; returns how long to wait for it."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._last_start + interval, self._not_before)
            self._last_start = start
            return start - now

    def started(self) -> None:
        # A late start moves the schedule: Open Dental measures from when it sees the request.
        with self._lock:
            self._last_start = max(self._last_start, time.monotonic())

    def defer(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)


_pacers: dict[str, _Pacer] = {}
_pacers_lock = threading.Lock()


def _pacer_for(customer_key: str) -> _Pacer:
    # Keyed by a digest so the registry holds no key material.
    ident = hashlib.sha256(customer_key.encode()).hexdigest()
    with _pacers_lock:
        pacer = _pacers.get(ident)
        if pacer is None:
            pacer = _pacers[ident] = _Pacer()
        return pacer


# ----------------------------------------------------------------------------- internals


class _Retry(Exception):
    """A transient failure: the error to raise if it is the last one, and a server-given wait."""

    def __init__(self, error: OpenDentalError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def _path_template(path: str) -> str:
    """``/patients/421`` -> ``/patients/{id}``: safe to log and to put in errors."""
    bare = "/" + path.split("?", 1)[0].strip("/")
    return _NUMBER_SEGMENT.sub("{id}", bare)


def _od_message(response: httpx.Response) -> str:
    """Open Dental's short error text (a JSON string, or plain text), trimmed."""
    raw = response.content
    text: str
    try:
        decoded = orjson.loads(raw)
        text = decoded if isinstance(decoded, str) else ""
        if isinstance(decoded, dict):
            inner = decoded.get("message") or decoded.get("Message")
            text = inner if isinstance(inner, str) else ""
    except orjson.JSONDecodeError:
        text = raw.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:_MESSAGE_MAX]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds)


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connecting timed out"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out waiting for the answer"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "the connection was dropped"
    return f"transport error ({type(exc).__name__})"


class _RedactQuery(logging.Filter):
    """httpx logs every request URL at INFO; drop the query string (it can name patients)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 2:
            url = record.args[1]
            if isinstance(url, httpx.URL) and url.query:
                record.args = (record.args[0], url.copy_with(query=None), *record.args[2:])
        return True


def _install_redaction() -> None:
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactQuery) for f in httpx_log.filters):
        httpx_log.addFilter(_RedactQuery())


_install_redaction()


# ----------------------------------------------------------------------------- the client


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client: building one (loading the CA bundle)
    costs ~25 ms, which a sync paid once per entity."""
    return ssl.create_default_context(cafile=certifi.where())


class OpenDentalClient:
    """One office's Open Dental API. Use as ``async with OpenDentalClient(settings) as od:``."""

    def __init__(
        self, settings: ConnectionSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        if settings.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if settings.page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.settings = settings
        self.requests = 0
        self.retries = 0
        interval = settings.request_interval
        self._interval = (
            interval + max(interval * _PACE_MARGIN, _PACE_MARGIN_MIN)
            if interval and interval > 0
            else None
        )
        self._pacer = _pacer_for(settings.customer_key) if self._interval else None
        self._http = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/") + "/",
            headers={
                "Authorization": f"ODFHIR {settings.developer_key}/{settings.customer_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"crowndesk/{__version__}",
            },
            timeout=settings.timeout,
            transport=transport,
            verify=_tls_context(),
        )

    async def __aenter__(self) -> OpenDentalClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------------- reads

    async def get(self, path: str, params: Params | None = None) -> Any:
        """GET one resource or one page; the decoded JSON."""
        return await self._request("GET", path, params)

    async def pages(
        self, path: str, params: Params | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[Rows]:
        """Every page of a list, by ``Offset``/``Limit``, until a page comes back short.

        An empty first page is still yielded. A server that caps pages below ``page_size``
        looks like the end of the list, so ``page_size`` must not exceed the server's page size
        (100 remote, 1000 local/service, more with Enterprise).
        """
        size = page_size or self.settings.page_size
        base = {k: v for k, v in (params or {}).items() if k.lower() not in ("offset", "limit")}
        offset = 0
        while True:
            page = await self._request(
                "GET", path, {**base, "Offset": offset, "Limit": size}, rows=True
            )
            yield page
            if len(page) < size:
                return
            offset += len(page)

    async def short_query(self, sql: str, *, page_size: int = 100) -> AsyncIterator[Rows]:
        """Pages of a read-only SQL query via ``PUT /queries/ShortQuery`` (reference §1.13).

        Raises QueriesNotPermitted when the office has not granted the Queries permission.
        """
        body = orjson.dumps({"SqlCommand": sql})
        offset = 0
        while True:
            page = await self._request(
                "PUT", "/queries/ShortQuery", {"Offset": offset}, body=body, rows=True
            )
            yield page
            if len(page) < page_size:
                return
            offset += len(page)

    async def probe(self) -> Probe:
        """One cheap call for "test connection": are we reaching Open Dental, with good keys?"""
        try:
            rows = await self._request("GET", "/providers", {"Limit": 1}, rows=True, attempts=1)
        except OpenDentalAuthError as exc:
            return Probe(False, True, False, str(exc), None)
        except (OpenDentalUnavailable, OpenDentalBadResponse) as exc:
            reachable = exc.status_code is not None
            return Probe(False, reachable, False, str(exc), None)
        except OpenDentalError as exc:
            return Probe(False, True, False, str(exc), None)
        stamp = rows[0].get("serverDateTime") if rows else None
        return Probe(
            True,
            True,
            True,
            "Connected to Open Dental.",
            stamp if isinstance(stamp, str) and stamp else None,
        )

    # ------------------------------------------------------------------------- plumbing

    async def _request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        body: bytes | None = None,
        rows: bool = False,
        attempts: int | None = None,
    ) -> Any:
        template = _path_template(path)
        url = path.lstrip("/")
        limit = attempts or self.settings.max_attempts
        retrying = AsyncRetrying(
            stop=stop_after_attempt(limit),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            before_sleep=self._before_sleep(method, template),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, url, template, params, body, rows)
        except _Retry as exc:
            error = exc.error
            suffix = f" (gave up after {limit} attempts)" if limit > 1 else ""
            error.args = (f"{error}{suffix}",)
            raise error from None
        raise AssertionError("unreachable")  # pragma: no cover - tenacity returns or raises

    async def _once(
        self,
        method: str,
        url: str,
        template: str,
        params: Params | None,
        body: bytes | None,
        rows: bool,
    ) -> Any:
        where = f"{method} {template}"
        await self._pace()
        self.requests += 1
        extensions = {"trace": self._trace} if self._pacer is not None else None
        try:
            response = await self._http.request(
                method, url, params=params, content=body, extensions=extensions
            )
        except httpx.UnsupportedProtocol:
            raise OpenDentalUnavailable(f"{where}: the base URL is not http(s).") from None
        except httpx.TransportError as exc:
            raise _Retry(OpenDentalUnavailable(f"{where}: {_transport_reason(exc)}.")) from None
        status = response.status_code
        if 200 <= status < 300:
            return self._decode(response, where, rows)
        message = _od_message(response)
        said = f"{where} answered {status}" + (f": {message}" if message else ".")
        if status in _RETRY_STATUSES:
            wait = _retry_after(response) if status == 429 else None
            if wait is not None and self._pacer is not None:
                self._pacer.defer(wait)
            raise _Retry(OpenDentalUnavailable(said, status), wait)
        if status == 400 and _OFFICE_UNREACHABLE.search(message):
            raise _Retry(OpenDentalUnavailable(said, status))
        if status == 401:
            if template.lower().startswith("/queries"):
                if "read-only" in message.lower():
                    raise OpenDentalRequestError(said, status)
                raise QueriesNotPermitted(said)
            raise OpenDentalAuthError(said)
        raise OpenDentalRequestError(said, status)

    def _decode(self, response: httpx.Response, where: str, rows: bool) -> Any:
        status = response.status_code
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise _Retry(
                OpenDentalBadResponse(f"{where}: the answer is not JSON.", status)
            ) from None
        if rows and not (isinstance(data, list) and all(isinstance(r, dict) for r in data)):
            raise _Retry(
                OpenDentalBadResponse(f"{where}: the answer is not a list of records.", status)
            )
        return data

    async def _pace(self) -> None:
        if self._pacer is None or self._interval is None:
            return
        delay = self._pacer.reserve(self._interval)
        if delay > 0:
            await asyncio.sleep(delay)
        self._pacer.started()

    async def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        # The request really starts once the connection is up; a new connection (TLS to
        # Open Dental's servers) can take longer than the pacing margin.
        if self._pacer is not None and event.endswith("send_request_headers.started"):
            self._pacer.started()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _Retry) and exc.retry_after is not None:
            return min(exc.retry_after, self.settings.backoff_max)
        # Exponential with jitter: initial, 2x, 4x ... plus up to `initial` at random.
        s = self.settings
        step = float(s.backoff_initial) * 2 ** min(state.attempt_number - 1, 30)
        return float(min(s.backoff_max, step + random.uniform(0, s.backoff_initial)))

    def _before_sleep(self, method: str, template: str) -> Any:
        def hook(state: RetryCallState) -> None:
            self.retries += 1
            exc = state.outcome.exception() if state.outcome is not None else None
            status = getattr(getattr(exc, "error", None), "status_code", None)
            log.warning(
                "opendental.retry",
                method=method,
                path=template,
                status=status,
                attempt=state.attempt_number,
                wait=round(state.upcoming_sleep, 3),
            )

        return hook
