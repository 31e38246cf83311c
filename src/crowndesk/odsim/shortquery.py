"""``PUT /queries/ShortQuery``: read-only SQL against the practice tables, 100 rows a page."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from crowndesk.odsim.schema import money_columns

PAGE = 100
_ALLOWED = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_MONEY = money_columns()
_DUPLICATE = re.compile(r":\d+$")


class NotReadOnly(Exception):
    pass


class BadQuery(Exception):
    pass


def _authorizer(
    action: int, a1: str | None, a2: str | None, db: str | None, trigger: str | None
) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY


def _split(sql: str) -> list[str]:
    """Statements separated by semicolons outside quotes."""
    out, cur, quote = [], [], ""
    for ch in sql:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
            cur.append(ch)
        elif ch == ";":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [s.strip() for s in out if s.strip()]


def _raw(name: str, v: Any) -> Any:
    # MySQL rows as Open Dental's DataTable serialises them: dates as "...T00:00:00",
    # money columns as numbers, enums as their stored numbers.
    if isinstance(v, str):
        if _DATETIME.match(v):
            return v.replace(" ", "T")
        if _DATE.match(v):
            return v + "T00:00:00"
        if name in _MONEY:
            try:
                return float(v)
            except ValueError:
                return v
    return v


def _page(conn: sqlite3.Connection, statement: str, offset: int) -> sqlite3.Cursor:
    """The page, cut by SQLite itself (skipping rows in Python cost more than the page)."""
    try:
        return conn.execute(
            f"SELECT * FROM ({statement}) LIMIT {PAGE} OFFSET ?",  # noqa: S608 - authorizer
            (offset,),
        )
    except sqlite3.DatabaseError:
        # Not a query that nests (`WITH .. DELETE`, say): its own error says why.
        conn.execute(statement)
        raise


def run(conn: sqlite3.Connection, sql: str, offset: int) -> list[dict[str, Any]]:
    statements = _split(_COMMENTS.sub(" ", sql or ""))
    if not statements:
        raise BadQuery("SqlCommand is required.")
    for stmt in statements:
        head = stmt.lstrip("(").split(None, 1)[0].upper() if stmt.lstrip("(") else ""
        if head not in ("SELECT", "WITH"):
            raise NotReadOnly("Only read-only queries are allowed.")
    if len(statements) > 1:
        raise BadQuery("Only one statement per query is supported.")
    conn.set_authorizer(_authorizer)
    try:
        cur = _page(conn, statements[0], offset)
        # A column named twice comes back from the subquery as "name:1": keep the name.
        names = [_DUPLICATE.sub("", d[0]) for d in cur.description or []]
        rows = cur.fetchall()
    except sqlite3.DatabaseError as exc:
        if "not authorized" in str(exc):
            raise NotReadOnly("Only read-only queries are allowed.") from exc
        raise BadQuery(f"Error in query: {exc}") from exc
    finally:
        conn.set_authorizer(None)
    return [{n: _raw(n, v) for n, v in zip(names, row, strict=True)} for row in rows]
