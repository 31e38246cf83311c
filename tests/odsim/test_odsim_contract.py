"""Contract tests: every resource against the Open Dental reference."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from crowndesk.odsim.resources import PATIENT_SELECT, RESOURCES, Resource
from crowndesk.odsim.server import SandboxServer

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATE_FIELDS = {
    "Birthdate",
    "DateFirstVisit",
    "AdmitDate",
    "SecDateEntry",
    "ProcDate",
    "DateOriginalProsth",
    "DateEntryC",
    "DateTP",
    "DateEffective",
    "DateTerm",
    "OrthoAutoNextClaimDate",
    "DateService",
    "DateSent",
    "DateReceived",
    "PriorDate",
    "AccidentDate",
    "OrthoDate",
    "DateCP",
    "DateEntry",
    "DateSuppReceived",
    "DateInsFinalized",
    "CheckDate",
    "DateIssued",
    "PayDate",
    "RecurringChargeDate",
    "DatePay",
    "AdjDate",
    "RefDate",
    "DateProcComplete",
}
DATETIME_FIELDS = {
    "DateTStamp",
    "SecDateTEdit",
    "SecDateTEntry",
    "AptDateTime",
    "DateTimeArrived",
    "DateTimeSeated",
    "DateTimeDismissed",
    "DateTimeAskedToArrive",
    "DateTSigned",
    "DateTPracticeSigned",
    "serverDateTime",
    "HistDateTStamp",
    "CommDateTime",
    "DateTEntry",
}
# SecDateEntry is a date on most tables but a date-time on procedurelogs (as documented).
DATETIME_OVERRIDES = {("procedurelogs", "SecDateEntry")}
STRING_MONEY = {("procedurelogs", "ProcFee"), ("payments", "PayAmt"), ("claimpayments", "CheckAmt")}
NUMBER_MONEY = {
    ("claims", "ClaimFee"),
    ("claims", "InsPayAmt"),
    ("claimprocs", "FeeBilled"),
    ("claimprocs", "InsPayAmt"),
    ("adjustments", "AdjAmt"),
    ("paysplits", "SplitAmt"),
    ("patients/Simple", "EstBalance"),
    ("patients/Simple", "BalTotal"),
    ("fees", "Amount"),
}
BOOL_FIELDS = {
    "IsHidden",
    "IsSecondary",
    "IsHygiene",
    "IsNewPatient",
    "TimeLocked",
    "IsPending",
    "ReleaseInfo",
    "AssignBen",
    "IsOrtho",
    "IsNotPerson",
    "NoBillIns",
    "IsProsth",
    "IsRadiology",
    "IsDoctor",
    "NotPerson",
    "isSigned",
}


def first_ids(api: httpx.Client) -> dict[str, int]:
    plan = api.get("/treatplans", params={"TPStatus": "Saved"}).json()[0]["TreatPlanNum"]
    active = api.get("/treatplans", params={"TPStatus": "Active"}).json()[0]["TreatPlanNum"]
    pat = api.get("/adjustments", params={"PatNum": 1})
    assert pat.status_code == 200
    adj_pat = api.put(
        "/queries/ShortQuery", json={"SqlCommand": "SELECT PatNum FROM adjustment LIMIT 1"}
    ).json()
    return {"saved": plan, "active": active, "adj_pat": adj_pat[0]["PatNum"]}


def list_path(res: Resource, ids: dict[str, int]) -> tuple[str, dict[str, Any]]:
    if res.path == "treatplanattaches":
        return "/treatplanattaches", {"TreatPlanNum": ids["active"]}
    if res.path == "proctps":
        return "/proctps", {"TreatPlanNum": ids["saved"]}
    if res.path == "adjustments":
        return "/adjustments", {"PatNum": ids["adj_pat"]}
    return "/" + res.path, {}


def check_formats(path: str, row: dict[str, Any]) -> None:
    for key, value in row.items():
        if (path, key) in DATETIME_OVERRIDES or key in DATETIME_FIELDS:
            assert isinstance(value, str), (path, key, value)
            assert DATETIME.match(value), (path, key, value)
        elif key in DATE_FIELDS:
            assert isinstance(value, str), (path, key, value)
            assert DATE.match(value), (path, key, value)
        if (path, key) in STRING_MONEY:
            assert isinstance(value, str), (key, value)
            assert re.match(r"^-?\d+(\.\d{1,2})?$", value), (key, value)
        if (path, key) in NUMBER_MONEY:
            assert isinstance(value, int | float), (key, value)
        if key in BOOL_FIELDS:
            assert value in ("true", "false"), (path, key, value)
        if (
            key.endswith("Num")
            and key[0].isupper()
            and key not in ("CheckNum", "GroupNum", "ToothNum")
        ):
            assert isinstance(value, int), (path, key, value)


LISTED = [r for r in RESOURCES if r.path != "patients"] + [PATIENT_SELECT]


@pytest.mark.parametrize("res", LISTED, ids=lambda r: r.path)
def test_list_fields_and_formats(api: httpx.Client, res: Resource) -> None:
    ids = first_ids(api)
    path, params = list_path(res, ids)
    r = api.get(path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    rows = r.json()
    assert isinstance(rows, list), path
    assert rows, path
    expected = [name for name, _, kind in res.fields]
    for row in rows:
        assert list(row.keys()) == expected
        check_formats(res.path, row)
    pks = [row[expected[1] if expected[0] == "serverDateTime" else expected[0]] for row in rows]
    assert pks == sorted(pks), "lists come back in primary-key order"


@pytest.mark.parametrize("res", [r for r in RESOURCES if r.single], ids=lambda r: r.path)
def test_get_by_id_and_not_found(api: httpx.Client, res: Resource) -> None:
    rows = api.get("/" + res.path).json()
    pk = res.pk
    one = api.get(f"/{res.path}/{rows[-1][pk]}")
    assert one.status_code == 200
    body = one.json()
    assert body[pk] == rows[-1][pk]
    expected = [n for n, _, k in res.fields]
    if res.path == "patients":
        assert list(body.keys()) == expected
    missing = api.get(f"/{res.path}/987654321")
    assert missing.status_code == 404
    assert isinstance(missing.json(), str)
    assert "not found" in missing.json().lower()


def test_patients_simple_carries_server_datetime_first(
    api: httpx.Client, server: SandboxServer
) -> None:
    rows = api.get("/patients/Simple").json()
    assert list(rows[0].keys())[0] == "serverDateTime"
    assert rows[0]["serverDateTime"] == server.sandbox.clock.now_str()
    procs = api.get("/procedurelogs").json()
    assert list(procs[0].keys())[-1] == "serverDateTime"
    claims = api.get("/claims").json()
    assert "serverDateTime" not in claims[0]


def test_providers_with_clinic_omit_server_datetime(api: httpx.Client) -> None:
    assert "serverDateTime" in api.get("/providers").json()[0]
    assert "serverDateTime" not in api.get("/providers", params={"ClinicNum": 0}).json()[0]


def test_enum_letters_and_names(api: httpx.Client) -> None:
    procs = api.get("/procedurelogs", params={"Limit": 1000}).json()
    assert {p["ProcStatus"] for p in procs} <= {"TP", "C", "EC", "EO", "R", "D", "Cn", "TPi"}
    claims = api.get("/claims").json()
    assert {c["ClaimStatus"] for c in claims} <= set("UHWSRI")
    apts = api.get("/appointments").json()
    assert {a["AptStatus"] for a in apts} <= {
        "Scheduled",
        "Complete",
        "UnschedList",
        "Broken",
        "Planned",
        "PtNote",
        "PtNoteCompleted",
    }
    pats = api.get("/patients/Simple").json()
    assert {p["Gender"] for p in pats} <= {"Male", "Female", "Unknown", "Other"}
    assert {p["PatStatus"] for p in pats} <= {
        "Patient",
        "NonPatient",
        "Inactive",
        "Archived",
        "Deleted",
        "Deceased",
        "Prospective",
    }


def test_page_boundaries_with_offset_and_limit(api: httpx.Client) -> None:
    every = api.get("/procedurelogs", params={"Limit": 1000}).json()
    assert len(every) == 1000
    page1 = api.get("/procedurelogs", params={"Limit": 100}).json()
    page2 = api.get("/procedurelogs", params={"Limit": 100, "Offset": 100}).json()
    assert [p["ProcNum"] for p in page1 + page2] == [p["ProcNum"] for p in every[:200]]
    assert api.get("/procedurelogs", params={"Limit": 5000}).json().__len__() == 1000
    assert api.get("/procedurelogs", params={"Offset": 10**7}).json() == []
    assert api.get("/procedurelogs", params={"Offset": "x"}).status_code == 400


def test_remote_mode_pages_by_100(api: httpx.Client, server: SandboxServer) -> None:
    server.sandbox.config.mode = "remote"
    server.sandbox.config.throttle_scale = 0.0
    assert len(api.get("/procedurelogs").json()) == 100
    assert len(api.get("/procedurelogs", params={"Limit": 500}).json()) == 100
    assert len(api.get("/procedurelogs", params={"Limit": 30}).json()) == 30
    # Walking until a short page visits every row exactly once.
    seen: list[int] = []
    offset = 0
    while True:
        page = api.get("/claims", params={"Offset": offset}).json()
        seen += [c["ClaimNum"] for c in page]
        if len(page) < 100:
            break
        offset += 100
    total = api.put(
        "/queries/ShortQuery", json={"SqlCommand": "SELECT COUNT(*) AS n FROM claim"}
    ).json()[0]["n"]
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize(
    ("path", "param", "column", "table"),
    [
        ("/patients/Simple", "DateTStamp", "DateTStamp", "patient"),
        ("/appointments", "DateTStamp", "DateTStamp", "appointment"),
        ("/procedurelogs", "DateTStamp", "DateTStamp", "procedurelog"),
        ("/providers", "DateTStamp", "DateTStamp", "provider"),
        ("/claims", "SecDateTEdit", "SecDateTEdit", "claim"),
        ("/claimpayments", "SecDateTEdit", "SecDateTEdit", "claimpayment"),
        ("/inssubs", "SecDateTEdit", "SecDateTEdit", "inssub"),
        ("/treatplans", "SecDateTEdit", "SecDateTEdit", "treatplan"),
        ("/refattaches", "DateTStamp", "DateTStamp", "refattach"),
        ("/commlogs", "DateTStamp", "DateTStamp", "commlog"),
        ("/procedurecodes", "DateTStamp", "DateTStamp", "procedurecode"),
    ],
)
def test_changed_since_is_on_or_after(
    api: httpx.Client, path: str, param: str, column: str, table: str
) -> None:
    stamps = sorted(
        r[column]
        for r in api.put(
            "/queries/ShortQuery",
            json={"SqlCommand": f"SELECT {column} FROM {table} ORDER BY {column} DESC LIMIT 20"},
        ).json()
    )
    cut = stamps[len(stamps) // 2].replace("T", " ")
    rows = api.get(path, params={param: cut, "Limit": 1000}).json()
    assert rows
    assert all(r[param] >= cut for r in rows)
    expected = api.put(
        "/queries/ShortQuery",
        json={"SqlCommand": f"SELECT COUNT(*) AS n FROM {table} WHERE {column} >= '{cut}'"},
    ).json()
    assert len(rows) == expected[0]["n"]


def test_payments_date_entry_filter(api: httpx.Client) -> None:
    rows = api.get("/payments", params={"DateEntry": "2025-01-01", "Limit": 1000}).json()
    assert rows
    assert all(r["DateEntry"] >= "2025-01-01" for r in rows)
    assert api.get("/payments", params={"DateEntry": "2025-01-01 00:00:00"}).status_code == 400


def test_bad_changed_since_format_is_400(api: httpx.Client) -> None:
    r = api.get("/appointments", params={"DateTStamp": "2025-01-01T00:00:00"})
    assert r.status_code == 400
    assert "yyyy-MM-dd HH:mm:ss" in r.json()
    assert api.get("/patients", params={"DateTStamp": "2025-01-01 00:00:00"}).status_code == 400


def test_filters(api: httpx.Client) -> None:
    pat = api.get("/patients/Simple", params={"Limit": 1000}).json()[20]
    fam = api.get("/patients/Simple", params={"Guarantor": pat["Guarantor"]}).json()
    assert fam
    assert all(p["Guarantor"] == pat["Guarantor"] for p in fam)
    procs = api.get("/procedurelogs", params={"PatNum": pat["PatNum"]}).json()
    assert all(p["PatNum"] == pat["PatNum"] for p in procs)
    tp = api.get("/procedurelogs", params={"ProcStatus": "TP"}).json()
    assert tp
    assert {p["ProcStatus"] for p in tp} == {"TP"}
    apts = api.get("/appointments", params={"AptStatus": "Scheduled"}).json()
    assert apts
    assert {a["AptStatus"] for a in apts} == {"Scheduled"}
    day = apts[0]["AptDateTime"][:10]
    on_day = api.get("/appointments", params={"date": day}).json()
    assert on_day
    assert all(a["AptDateTime"].startswith(day) for a in on_day)
    claims = api.get("/claims", params={"ClaimStatus": "R"}).json()
    assert claims
    assert {c["ClaimStatus"] for c in claims} == {"R"}
    cps = api.get("/claimprocs", params={"ClaimNum": claims[0]["ClaimNum"]}).json()
    assert cps
    assert all(c["ClaimNum"] == claims[0]["ClaimNum"] for c in cps)
    ppo = api.get("/insplans", params={"PlanType": "p"}).json()
    assert all(p["PlanType"] == "p" for p in ppo)
    assert api.get("/procedurelogs", params={"ProcStatus": "Nope"}).status_code == 400
    assert api.get("/adjustments").status_code == 400
    assert api.get("/treatplanattaches").status_code == 400
    assert api.get("/patients", params={"LName": pat["LName"]}).json()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer abc"},
        {"Authorization": "ODFHIR odsim-developer/wrong"},
        {"Authorization": "ODFHIR wrong/odsim-customer"},
        {"Authorization": "ODFHIR odsim-developer"},
    ],
)
def test_auth_failures_are_401(server: SandboxServer, headers: dict[str, str]) -> None:
    r = httpx.get(
        server.api_url + "/patients/Simple", headers={"Content-Type": "application/json", **headers}
    )
    assert r.status_code == 401
    assert isinstance(r.json(), str)


def test_content_type_required(server: SandboxServer) -> None:
    auth = {"Authorization": server.headers["Authorization"]}
    assert httpx.get(server.api_url + "/providers", headers=auth).status_code == 400


def test_unknown_path_is_404(api: httpx.Client) -> None:
    assert api.get("/patientz").status_code == 404
