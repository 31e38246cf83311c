"""The page serializer against a plain field-by-field reading of the resource specs.

The serializer converts a page column by column and remembers repeated values; these tests
hold it to what each field kind means, value by value, including values that are equal across
types (``1``, ``1.0``, ``True``) and would share a memo entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from crowndesk.odsim.app import OdsimApp
from crowndesk.odsim.resources import (
    ENUMS,
    PATIENT_SELECT,
    RESOURCES,
    Lookups,
    Resource,
    compile_serializer,
    money_2dp,
    money_general,
)
from crowndesk.odsim.server import SandboxServer


def reference_value(kind: str, v: Any, lookups: Lookups) -> Any:
    """What one stored value is sent as, straight from the field kinds' definitions."""
    if kind in ("i", "s", "r"):
        return v
    if kind in ("b", "l.nonempty", "l.nonzero"):
        return "true" if v else "false"
    if kind == "n":
        return float(v)
    if kind == "$":
        return money_2dp(v)
    if kind == "g":
        return money_general(v)
    if kind == "l.rgb":
        n = int(v)
        return f"{(n >> 16) & 255},{(n >> 8) & 255},{n & 255}"
    if kind in ("l.clinicabbr", "l.sitedesc"):
        return ""
    if kind.startswith("e."):
        return ENUMS[kind[2:]][v]
    assert kind.startswith("l."), kind
    return lookups.get(kind[2:], {}).get(v, "")


def reference_row(
    res: Resource, row: tuple[Any, ...], server_dt: str | None, lookups: Lookups
) -> dict[str, Any]:
    index = {c: i for i, c in enumerate(res.columns)}
    out: dict[str, Any] = {}
    for name, column, kind in res.fields:
        if kind == "sdt":
            if server_dt is not None:
                out[name] = server_dt
        else:
            out[name] = reference_value(kind, row[index[column]], lookups)
    return out


def outcome(convert: Callable[..., Any], *args: Any) -> bytes | str:
    """The JSON sent, or the name of the error raised (both sides must fail alike)."""
    try:
        return orjson.dumps(convert(*args))
    except Exception as exc:
        return type(exc).__name__


@pytest.mark.parametrize("res", [*RESOURCES, PATIENT_SELECT], ids=lambda r: r.path)
def test_pages_match_the_reference(server: SandboxServer, res: Resource) -> None:
    sb = server.sandbox
    lookups = sb.lookups()
    with sb.lock:
        rows = sb.conn.execute(f"SELECT * FROM {res.table} ORDER BY {res.pk}").fetchall()
    assert rows, res.table
    ser = compile_serializer(res, lookups)
    for server_dt in ("2025-06-02 08:00:00", "", None):
        expected = [reference_row(res, r, server_dt, lookups) for r in rows]
        assert orjson.dumps(ser.rows(rows, server_dt)) == orjson.dumps(expected)
        assert orjson.dumps(ser(rows[0], server_dt)) == orjson.dumps(expected[0])
    assert ser.rows([], None) == []


TRICKY = [
    0,
    1,
    2,
    -1,
    0.0,
    -0.0,
    1.0,
    2.5,
    True,
    False,
    "0",
    "1",
    "",
    "1.5",
    "130.00",
    "-0.00",
    "0.125",
    "007.50",
    "1e3",
    "abc",
    2**60,
    float(2**60),
    16777215,
    None,
]
KINDS = [
    "i",
    "s",
    "r",
    "b",
    "n",
    "$",
    "g",
    "l.rgb",
    "l.nonempty",
    "l.nonzero",
    "l.clinicabbr",
    "l.sitedesc",
    "e.aptstatus",
    "l.defname",
    "l.nosuchlookup",
]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_matches_the_reference_value_by_value(kind: str) -> None:
    lookups: Lookups = {"defname": {1: "Confirmed", 2: "Not Called"}}
    res = Resource("x", "definition", f"DefNum ItemName:{kind}")

    def row(v: Any) -> tuple[Any, ...]:
        return (1, 0, 0, v, "", 0, 0)

    def sent(v: Any) -> Any:
        return ser(row(v), None)["ItemName"]

    ser = compile_serializer(res, lookups)
    for _ in range(2):  # the second round answers from the memos
        for v in TRICKY:
            assert outcome(sent, v) == outcome(reference_value, kind, v, lookups), (kind, v)
    page = [row(v) for v in TRICKY * 2]
    expected = outcome(lambda: [reference_row(res, r, None, lookups) for r in page])
    assert outcome(ser.rows, page, None) == expected


def test_serializers_are_compiled_once_per_set_of_lookups(server: SandboxServer) -> None:
    app = server.app
    assert isinstance(app, OdsimApp)
    res = RESOURCES[0]
    first = app.serializer(res)
    assert app.serializer(res) is first
    server.sandbox.invalidate_lookups()
    assert app.serializer(res) is not first
