"""Open Dental API sandbox: a faithful emulator of the Open Dental API Service.

``crowndesk.odsim`` generates a deterministic synthetic practice into SQLite tables named and
shaped like Open Dental's own, serves it under ``/api/v1`` exactly as documented in
``reference/opendental-api.md``, moves a simulated office clock, and injects faults.
It shares no code with CrownDesk's Open Dental client (``crowndesk.pms``).

Modules: ``schema`` (tables), ``cdt`` (codes), ``generator`` (the practice), ``resources``
(wire shapes), ``app`` (ASGI: API + ``/_sandbox`` control), ``writes``, ``shortquery``,
``faults``, ``clock``, ``simulator`` (``advance``), ``sandbox`` (state, throttle),
``server`` (in-process helper), ``cli`` (``crowndesk odsim ...``).

Choices made where the reference leaves a gap (reference section 5 and elsewhere):

- Errors: the body is a short message as a JSON string (``"Patient not found."``) with
  ``Content-Type: application/json``, as ASP.NET's ``BadRequest("...")`` produces.
- Throttle (remote mode only, per customer key): a request that starts sooner than the tier
  interval after the previous *admitted* request of that key, or while another of its
  requests is still running, is refused with **429** and ``Retry-After``. Refusals do not
  restart the window. ``Retry-After`` is whole seconds (RFC 9110) when the wait is one second
  or more, and decimal seconds (``"0.05"``) when a scaled-down interval makes it shorter.
- Order of checks: auth (401), throttle (429), ``Content-Type: application/json`` required on
  every request, GETs included (400), faults, then the method.
- Lists come back in primary-key order. ``Limit`` below the page size is honoured; above it is
  clamped; 0 or negative means the page size. Page size: remote 100 (enterprise 1000); local
  and service 1000 (enterprise 10,000).
- Changed-since parameters all compare with ``>=`` (the wording "after" vs "on or after" is
  loose; inclusive is the safe reading and what overlap-and-dedupe clients expect).
  Timestamps have one-second resolution, from the same clock as ``serverDateTime``.
- ``serverDateTime`` is the office clock at the start of the request, the same value in
  every row of a page; single GETs of those resources carry it too; POST/PUT responses carry
  ``""``; providers filtered by ``ClinicNum`` omit it.
- ``/patients/Simple`` returns deleted patients with ``PatStatus`` ``"Deleted"``;
  ``/patients`` (Patient Select) never shows them and hides ``Archived`` unless
  ``showArchived=true``; ``DateTStamp`` on ``/patients`` is a 400.
- Query parameter names are matched case-insensitively; unknown parameters are ignored.
  Paths are matched case-insensitively too.
- ``/histappointments`` ``date``/``dateStart``/``dateEnd`` filter ``HistDateTStamp``.
- ShortQuery: one read-only statement (``SELECT``/``WITH``), enforced by an SQLite
  authorizer; anything else is 401 "Only read-only queries are allowed." (several SELECTs in
  one command are a 400; temp tables are not supported). Rows are raw: enums as numbers, dates
  as ``yyyy-MM-ddTHH:mm:ss``, money columns as numbers; 100 rows per page with ``Offset``.
  ``queries_permission=False`` (``serve --no-queries``) plays an office that did not grant the
  Queries permission: every ShortQuery is 401 "The developer key lacks the Queries permission."
- Clinics are off: every ``ClinicNum`` is 0 and ``clinicAbbr`` is ``""``.
- Money: stored as decimal text, computed with ``Decimal``; serialised as a JSON number
  where the reference says number and as a string where it says string (``ProcFee`` with two
  decimals, ``PayAmt``/``CheckAmt`` in shortest form like ``"339"``).
- Deletions as the reference describes: procedures soft-deleted (``ProcStatus`` ``D``),
  appointments removed with a ``deletedobject`` and a ``histappointment`` (``Deleted``) row,
  refattaches hard-deleted; there is no ``/deletedobjects`` endpoint.
- ``histappointment`` rows are written for creations through the API or the simulator, for
  breaks, cancellations and deletions, not for every historical appointment.
- ``DateFormatString``/``DateTimeFormatString`` are not implemented (ignored).
- Generated insurance plans are category percentage (``""``) and PPO (``"p"``); the
  ``PlanType`` filter accepts every documented value.
- The clock starts at 2025-06-02 08:00:00 unless configured, and by default ticks in real
  time on top of what ``advance`` adds (``ticking=False`` freezes it for tests).
"""

from crowndesk.odsim.sandbox import Sandbox, SandboxConfig
from crowndesk.odsim.server import SandboxServer

__all__ = ["Sandbox", "SandboxConfig", "SandboxServer"]
