"""Write side over HTTP: appointments, claims, claim payments, payments, commlogs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from crowndesk.odsim.server import SandboxServer


def sql(api: httpx.Client, command: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = api.put("/queries/ShortQuery", json={"SqlCommand": command}).json()
    return rows


def test_appointment_create_note_confirm_break(api: httpx.Client, server: SandboxServer) -> None:
    pat = sql(api, "SELECT PatNum FROM patient WHERE PatStatus = 0 LIMIT 1")[0]["PatNum"]
    op = api.get("/operatories").json()[0]["OperatoryNum"]
    r = api.post(
        "/appointments", json={"PatNum": pat, "Op": op, "AptDateTime": "2025-07-01 09:00:00"}
    )
    assert r.status_code == 201, r.text
    apt = r.json()
    assert apt["AptStatus"] == "Scheduled"
    assert apt["Pattern"] == "/XX/"
    assert apt["serverDateTime"] == ""
    assert r.headers["Location"].endswith(f"/api/v1/appointments/{apt['AptNum']}")
    num = apt["AptNum"]
    assert (
        api.put(f"/appointments/{num}/Note", json={"Note": "Bring x-rays."}).json()["Note"]
        == "Bring x-rays."
    )
    assert (
        api.put(f"/appointments/{num}/Note", json={"Note": "Call first."}).json()["Note"]
        == "Bring x-rays. Call first."
    )
    conf = api.put(f"/appointments/{num}/Confirm", json={"confirmVal": "Confirmed"}).json()
    assert conf["confirmed"] == "Confirmed"
    assert api.put(f"/appointments/{num}/Break", json={}).status_code == 400
    broke = api.put(
        f"/appointments/{num}/Break", json={"sendToUnscheduledList": "false", "breakType": "Missed"}
    )
    assert broke.json()["AptStatus"] == "Broken"
    assert (
        api.put(f"/appointments/{num}/Break", json={"sendToUnscheduledList": "false"}).status_code
        == 400
    )
    hist = api.get("/histappointments", params={"AptNum": num}).json()
    assert [h["HistApptAction"] for h in hist] == ["Created", "Missed"]
    missed = api.get("/procedurelogs", params={"PatNum": pat}).json()
    assert any(p["procCode"] == "D9986" for p in missed)
    assert api.post("/appointments", json={"PatNum": pat}).status_code == 400
    assert api.put("/appointments/999999/Note", json={"Note": "x"}).status_code == 404


def test_claim_then_payment_then_check(api: httpx.Client) -> None:
    row = sql(
        api,
        "SELECT p.ProcNum, p.PatNum FROM procedurelog p JOIN patplan pp ON "
        "pp.PatNum = p.PatNum AND pp.Ordinal = 1 WHERE p.ProcStatus = 2 AND "
        "CAST(p.ProcFee AS REAL) > 0 AND NOT EXISTS (SELECT 1 FROM claimproc c "
        "WHERE c.ProcNum = p.ProcNum AND c.ClaimNum != 0) LIMIT 1",
    )
    if not row:  # every completed procedure is already billed: make one via a visit
        row = sql(
            api,
            "SELECT p.ProcNum, p.PatNum FROM procedurelog p JOIN patplan pp ON "
            "pp.PatNum = p.PatNum WHERE p.ProcStatus = 2 LIMIT 1",
        )
    proc, pat = row[0]["ProcNum"], row[0]["PatNum"]
    r = api.post("/claims", json={"PatNum": pat, "procNums": [proc], "ClaimType": "P"})
    if r.status_code == 400:
        assert "already" in r.json()
        claim_num = sql(
            api, f"SELECT ClaimNum FROM claimproc WHERE ProcNum = {proc} AND ClaimNum != 0"
        )[0]["ClaimNum"]
    else:
        assert r.status_code == 201, r.text
        claim = r.json()
        assert claim["ClaimStatus"] == "U"
        claim_num = claim["ClaimNum"]
        assert api.post("/claims", json={"PatNum": pat, "procNums": [proc]}).status_code == 400
    cps = api.get("/claimprocs", params={"ClaimNum": claim_num}).json()
    if all(c["Status"] == "NotReceived" for c in cps):
        for cp in cps:
            put = api.put(
                f"/claimprocs/{cp['ClaimProcNum']}",
                json={"Status": "Received", "InsPayAmt": cp["InsPayEst"]},
            )
            assert put.status_code == 200
        assert api.get(f"/claims/{claim_num}").json()["ClaimStatus"] == "R"
        total = sum(Decimal(str(c["InsPayEst"])) for c in cps)
        assert (
            api.post(
                "/claimpayments", json={"claimNum": claim_num, "CheckAmt": str(total + 1)}
            ).status_code
            == 400
        )
        pay = api.post(
            "/claimpayments",
            json={"claimNum": claim_num, "CheckAmt": str(total), "CheckNum": "555"},
        )
        assert pay.status_code == 201, pay.text
        assert Decimal(pay.json()["CheckAmt"]) == total
        linked = api.get("/claimprocs", params={"ClaimPaymentNum": pay.json()["ClaimPaymentNum"]})
        assert len(linked.json()) == len(cps)


def test_patient_payment_is_split(api: httpx.Client) -> None:
    pat = sql(api, "SELECT PatNum FROM patient WHERE PatStatus = 0 LIMIT 1 OFFSET 7")[0]["PatNum"]
    r = api.post("/payments", json={"PatNum": pat, "PayAmt": "129.99", "CheckNum": "1001"})
    assert r.status_code == 201, r.text
    pay = r.json()
    assert pay["PayAmt"] == "129.99"
    assert pay["PaymentSource"] == "API"
    assert pay["serverDateTime"] == ""
    splits = api.get("/paysplits", params={"PayNum": pay["PayNum"]}).json()
    assert sum(Decimal(str(s["SplitAmt"])) for s in splits) == Decimal("129.99")
    assert api.post("/payments", json={"PatNum": pat}).status_code == 400


def test_commlog(api: httpx.Client) -> None:
    r = api.post(
        "/commlogs",
        json={
            "PatNum": 1,
            "Note": "Called about\r\ninsurance.",
            "Mode_": "Phone",
            "SentOrReceived": "Sent",
        },
    )
    assert r.status_code == 201, r.text
    log = r.json()
    assert log["Note"] == "Called about insurance."
    assert log["Mode_"] == "Phone"
    assert api.get("/commlogs", params={"PatNum": 1}).json()[-1]["CommlogNum"] == log["CommlogNum"]
