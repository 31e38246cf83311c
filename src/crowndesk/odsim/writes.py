"""Write side: what CrownDesk writes back after a person approves it.

POST returns 201, a ``Location`` header (this sandbox's own URL for the new row) and the
created object with ``serverDateTime`` = ``""`` where the resource carries it; the PUT actions
on an appointment (``Note``, ``Confirm``, ``Break``) return 200 with the updated appointment.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crowndesk.odsim.generator import Ids, fmt_dt, money
from crowndesk.odsim.resources import BY_PATH
from crowndesk.odsim.simulator import create_claim, def_num, insert, record_payment

if TYPE_CHECKING:
    from crowndesk.odsim.app import OdsimApp

CONFIRM_NAMES = {
    "none": "Not Called",
    "sent": "Sent",
    "confirmed": "Confirmed",
    "not accepted": "Not Accepted",
    "failed": "Failed",
}


def routes(app: OdsimApp) -> list[Route]:
    from crowndesk.odsim.app import API, ApiError, od_json, read_json

    sb = app.sandbox

    def body_dict(raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return {k.lower(): v for k, v in raw.items()}

    def num(body: dict[str, Any], name: str, required: bool = True) -> int:
        v = body.get(name.lower())
        if v is None or v == "":
            if required:
                raise ApiError(400, f"{name} is required.")
            return 0
        try:
            return int(v)
        except (TypeError, ValueError):
            raise ApiError(400, f"{name} is invalid.") from None

    def amount(body: dict[str, Any], name: str) -> Decimal:
        try:
            return Decimal(str(body[name.lower()]))
        except KeyError:
            raise ApiError(400, f"{name} is required.") from None
        except InvalidOperation:
            raise ApiError(400, f"{name} is invalid.") from None

    def one(path: str, pk: int, status: int = 200, request: Request | None = None) -> Response:
        res = BY_PATH[path]
        row = sb.conn.execute(f"SELECT * FROM {res.table} WHERE {res.pk} = ?", (pk,)).fetchone()
        out = app.serializer(res)(row, "" if res.server_dt else None)
        headers = None
        if request is not None:
            headers = {"Location": f"{str(request.base_url).rstrip('/')}{API}/{path}/{pk}"}
        return od_json(out, status, headers)

    def patient_ok(pat: int) -> None:
        row = sb.conn.execute("SELECT PatStatus FROM patient WHERE PatNum = ?", (pat,)).fetchone()
        if row is None:
            raise ApiError(400, "PatNum is invalid.")
        if row[0] == 4:
            raise ApiError(400, "Deleted patients cannot be modified.")

    def appointment(apt: int) -> tuple[Any, ...]:
        row = sb.conn.execute(
            "SELECT AptNum, PatNum, AptStatus, Note, AptDateTime, ProvNum "
            "FROM appointment WHERE AptNum = ?",
            (apt,),
        ).fetchone()
        if row is None:
            raise ApiError(404, "Appointment not found.")
        return tuple(row)

    async def post_appointment(request: Request) -> Response:
        b = body_dict(await read_json(request))
        pat, op = num(b, "PatNum"), num(b, "Op")
        when_raw = b.get("aptdatetime")
        if not when_raw:
            raise ApiError(400, "AptDateTime is required.")
        try:
            if len(str(when_raw)) != 19:
                raise ValueError(when_raw)
            when = datetime.fromisoformat(str(when_raw))
        except ValueError:
            raise ApiError(400, "AptDateTime format must be yyyy-MM-dd HH:mm:ss") from None
        status_name = str(b.get("aptstatus") or "Scheduled")
        statuses = {"scheduled": 1, "unschedlist": 3, "planned": 6}
        if status_name.lower() not in statuses:
            raise ApiError(400, "AptStatus is invalid.")
        with sb.lock:
            patient_ok(pat)
            if not sb.conn.execute(
                "SELECT 1 FROM operatory WHERE OperatoryNum = ?", (op,)
            ).fetchone():
                raise ApiError(400, "Op is invalid.")
            prov = (
                num(b, "ProvNum", required=False)
                or sb.conn.execute(
                    "SELECT PriProv FROM patient WHERE PatNum = ?", (pat,)
                ).fetchone()[0]
            )
            ids = Ids(sb.conn)
            stamp = sb.clock.now_str()
            apt = ids.take("appointment")
            pattern = str(b.get("pattern") or "/XX/")
            if set(pattern) - {"/", "X"}:
                raise ApiError(400, "Pattern is invalid.")
            insert(
                sb.conn,
                "appointment",
                {
                    "AptNum": apt,
                    "PatNum": pat,
                    "AptStatus": statuses[status_name.lower()],
                    "Pattern": pattern,
                    "Confirmed": num(b, "Confirmed", required=False)
                    or def_num(sb.conn, 2, "Not Called"),
                    "Op": op,
                    "Note": str(b.get("note", "")),
                    "ProvNum": prov,
                    "ProvHyg": num(b, "ProvHyg", required=False),
                    "AptDateTime": fmt_dt(when),
                    "IsNewPatient": int(str(b.get("isnewpatient", "false")).lower() == "true"),
                    "ClinicNum": num(b, "ClinicNum", required=False),
                    "IsHygiene": int(str(b.get("ishygiene", "false")).lower() == "true"),
                    "AppointmentTypeNum": num(b, "AppointmentTypeNum", required=False),
                    "DateTStamp": stamp,
                    "SecDateTEntry": stamp,
                    "Priority": 1 if str(b.get("priority", "")).lower() == "asap" else 0,
                },
            )
            insert(
                sb.conn,
                "histappointment",
                {
                    "HistApptNum": ids.take("histappointment"),
                    "HistDateTStamp": stamp,
                    "HistApptAction": 0,
                    "AptNum": apt,
                    "PatNum": pat,
                    "AptStatus": 1,
                    "AptDateTime": fmt_dt(when),
                    "ProvNum": prov,
                    "DateTStamp": stamp,
                },
            )
            return one("appointments", apt, 201, request)

    async def put_note(request: Request) -> Response:
        b = body_dict(await read_json(request))
        note = b.get("note")
        if not isinstance(note, str):
            raise ApiError(400, "Note is required.")
        with sb.lock:
            apt = appointment(request.path_params["pk"])
            new = (apt[3] + " " + note).strip() if apt[3] else note
            sb.conn.execute(
                "UPDATE appointment SET Note = ?, DateTStamp = ? WHERE AptNum = ?",
                (new.replace("\r\n", " ").replace("\n", " "), sb.clock.now_str(), apt[0]),
            )
            return one("appointments", apt[0])

    async def put_confirm(request: Request) -> Response:
        b = body_dict(await read_json(request))
        with sb.lock:
            apt = appointment(request.path_params["pk"])
            if "defnum" in b:
                defnum = num(b, "defNum")
                if not sb.conn.execute(
                    "SELECT 1 FROM definition WHERE DefNum = ? AND Category = 2", (defnum,)
                ).fetchone():
                    raise ApiError(400, "defNum is invalid.")
            else:
                val = str(b.get("confirmval", "")).lower()
                if val not in CONFIRM_NAMES:
                    raise ApiError(400, "confirmVal or defNum is required.")
                defnum = def_num(sb.conn, 2, CONFIRM_NAMES[val])
            sb.conn.execute(
                "UPDATE appointment SET Confirmed = ?, DateTStamp = ? WHERE AptNum = ?",
                (defnum, sb.clock.now_str(), apt[0]),
            )
            return one("appointments", apt[0])

    async def put_break(request: Request) -> Response:
        b = body_dict(await read_json(request))
        raw = str(b.get("sendtounscheduledlist", "")).lower()
        if raw not in ("true", "false"):
            raise ApiError(400, "sendToUnscheduledList is required.")
        kind = str(b.get("breaktype", "")).lower()
        if kind not in ("", "missed", "cancelled"):
            raise ApiError(400, "breakType must be Missed or Cancelled.")
        with sb.lock:
            apt = appointment(request.path_params["pk"])
            if apt[2] != 1:
                raise ApiError(400, "Only scheduled appointments can be broken.")
            stamp = sb.clock.now_str()
            ids = Ids(sb.conn)
            status = 3 if raw == "true" else 5
            sb.conn.execute(
                "UPDATE appointment SET AptStatus = ?, DateTStamp = ? WHERE AptNum = ?",
                (status, stamp, apt[0]),
            )
            sb.conn.execute(
                "UPDATE procedurelog SET AptNum = 0, DateTStamp = ? WHERE AptNum = ?",
                (stamp, apt[0]),
            )
            if kind:
                code = "D9986" if kind == "missed" else "D9987"
                code_num = sb.conn.execute(
                    "SELECT CodeNum FROM procedurecode WHERE ProcCode = ?", (code,)
                ).fetchone()[0]
                insert(
                    sb.conn,
                    "procedurelog",
                    {
                        "ProcNum": ids.take("procedurelog"),
                        "PatNum": apt[1],
                        "ProcDate": stamp[:10],
                        "ProcFee": "0.00",
                        "ProcStatus": 2,
                        "ProvNum": apt[5],
                        "CodeNum": code_num,
                        "UnitQty": 1,
                        "DateTStamp": stamp,
                        "SecDateEntry": stamp,
                        "DateEntryC": stamp[:10],
                        "DateTP": stamp[:10],
                    },
                )
            insert(
                sb.conn,
                "histappointment",
                {
                    "HistApptNum": ids.take("histappointment"),
                    "HistDateTStamp": stamp,
                    "HistApptAction": 2 if kind == "missed" else 3,
                    "AptNum": apt[0],
                    "PatNum": apt[1],
                    "AptStatus": status,
                    "AptDateTime": apt[4],
                    "ProvNum": apt[5],
                    "DateTStamp": stamp,
                },
            )
            return one("appointments", apt[0])

    async def post_claim(request: Request) -> Response:
        b = body_dict(await read_json(request))
        pat = num(b, "PatNum")
        procs = b.get("procnums")
        if not isinstance(procs, list) or not procs:
            raise ApiError(400, "procNums is required.")
        claim_type = str(b.get("claimtype") or "P")
        if claim_type not in ("P", "S", "PreAuth"):
            raise ApiError(400, "ClaimType must be P, S or PreAuth.")
        with sb.lock:
            patient_ok(pat)
            proc_nums = [int(p) for p in procs]
            rows = sb.conn.execute(
                f"SELECT ProcNum, ProcStatus FROM procedurelog WHERE PatNum = ? AND ProcNum IN "
                f"({','.join('?' * len(proc_nums))})",
                (pat, *proc_nums),
            ).fetchall()
            if len(rows) != len(set(proc_nums)):
                raise ApiError(400, "Procedure not found.")
            wanted = {1} if claim_type == "PreAuth" else {2}
            if any(r[1] not in wanted for r in rows):
                raise ApiError(
                    400,
                    "Procedures must be complete (or treatment planned for a preauthorization).",
                )
            if (
                claim_type != "PreAuth"
                and sb.conn.execute(
                    f"SELECT 1 FROM claimproc WHERE ClaimNum != 0 AND Status IN (0, 1) AND ProcNum IN "
                    f"({','.join('?' * len(proc_nums))})",
                    proc_nums,
                ).fetchone()
            ):
                raise ApiError(400, "A procedure is already attached to a claim.")
            stamp = sb.clock.now_str()
            claim = create_claim(
                sb.conn, Ids(sb.conn), pat, proc_nums, claim_type, stamp, stamp[:10]
            )
            if claim is None:
                raise ApiError(400, "The patient has no insurance for this claim type.")
            return one("claims", claim, 201, request)

    async def post_claimpayment(request: Request) -> Response:
        b = body_dict(await read_json(request))
        claim = num(b, "claimNum")
        check = amount(b, "CheckAmt")
        with sb.lock:
            row = sb.conn.execute(
                "SELECT PlanNum FROM claim WHERE ClaimNum = ?", (claim,)
            ).fetchone()
            if row is None:
                raise ApiError(400, "claimNum is invalid.")
            cps = sb.conn.execute(
                "SELECT ClaimProcNum, InsPayAmt FROM claimproc WHERE ClaimNum = ? AND Status IN "
                "(1, 4) AND ClaimPaymentNum = 0",
                (claim,),
            ).fetchall()
            total = sum((Decimal(r[1]) for r in cps), Decimal(0))
            if not cps or total != check:
                raise ApiError(
                    400,
                    "CheckAmt must equal the sum of the claim's received, "
                    "unattached insurance payments.",
                )
            ids = Ids(sb.conn)
            stamp = sb.clock.now_str()
            pay = ids.take("claimpayment")
            carrier = sb.conn.execute(
                "SELECT c.CarrierName FROM insplan p JOIN carrier c ON c.CarrierNum = "
                "p.CarrierNum WHERE p.PlanNum = ?",
                (row[0],),
            ).fetchone()
            insert(
                sb.conn,
                "claimpayment",
                {
                    "ClaimPaymentNum": pay,
                    "CheckDate": str(b.get("checkdate") or stamp[:10]),
                    "CheckAmt": money(check),
                    "CheckNum": str(b.get("checknum", "")),
                    "BankBranch": str(b.get("bankbranch", "")),
                    "Note": str(b.get("note", "")),
                    "CarrierName": carrier[0] if carrier else "",
                    "DateIssued": str(b.get("dateissued") or stamp[:10]),
                    "PayType": num(b, "PayType", required=False) or def_num(sb.conn, 32, "Check"),
                    "SecDateEntry": stamp[:10],
                    "SecDateTEdit": stamp,
                },
            )
            sb.conn.executemany(
                "UPDATE claimproc SET ClaimPaymentNum = ?, SecDateTEdit = ? WHERE ClaimProcNum = ?",
                [(pay, stamp, r[0]) for r in cps],
            )
            return one("claimpayments", pay, 201, request)

    async def put_claimproc(request: Request) -> Response:
        b = body_dict(await read_json(request))
        with sb.lock:
            pk = request.path_params["pk"]
            row = sb.conn.execute(
                "SELECT ClaimNum FROM claimproc WHERE ClaimProcNum = ?", (pk,)
            ).fetchone()
            if row is None:
                raise ApiError(404, "ClaimProc not found.")
            sets: list[str] = []
            args: list[Any] = []
            for name in ("InsPayAmt", "WriteOff", "DedApplied"):
                if name.lower() in b:
                    sets.append(f"{name} = ?")
                    args.append(money(amount(b, name)))
            if "status" in b:
                status = {"notreceived": 0, "received": 1}.get(str(b["status"]).lower())
                if status is None:
                    raise ApiError(400, "Status is invalid.")
                sets.append("Status = ?")
                args.append(status)
            if "remarks" in b:
                sets.append("Remarks = ?")
                args.append(str(b["remarks"]))
            stamp = sb.clock.now_str()
            sb.conn.execute(
                f"UPDATE claimproc SET {', '.join([*sets, 'SecDateTEdit = ?'])} "
                "WHERE ClaimProcNum = ?",
                (*args, stamp, pk),
            )
            claim = row[0]
            if claim:
                paid = sum(
                    (
                        Decimal(r[0])
                        for r in sb.conn.execute(
                            "SELECT InsPayAmt FROM claimproc WHERE ClaimNum = ?", (claim,)
                        )
                    ),
                    Decimal(0),
                )
                open_ = sb.conn.execute(
                    "SELECT COUNT(*) FROM claimproc WHERE ClaimNum = ? AND Status = 0", (claim,)
                ).fetchone()[0]
                sb.conn.execute(
                    "UPDATE claim SET InsPayAmt = ?, SecDateTEdit = ?, ClaimStatus = CASE WHEN ? "
                    "= 0 THEN 'R' ELSE ClaimStatus END, DateReceived = CASE WHEN ? = 0 THEN ? "
                    "ELSE DateReceived END WHERE ClaimNum = ?",
                    (money(paid), stamp, open_, open_, stamp[:10], claim),
                )
            return one("claimprocs", pk)

    async def post_payment(request: Request) -> Response:
        b = body_dict(await read_json(request))
        pat = num(b, "PatNum")
        amt = amount(b, "PayAmt")
        if amt <= 0:
            raise ApiError(400, "PayAmt must be greater than zero.")
        with sb.lock:
            patient_ok(pat)
            guar = sb.conn.execute(
                "SELECT Guarantor FROM patient WHERE PatNum = ?", (pat,)
            ).fetchone()[0]
            # First in, first out over the family's completed procedures still owing.
            owing = sb.conn.execute(
                "SELECT p.ProcNum, p.PatNum, p.ProvNum, CAST(p.ProcFee AS TEXT), "
                "(SELECT COALESCE(SUM(CAST(SplitAmt AS REAL)), 0) FROM paysplit s "
                " WHERE s.ProcNum = p.ProcNum) FROM procedurelog p JOIN patient t ON "
                "t.PatNum = p.PatNum WHERE t.Guarantor = ? AND p.ProcStatus = 2 "
                "ORDER BY p.ProcDate, p.ProcNum",
                (guar,),
            ).fetchall()
            left = amt
            splits: list[tuple[int, int, int, Decimal]] = []
            for proc, ppat, prov, fee, paid in owing:
                if left <= 0:
                    break
                ins = sum(
                    (
                        Decimal(a) + Decimal(w)
                        for a, w in sb.conn.execute(
                            "SELECT CASE WHEN Status = 1 THEN InsPayAmt ELSE InsPayEst END, WriteOff "
                            "FROM claimproc WHERE ProcNum = ? AND Status IN (0, 1)",
                            (proc,),
                        )
                    ),
                    Decimal(0),
                )
                due = Decimal(fee) - ins - Decimal(str(paid)).quantize(Decimal("0.01"))
                if due > 0:
                    take = min(due, left)
                    splits.append((proc, ppat, prov, take))
                    left -= take
            if left > 0:
                splits.append((0, pat, 0, left))
            pay_type = num(b, "PayType", required=False) or def_num(sb.conn, 10, "Check")
            pay = record_payment(
                sb.conn,
                Ids(sb.conn),
                pat,
                splits,
                sb.clock.now_str(),
                pay_type,
                str(b.get("paynote", "")),
                source=1,
            )
            if b.get("checknum"):
                sb.conn.execute(
                    "UPDATE payment SET CheckNum = ? WHERE PayNum = ?", (str(b["checknum"]), pay)
                )
            return one("payments", pay, 201, request)

    async def post_commlog(request: Request) -> Response:
        b = body_dict(await read_json(request))
        pat = num(b, "PatNum")
        note = b.get("note")
        if not isinstance(note, str) or not note:
            raise ApiError(400, "Note is required.")
        modes = {"none": 0, "email": 1, "mail": 2, "phone": 3, "inperson": 4, "text": 5}
        mode = str(b.get("mode_", "None")).lower()
        if mode not in modes:
            raise ApiError(400, "Mode_ is invalid.")
        with sb.lock:
            patient_ok(pat)
            stamp = sb.clock.now_str()
            ids = Ids(sb.conn)
            num_ = ids.take("commlog")
            insert(
                sb.conn,
                "commlog",
                {
                    "CommlogNum": num_,
                    "PatNum": pat,
                    "CommDateTime": str(b.get("commdatetime") or stamp),
                    "CommType": num(b, "CommType", required=False) or def_num(sb.conn, 27, "Misc"),
                    "Note": note.replace("\r\n", " "),
                    "Mode_": modes[mode],
                    "SentOrReceived": {"sent": 1, "received": 2}.get(
                        str(b.get("sentorreceived", "")).lower(), 0
                    ),
                    "DateTStamp": stamp,
                    "DateTEntry": stamp,
                },
            )
            return one("commlogs", num_, 201, request)

    return [
        Route(f"{API}/appointments", post_appointment, methods=["POST"]),
        Route(f"{API}/appointments/{{pk:int}}/note", put_note, methods=["PUT"]),
        Route(f"{API}/appointments/{{pk:int}}/confirm", put_confirm, methods=["PUT"]),
        Route(f"{API}/appointments/{{pk:int}}/break", put_break, methods=["PUT"]),
        Route(f"{API}/claims", post_claim, methods=["POST"]),
        Route(f"{API}/claimpayments", post_claimpayment, methods=["POST"]),
        Route(f"{API}/claimprocs/{{pk:int}}", put_claimproc, methods=["PUT"]),
        Route(f"{API}/payments", post_payment, methods=["POST"]),
        Route(f"{API}/commlogs", post_commlog, methods=["POST"]),
    ]
