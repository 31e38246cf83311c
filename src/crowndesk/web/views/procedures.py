"""Completed procedures: statistics, the unbilled alert, filters, the table with its detail
dialog, and bulk billing-status moves (all through `crowndesk.procedures.service`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response

from crowndesk.auth import service as auth_service
from crowndesk.auth.permissions import Permission
from crowndesk.core.errors import BadRequest, Conflict, NotFound
from crowndesk.core.routing import DbSession, TransactionalRoute
from crowndesk.procedures import service as procedure_service
from crowndesk.procedures.models import BillingStatus
from crowndesk.procedures.schemas import CompletedSort
from crowndesk.procedures.service import BillingMove, CompletedFilters
from crowndesk.web.forms import Problems, parse_date, parse_offset
from crowndesk.web.rendering import Page, PageError, Pager, is_partial, page_for, render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

Reader = Annotated[Page, page_for(Permission.records_read)]
Biller = Annotated[Page, page_for(Permission.billing_write)]

PER_PAGE = (25, 50, 100, 200)
SORTS = {s.value: s for s in CompletedSort}
# The moves offered as buttons, in the order of the billing flow, with their wording.
MOVES: tuple[tuple[BillingMove, str], ...] = (
    (BillingMove.claim_pending, "Mark claim pending"),
    (BillingMove.claimed, "Mark claimed"),
    (BillingMove.paid, "Mark paid"),
    (BillingMove.denied, "Mark denied"),
    (BillingMove.write_off, "Write off"),
    (BillingMove.unbilled, "Back to unbilled"),
)
NEEDS_REASON = frozenset({BillingMove.denied, BillingMove.write_off})


@dataclass(frozen=True, slots=True)
class Query_:
    """The list's state as the user set it, read leniently from the query or the form."""

    billing_status: str = ""
    date_from: str = ""
    date_to: str = ""
    q: str = ""
    sort: str = CompletedSort.proc_date_desc.value
    per_page: int = 50
    offset: int = 0

    def params(self) -> dict[str, Any]:
        return {
            "billing_status": self.billing_status,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "q": self.q,
            "sort": None if self.sort == CompletedSort.proc_date_desc.value else self.sort,
            "per_page": None if self.per_page == 50 else self.per_page,
            "offset": self.offset or None,
        }


def _query(
    billing_status: str, date_from: str, date_to: str, q: str, sort: str, per_page: str, offset: str
) -> Query_:
    try:
        size = int(per_page or 50)
    except ValueError:
        size = 50
    return Query_(
        billing_status=billing_status if billing_status in BillingStatus.__members__ else "",
        date_from=date_from.strip(),
        date_to=date_to.strip(),
        q=q.strip(),
        sort=sort if sort in SORTS else CompletedSort.proc_date_desc.value,
        per_page=size if size in PER_PAGE else 50,
        offset=parse_offset(offset),
    )


async def _results(
    request: Request, session: DbSession, page: Page, query: Query_
) -> dict[str, Any]:
    problems = Problems()
    start: date | None = parse_date(query.date_from, "From", problems)
    end: date | None = parse_date(query.date_to, "To", problems)
    if start and end and start > end:
        problems.add("From is after To.")
    if problems:
        start = end = None
    filters = CompletedFilters(
        billing_statuses=(BillingStatus(query.billing_status),) if query.billing_status else (),
        date_from=start,
        date_to=end,
        clinic_id=page.clinic_id,
        search=query.q or None,
    )
    listing = await procedure_service.list_completed(
        session, filters, sort=SORTS[query.sort], limit=query.per_page, offset=query.offset
    )
    stats = await procedure_service.completed_stats(
        session, clinic_id=page.clinic_id, date_from=start, date_to=end
    )
    return {
        "f": query,
        "params": query.params(),
        "rows": listing.items,
        "paging": Pager(listing.total, listing.limit, listing.offset),
        "stats": stats,
        "problems": problems,
        "statuses": list(BillingStatus),
        "sorts": SORTS,
        "per_page_options": PER_PAGE,
        "moves": MOVES if page.can(Permission.billing_write) else (),
    }


