"""How one Open Dental resource becomes one of our tables: the entity spec.

A spec says where the rows come from, how each field is read (`Field`), which keys point at
rows of other entities (`Ref`), and the ways the resource can be kept current. The engine
(`crowndesk.pms.sync.engine`) picks the cheapest way the office allows on each run.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from crowndesk.pms.opendental.formats import Reader

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from crowndesk.db.base import Base


@dataclass(frozen=True, slots=True)
class Field:
    """Our column `column` is read from Open Dental's field `source` with `read`."""

    column: str
    source: str
    read: Reader
    # Fields newer Open Dental versions added may be absent; any other missing field is an error.
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Ref:
    """Our foreign key `column` names the row of `entity` whose Open Dental key is in `source`.

    0 means none (an error when `required`). A key not mirrored yet parks the record in
    `sync_pending` until the parent arrives — unless `park` is false, where the link is left
    empty (for links Open Dental itself lets dangle, like a procedure's deleted appointment).
    """

    column: str
    source: str
    entity: str
    required: bool = False
    park: bool = True


@dataclass(frozen=True, slots=True)
class ChangedSince:
    """The list endpoint filters on `param` (on or after). With `server_time` the rows carry
    `serverDateTime` and the cursor is the first page's; otherwise it is the largest stamp
    seen minus `overlap`."""

    param: str
    server_time: bool = False
    overlap: timedelta = timedelta(minutes=5)
    date_only: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """`/queries/ShortQuery` on `table`, filtered on its edit stamp column `stamp` (when the
    office granted the Queries permission)."""

    table: str
    stamp: str | None = None
    overlap: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class PerParent:
    """Read the children of changed parents: `GET endpoint?{param}={parent key}`, or with the
    Queries permission `SELECT * FROM {table} WHERE {column} IN (...)`."""

    param: str
    parent: str
    column: str = ""

    @property
    def query_column(self) -> str:
        return self.column or self.param


@dataclass(frozen=True, slots=True)
class EntitySpec:
    name: str
    model: type[Base]
    key: str  # Open Dental's primary key field
    fields: tuple[Field, ...]
    refs: tuple[Ref, ...] = ()
    endpoint: str | None = None
    # Whether a bare GET of `endpoint` lists every row (adjustments need a PatNum, say).
    listable: bool = True
    params: Mapping[str, str] = field(default_factory=dict)
    changed_since: ChangedSince | None = None
    query: Query | None = None
    per_parent: tuple[PerParent, ...] = ()
    # The row's own edit stamp, kept as `pms_updated_at`.
    stamp: str | None = None
    # Rows Open Dental deletes without a trace are found by key reconciliation.
    hard_deletes: bool = True
    # Soft deletions (a status) that become `pms_deleted_at`.
    deleted: Callable[[Mapping[str, Any]], bool] | None = None
    # Our pms_id, when the Open Dental key alone is not it (rows of two resources in one table).
    pms_id_prefix: str = ""
    # Extra derivations on a mapped row (row, raw payload).
    derive: Callable[[dict[str, Any], Mapping[str, Any]], None] | None = None
    derived: tuple[str, ...] = ()  # the columns `derive` fills in
    # Columns Open Dental never overwrites: set when the row is first written (or still empty).
    local_columns: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    # Work after a successful run that changed something (e.g. families from guarantors):
    # called with the session and the clinic's id.
    after_run: Callable[[AsyncSession, uuid.UUID], Awaitable[None]] | None = None
    # Default cadence of the scheduled run.
    every: timedelta = timedelta(hours=1)

    @property
    def dependencies(self) -> tuple[str, ...]:
        seen = dict.fromkeys(
            [*self.depends_on, *(r.entity for r in self.refs if r.entity != self.name)]
        )
        seen.update(dict.fromkeys(p.parent for p in self.per_parent))
        return tuple(seen)
