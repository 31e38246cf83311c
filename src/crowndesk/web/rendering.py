"""Templates, the formatting filters they use, and the page frame every screen shares.

A view asks for `CurrentPage` (or `page_for(Permission.x)`): the signed-in user, the clinics,
the selected clinic, the CSRF token for HTMX writes and the sync health shown in the header.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from crowndesk.auth import service as auth_service
from crowndesk.auth.dependencies import AppSettings, csrf_token
from crowndesk.auth.models import User
from crowndesk.auth.permissions import Permission, allows
from crowndesk.clinics import service as clinic_service
from crowndesk.clinics.models import Clinic
from crowndesk.core.context import Context
from crowndesk.core.errors import AppError, Forbidden
from crowndesk.core.pagination import PageParams
from crowndesk.core.routing import DbSession
from crowndesk.db.types import utcnow
from crowndesk.pms.sync import service as sync_service
from crowndesk.pms.sync.models import RunState
from crowndesk.web.auth import WebContext

HERE = Path(__file__).parent
CLINIC_COOKIE = "crowndesk_clinic"
UTC = ZoneInfo("UTC")

templates = Jinja2Templates(directory=HERE / "templates")
env = templates.env
env.trim_blocks = True
env.lstrip_blocks = True


# --- formatting -----------------------------------------------------------------------------


def money(value: Decimal | int | float | None) -> str:
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def day(value: date | datetime | None, style: str = "short") -> str:
    if value is None:
        return "—"
    if style == "long":
        return f"{value:%A, %B} {value.day}, {value.year}"
    return f"{value:%Y-%m-%d}"


def label(value: object) -> str:
    """`pending_claim` → `Pending claim`."""
    if value is None:
        return "—"
    text = str(getattr(value, "value", value)).replace("_", " ")
    return text[:1].upper() + text[1:]


def ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "never"
    seconds = int(((now or utcnow()) - value).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def query(base: dict[str, Any], **changes: Any) -> str:
    """A query string from the current filters with some changed (None drops a key)."""
    merged = {**base, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value == "":
            continue
        if isinstance(value, list | tuple):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return "?" + urlencode(pairs) if pairs else "?"


@dataclass(frozen=True, slots=True)
class Pager:
    total: int
    limit: int
    offset: int

    @property
    def first(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)

    @property
    def previous(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset > 0 else None

    @property
    def next(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


env.filters.update(money=money, number=number, day=day, label=label, ago=ago)
env.globals.update(qs=query)


# --- the page frame -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    href: str
    permission: Permission | None = None


@dataclass(frozen=True, slots=True)
class NavGroup:
    label: str
    items: tuple[NavItem, ...]
    note: str | None = None


NAV: tuple[NavGroup, ...] = (
    NavGroup(
        "Clinical",
        (
            NavItem("Patients", "/patients"),
            NavItem("Schedule", "/schedule"),
            NavItem("Procedures", "/procedures"),
        ),
    ),
    NavGroup("Billing", (), note="Claims, payments and statements arrive here."),
    NavGroup(
        "Admin",
        (
            NavItem("Sync", "/admin/sync", Permission.sync_run),
            NavItem("Clinics", "/admin/clinics", Permission.clinics_read),
            NavItem("Users", "/admin/users", Permission.users_manage),
            NavItem("Activity log", "/admin/activity", Permission.activity_read),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class SyncHealth:
    """What the header says about the Open Dental mirror."""

    last_synced_at: datetime | None
    level: str  # "ok", "warn", "fail", "none"
    summary: str


@dataclass(slots=True)
class Page:
    request: Request
    ctx: Context
    user: User
    clinics: list[Clinic]
    clinic: Clinic | None
    csrf: str
    sync: SyncHealth
    extra: dict[str, Any] = field(default_factory=dict)

    def can(self, permission: Permission | str) -> bool:
        return allows(self.ctx.roles, Permission(permission))

    @property
    def clinic_id(self) -> uuid.UUID | None:
        return self.clinic.id if self.clinic else None

    @property
    def tz(self) -> ZoneInfo:
        clinic = self.clinic or (self.clinics[0] if self.clinics else None)
        return ZoneInfo(clinic.timezone) if clinic else UTC

    def today(self) -> date:
        return utcnow().astimezone(self.tz).date()

    def time(self, value: datetime | None, style: str = "auto") -> Markup:
        """A UTC moment in the clinic's time zone, inside a <time> element; `auto` leaves
        out today's date."""
        if value is None:
            return Markup("—")
        local = value.astimezone(self.tz)
        short = style == "time" or (style == "auto" and local.date() == self.today())
        text = f"{local:%H:%M}" if short else f"{local:%Y-%m-%d %H:%M}"
        return Markup('<time datetime="{}" title="{}">{}</time>').format(
            value.isoformat(), f"{local:%Y-%m-%d %H:%M:%S %Z}", text
        )

    @property
    def nav(self) -> list[NavGroup]:
        groups = []
        for group in NAV:
            items = tuple(i for i in group.items if i.permission is None or self.can(i.permission))
            if items or group.note:
                groups.append(NavGroup(group.label, items, group.note))
        return groups

    def current(self, href: str) -> bool:
        path = self.request.url.path
        return path == href or path.startswith(href + "/")