@router.get("/procedures")
async def show_procedures(
    request: Request,
    session: DbSession,
    page: Reader,
    billing_status: Annotated[str, Query(max_length=20)] = "",
    date_from: Annotated[str, Query(max_length=20)] = "",
    date_to: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    per_page: Annotated[str, Query(max_length=5)] = "",
    offset: Annotated[str, Query(max_length=12)] = "",
    select: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    query = _query(billing_status, date_from, date_to, q, sort, per_page, offset)
    context = await _results(request, session, page, query)
    context["preselect"] = select if select in BillingStatus.__members__ else ""
    if is_partial(request) and request.headers.get("hx-target") == "procedure-results":
        return render(page, request, "procedures/_results.html", **context)
    return render(page, request, "procedures/list.html", **context)


@router.post("/procedures/billing-status")
async def change_billing_status(
    request: Request,
    session: DbSession,
    page: Biller,
    ids: Annotated[list[uuid.UUID] | None, Form(max_length=1000)] = None,
    move: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
    billing_status: Annotated[str, Form(max_length=20)] = "",
    date_from: Annotated[str, Form(max_length=20)] = "",
    date_to: Annotated[str, Form(max_length=20)] = "",
    q: Annotated[str, Form(max_length=200)] = "",
    sort: Annotated[str, Form(max_length=20)] = "",
    per_page: Annotated[str, Form(max_length=5)] = "",
    offset: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """The bulk buttons: one all-or-nothing move of the selected procedures."""
    try:
        chosen = BillingMove(move)
    except ValueError:
        raise BadRequest("Choose what to do with the selected procedures.") from None
    if not ids:
        raise BadRequest("Select at least one procedure first.")
    wording = dict(MOVES)[chosen]
    if chosen in NEEDS_REASON and not reason.strip():
        raise BadRequest(f"{wording}: give a reason (the payer's, or why it is written off).")
    # Until the claims module drafts claims, a batch marked claim-pending becomes one new
    # draft claim: the procedures keep its id, and the claim is built from them later.
    claim_id = uuid.uuid4() if chosen is BillingMove.claim_pending else None
    try:
        moved = await procedure_service.change_billing_status(
            session, page.ctx, chosen, ids, claim_id=claim_id, reason=reason.strip() or None
        )
    except Conflict as exc:
        raise PageError(exc, await _refusal(request, session, page, exc, chosen, len(ids))) from exc
    query = _query(billing_status, date_from, date_to, q, sort, per_page, offset)
    context = await _results(request, session, page, query)
    count = len(moved)
    flash = (
        f"{count} procedure{'s' if count != 1 else ''} moved to “{_status_label(chosen.target)}”."
    )
    return render(page, request, "procedures/_results.html", flash=flash, **context)


def _status_label(status: BillingStatus) -> str:
    return status.value.replace("_", " ").capitalize()


async def _refusal(
    request: Request,
    session: DbSession,
    page: Page,
    exc: Conflict,
    move: BillingMove,
    selected: int,
) -> Response:
    """The 409 of an illegal move, in words: which procedures, and why."""
    refused: list[dict[str, Any]] = list(exc.extra.get("refused", []))
    lines = []
    for item in refused[:5]:
        try:
            row = await procedure_service.get_completed(session, uuid.UUID(item["procedureId"]))
        except (ValueError, KeyError, NotFound):
            continue
        lines.append(
            f"{row.cdt_code or 'Procedure'} for {row.patient_name} on "
            f"{row.proc_date.isoformat() if row.proc_date else 'no date'}: {item['reason']}"
        )
    more = len(refused) - len(lines)
    message = (
        f"Nothing was changed: {len(refused)} of the {selected} selected procedure"
        f"{'s' if selected != 1 else ''} cannot be moved to “{_status_label(move.target)}”."
    )
    return render(
        page,
        request,
        "_flash.html",
        headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        level="error",
        message=message,
        details=lines,
        more=more if more > 0 else 0,
    )


@router.get("/procedures/{procedure_id}")
async def show_procedure(
    procedure_id: uuid.UUID, request: Request, session: DbSession, page: Reader
) -> Response:
    procedure = await procedure_service.get_completed(session, procedure_id)
    history = await procedure_service.billing_history(session, procedure_id)
    names = {u.id: u.full_name for u in await auth_service.list_users(session)}
    context: dict[str, Any] = {"p": procedure, "history": history, "names": names}
    if is_partial(request):
        return render(page, request, "procedures/_detail.html", **context)
    return render(page, request, "procedures/detail.html", **context)