async def _sync_health(
    session: DbSession, clinics: list[Clinic], clinic: Clinic | None
) -> SyncHealth:
    if not any(c.od_base_url for c in ([clinic] if clinic else clinics)):
        return SyncHealth(None, "none", "No clinic is connected to Open Dental.")
    statuses = await sync_service.status(session, clinic.id if clinic else None)
    entities = [e for s in statuses for e in s.entities]
    synced = [e.last_synced_at for e in entities if e.last_synced_at is not None]
    failed = [e.entity for e in entities if e.last_run and e.last_run.state is RunState.failed]
    issues = sum(e.open_errors for e in entities)
    last = max(synced) if synced else None
    if failed:
        return SyncHealth(last, "fail", f"Last run failed for {', '.join(sorted(failed)[:3])}.")
    if last is None:
        return SyncHealth(None, "warn", "Not synced yet.")
    if issues or utcnow() - last > timedelta(hours=1):
        note = f"{issues:,} records with errors." if issues else "No sync in the last hour."
        return SyncHealth(last, "warn", note)
    return SyncHealth(last, "ok", "Open Dental mirror is current.")


async def load_page(
    request: Request, session: DbSession, settings: AppSettings, ctx: WebContext
) -> Page:
    user = await auth_service.get_user(session, ctx.user_id)  # type: ignore[arg-type]
    clinics = list((await clinic_service.list_clinics(session, PageParams(limit=200))).items)
    chosen = request.cookies.get(CLINIC_COOKIE, "")
    clinic = next((c for c in clinics if str(c.id) == chosen), None)
    return Page(
        request=request,
        ctx=ctx,
        user=user,
        clinics=clinics,
        clinic=clinic,
        csrf=csrf_token(settings, ctx.session_id),
        sync=await _sync_health(session, clinics, clinic),
    )


CurrentPage = Annotated[Page, Depends(load_page)]


def page_for(permission: Permission) -> Any:
    """A dependency: the page frame, or 403 unless the user's role allows `permission`."""

    async def check(page: CurrentPage) -> Page:
        if not page.can(permission):
            refused = Forbidden("Your role does not give access to this page.")
            if is_partial(page.request):
                raise refused
            raise PageError(
                refused,
                render(page, page.request, "forbidden.html", detail=refused.detail),
            )
        return page

    return Depends(check)


def is_partial(request: Request) -> bool:
    """An HTMX request that wants a fragment (not a history restore nor a boosted link)."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-history-restore-request") != "true"
        and headers.get("hx-boosted") != "true"
    )


def render(
    page: Page | None,
    request: Request,
    name: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, name, {"page": page, **context}, status_code=status_code, headers=headers
    )
    response.headers["Vary"] = "HX-Request"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


class PageError(AppError):
    """An error a view answers with a page of its own (e.g. the sign-in form with a message).

    The page is rendered before the error is raised: after it, the transaction is rolled back
    and the rows the page shows are expired. It keeps the status and the aftermath of the
    error it wraps, so the transaction boundary treats it exactly like the original.
    """

    def __init__(self, cause: AppError, response: Response) -> None:
        super().__init__(cause.detail, headers=cause.headers, **cause.extra)
        self.status_code = cause.status_code
        self.title = cause.title
        self.aftermath = cause.aftermath
        self.response = response
        response.status_code = cause.status_code
        response.headers.update(cause.headers)
