"""A practice's day, simulated when the clock is advanced.

Business hours are 08:00-17:00 on weekdays; the clock moves in steps of at most an hour and
each step does what an office does in that hour: scheduled visits are seated and completed
(procedures set complete, claims created), some patients do not show (broken appointment with
D9986), new patients call, bookings and cancellations happen, claims go out, insurance pays
(claim payments batch per carrier), patients pay, staff edit patient rows, treatment-planned
procedures are deleted (soft, ``ProcStatus`` D), referral attachments are removed (hard) and
unscheduled appointments are deleted (``deletedobject`` + ``histappointment`` rows). Every write
bumps ``DateTStamp``/``SecDateTEdit`` to the event's time, which is never after the new clock.
Simplification: new claims apply no deductible and no annual maximum.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from crowndesk.odsim.generator import Ids, fmt_dt, money, q
from crowndesk.odsim.sandbox import Sandbox
from crowndesk.odsim.schema import COLUMN_DEFAULTS, TABLES

ZERO = Decimal(0)


def insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    cols = TABLES[table]
    conn.execute(
        f"INSERT INTO {table} ({', '.join(c for c, _ in cols)}) VALUES "
        f"({', '.join('?' * len(cols))})",
        [row.get(c, COLUMN_DEFAULTS[k]) for c, k in cols],
    )


def def_num(conn: sqlite3.Connection, category: int, name: str) -> int:
    row = conn.execute(
        "SELECT DefNum FROM definition WHERE Category = ? AND ItemName = ?", (category, name)
    ).fetchone()
    return int(row[0]) if row else 0


def adjust_balance(conn: sqlite3.Connection, pat: int, delta: Decimal, stamp: str) -> None:
    """Move a patient's balance (and the family total on the guarantor); bumps both rows."""
    row = conn.execute(
        "SELECT EstBalance, Guarantor FROM patient WHERE PatNum = ?", (pat,)
    ).fetchone()
    if row is None:
        return
    conn.execute(
        "UPDATE patient SET EstBalance = ?, DateTStamp = ? WHERE PatNum = ?",
        (money(Decimal(row[0]) + delta), stamp, pat),
    )
    g = conn.execute("SELECT BalTotal FROM patient WHERE PatNum = ?", (row[1],)).fetchone()
    if g is not None:
        conn.execute(
            "UPDATE patient SET BalTotal = ?, DateTStamp = ? WHERE PatNum = ?",
            (money(Decimal(g[0]) + delta), stamp, row[1]),
        )


def insurance_line(
    conn: sqlite3.Connection, plan_num: int, code_num: int, fee: Decimal
) -> tuple[Decimal, Decimal, int]:
    """(insurance estimate, write-off, percent) for one procedure on one plan."""
    plan = conn.execute(
        "SELECT PlanType, FeeSched FROM insplan WHERE PlanNum = ?", (plan_num,)
    ).fetchone()
    code = conn.execute(
        "SELECT ProcCode FROM procedurecode WHERE CodeNum = ?", (code_num,)
    ).fetchone()
    if plan is None or code is None:
        return ZERO, ZERO, 0
    pct_row = conn.execute(
        "SELECT b.Percent FROM benefit b JOIN covspan s ON s.CovCatNum = b.CovCatNum "
        "WHERE b.PlanNum = ? AND b.BenefitType = 1 AND ? BETWEEN s.FromCode AND s.ToCode",
        (plan_num, code[0]),
    ).fetchone()
    pct = int(pct_row[0]) if pct_row else 0
    allowed = fee
    if plan[0] == "p" and plan[1]:
        f = conn.execute(
            "SELECT Amount FROM fee WHERE FeeSched = ? AND CodeNum = ?", (plan[1], code_num)
        ).fetchone()
        if f is not None:
            allowed = min(fee, Decimal(f[0]))
    return q(allowed * pct / 100), fee - allowed, pct


def create_claim(
    conn: sqlite3.Connection,
    ids: Ids,
    pat: int,
    proc_nums: list[int],
    claim_type: str,
    stamp: str,
    day: str,
) -> int | None:
    """A claim (Unsent) with NotReceived (or Preauth) claimprocs; estimates are replaced."""
    ordinal = 2 if claim_type == "S" else 1
    cov = conn.execute(
        "SELECT pp.InsSubNum, s.PlanNum, pp.Relationship FROM patplan pp "
        "JOIN inssub s ON s.InsSubNum = pp.InsSubNum WHERE pp.PatNum = ? AND pp.Ordinal = ?",
        (pat, ordinal),
    ).fetchone()
    if cov is None or not proc_nums:
        return None
    sub, plan, rel = cov
    procs = conn.execute(
        f"SELECT ProcNum, ProcFee, CodeNum, ProvNum, ProcDate FROM procedurelog WHERE PatNum = ? "
        f"AND ProcNum IN ({','.join('?' * len(proc_nums))})",
        (pat, *proc_nums),
    ).fetchall()
    procs = [p for p in procs if Decimal(p[1]) > 0]
    if not procs:
        return None
    num = ids.take("claim")
    status = 2 if claim_type == "PreAuth" else 0
    tot_fee = tot_est = tot_wo = ZERO
    for proc_num, fee_s, code_num, prov, proc_date in procs:
        fee = Decimal(fee_s)
        est, wo, pct = insurance_line(conn, plan, code_num, fee)
        if status == 0:
            conn.execute(
                "DELETE FROM claimproc WHERE ProcNum = ? AND PlanNum = ? AND Status = 6",
                (proc_num, plan),
            )
        insert(
            conn,
            "claimproc",
            {
                "ClaimProcNum": ids.take("claimproc"),
                "ProcNum": proc_num,
                "ClaimNum": num,
                "PatNum": pat,
                "ProvNum": prov,
                "FeeBilled": money(fee),
                "InsPayEst": money(est),
                "DedApplied": "0",
                "Status": status,
                "InsPayAmt": "0",
                "PlanNum": plan,
                "DateCP": day,
                "WriteOff": money(wo),
                "AllowedOverride": "-1",
                "Percentage": pct,
                "PercentOverride": -1,
                "CopayAmt": "-1",
                "PaidOtherIns": "0",
                "BaseEst": money(est),
                "CopayOverride": "-1",
                "ProcDate": proc_date,
                "DateEntry": day,
                "DedEst": "0",
                "DedEstOverride": "-1",
                "InsEstTotal": money(est),
                "InsEstTotalOverride": "-1",
                "PaidOtherInsOverride": "-1",
                "WriteOffEst": money(wo),
                "WriteOffEstOverride": "-1",
                "InsSubNum": sub,
                "SecDateEntry": day,
                "SecDateTEdit": stamp,
            },
        )
        tot_fee += fee
        tot_est += est
        tot_wo += wo
    insert(
        conn,
        "claim",
        {
            "ClaimNum": num,
            "PatNum": pat,
            "DateService": procs[0][4],
            "ClaimStatus": "U",
            "PlanNum": plan,
            "ProvTreat": procs[0][3],
            "ClaimFee": money(tot_fee),
            "InsPayEst": money(tot_est),
            "InsPayAmt": "0",
            "DedApplied": "0",
            "IsProsthesis": "N",
            "ClaimType": claim_type,
            "ProvBill": procs[0][3],
            "PatRelat": rel,
            "WriteOff": money(tot_wo),
            "ClaimForm": 1,
            "InsSubNum": sub,
            "SecDateEntry": day,
            "SecDateTEdit": stamp,
        },
    )
    return num


class Day:
    def __init__(self, sb: Sandbox, rng: random.Random, ids: Ids) -> None:
        self.sb = sb
        self.conn = sb.conn
        self.rng = rng
        self.ids = ids
        self.events: dict[str, int] = {}
        self.size = max(50, sb.config.patients)

    def count(self, name: str, n: int = 1) -> None:
        self.events[name] = self.events.get(name, 0) + n

    def times(self, per_hour_per_1000: float, hours: float) -> int:
        lam = per_hour_per_1000 * self.size / 1000 * hours
        n = int(lam)
        return n + (1 if self.rng.random() < lam - n else 0)

    def stamp(self, t0: datetime, t1: datetime) -> str:
        span = max(1, int((t1 - t0).total_seconds()))
        return fmt_dt(t0 + timedelta(seconds=self.rng.randrange(span)))

    def step(self, t0: datetime, t1: datetime) -> None:
        self.complete_visits(t0, t1)
        if t0.weekday() >= 5 or not (8 <= t0.hour < 17):
            return
        hours = (t1 - t0).total_seconds() / 3600
        for _ in range(self.times(0.4, hours)):
            self.new_patient(t0, t1)
        for _ in range(self.times(3.0, hours)):
            self.book(t0, t1)
        for _ in range(self.times(0.3, hours)):
            self.cancel(t0, t1)
        self.send_claims(t0, t1)
        if self.rng.random() < hours:
            self.receive_claims(t0, t1)
        for _ in range(self.times(1.0, hours)):
            self.patient_payment(t0, t1)
        for _ in range(self.times(0.5, hours)):
            self.edit_patient(t0, t1)
        for _ in range(self.times(0.1, hours)):
            self.delete_something(t0, t1)

    # ------------------------------------------------------------------ events
    def complete_visits(self, t0: datetime, t1: datetime) -> None:
        c = self.conn
        rows = c.execute(
            "SELECT AptNum, PatNum, AptDateTime, ProvNum, Pattern FROM appointment "
            "WHERE AptStatus = 1 AND AptDateTime >= ? AND AptDateTime < ?",
            (fmt_dt(t0), fmt_dt(t1)),
        ).fetchall()
        for apt, pat, when_s, prov, pattern in rows:
            when = datetime.fromisoformat(when_s)
            end = min(when + timedelta(minutes=5 * len(pattern)), t1)
            stamp = fmt_dt(max(end, when))
            day = when.date().isoformat()
            if self.rng.random() < 0.08:
                c.execute(
                    "UPDATE appointment SET AptStatus = 5, DateTStamp = ? WHERE AptNum = ?",
                    (stamp, apt),
                )
                c.execute(
                    "UPDATE procedurelog SET AptNum = 0, DateTStamp = ? WHERE AptNum = ?",
                    (stamp, apt),
                )
                self.add_proc(pat, "D9986", 2, day, prov, stamp, apt=0)
                insert(
                    c,
                    "histappointment",
                    {
                        "HistApptNum": self.ids.take("histappointment"),
                        "HistDateTStamp": stamp,
                        "HistApptAction": 2,
                        "AptNum": apt,
                        "PatNum": pat,
                        "AptStatus": 5,
                        "AptDateTime": when_s,
                        "ProvNum": prov,
                        "DateTStamp": stamp,
                    },
                )
                self.count("noShows")
                continue
            c.execute(
                "UPDATE appointment SET AptStatus = 2, DateTimeArrived = ?, DateTimeSeated = ?, "
                "DateTimeDismissed = ?, DateTStamp = ? WHERE AptNum = ?",
                (when_s, when_s, stamp, stamp, apt),
            )
            procs = [
                r[0]
                for r in c.execute(
                    "SELECT ProcNum FROM procedurelog WHERE AptNum = ? AND ProcStatus = 1", (apt,)
                )
            ]
            if not procs:
                procs = [self.add_proc(pat, "D0120", 2, day, prov, stamp, apt=apt)]
            c.execute(
                f"UPDATE procedurelog SET ProcStatus = 2, ProcDate = ?, DateEntryC = ?, "
                f"DateTStamp = ? WHERE ProcNum IN ({','.join('?' * len(procs))})",
                (day, day, stamp, *procs),
            )
            c.execute(
                f"DELETE FROM treatplanattach WHERE ProcNum IN ({','.join('?' * len(procs))})",
                procs,
            )
            fees = sum(
                (
                    Decimal(r[0])
                    for r in c.execute(
                        f"SELECT ProcFee FROM procedurelog WHERE ProcNum IN "
                        f"({','.join('?' * len(procs))})",
                        procs,
                    )
                ),
                ZERO,
            )
            claim = create_claim(c, self.ids, pat, procs, "P", stamp, day)
            est = ZERO
            if claim is not None:
                r = c.execute(
                    "SELECT InsPayEst, WriteOff FROM claim WHERE ClaimNum = ?", (claim,)
                ).fetchone()
                est = Decimal(r[0]) + Decimal(r[1])
                self.count("claimsCreated")
            adjust_balance(c, pat, fees - est, stamp)
            self.count("visitsCompleted")
            self.count("proceduresCompleted", len(procs))

    def add_proc(
        self, pat: int, code: str, status: int, day: str, prov: int, stamp: str, apt: int
    ) -> int:
        c = self.conn
        (code_num,) = c.execute(
            "SELECT CodeNum FROM procedurecode WHERE ProcCode = ?", (code,)
        ).fetchone()
        fee = c.execute(
            "SELECT Amount FROM fee f JOIN feesched s ON s.FeeSchedNum = f.FeeSched "
            "WHERE f.CodeNum = ? ORDER BY s.ItemOrder LIMIT 1",
            (code_num,),
        ).fetchone()
        num = self.ids.take("procedurelog")
        insert(
            c,
            "procedurelog",
            {
                "ProcNum": num,
                "PatNum": pat,
                "AptNum": apt,
                "ProcDate": day,
                "ProcFee": money(Decimal(fee[0]) if fee else ZERO),
                "ProcStatus": status,
                "ProvNum": prov,
                "CodeNum": code_num,
                "UnitQty": 1,
                "DateTStamp": stamp,
                "SecDateEntry": stamp,
                "DateTP": day,
                "DateEntryC": day if status == 2 else "0001-01-01",
            },
        )
        return num

    def slot(self, t0: datetime, days_ahead: tuple[int, int]) -> datetime:
        d = t0.date() + timedelta(days=self.rng.randint(*days_ahead))
        while d.weekday() >= 5:
            d += timedelta(days=1)
        return datetime.combine(d, time(self.rng.randint(8, 16), self.rng.choice([0, 20, 40])))

    def book(
        self, t0: datetime, t1: datetime, pat: int | None = None, new_patient: bool = False
    ) -> None:
        c = self.conn
        if pat is None:
            row = c.execute(
                "SELECT PatNum, PriProv FROM patient WHERE PatStatus = 0 AND PatNum >= ? "
                "ORDER BY PatNum LIMIT 1",
                (self.rng.randint(1, self.ids.next["patient"]),),
            ).fetchone()
            if row is None:
                return
            pat = int(row[0])
        prov_row = c.execute("SELECT PriProv FROM patient WHERE PatNum = ?", (pat,)).fetchone()
        prov = int(prov_row[0])
        op = c.execute("SELECT OperatoryNum FROM operatory ORDER BY RANDOM() LIMIT 1").fetchone()
        when = self.slot(t0, (1, 60))
        stamp = self.stamp(t0, t1)
        apt = self.ids.take("appointment")
        insert(
            c,
            "appointment",
            {
                "AptNum": apt,
                "PatNum": pat,
                "AptStatus": 1,
                "Pattern": "/XXXXXXXX/",
                "Confirmed": def_num(c, 2, "Not Called"),
                "Op": op[0] if op else 0,
                "ProvNum": prov,
                "AptDateTime": fmt_dt(when),
                "IsNewPatient": int(new_patient),
                "ProcDescript": "PerEx, Pro",
                "DateTStamp": stamp,
                "SecDateTEntry": stamp,
            },
        )
        day = when.date().isoformat()
        for code in ("D0150", "D0210") if new_patient else ("D0120", "D1110"):
            self.add_proc(pat, code, 1, day, prov, stamp, apt=apt)
        insert(
            c,
            "histappointment",
            {
                "HistApptNum": self.ids.take("histappointment"),
                "HistDateTStamp": stamp,
                "HistApptAction": 0,
                "ApptSource": 1,
                "AptNum": apt,
                "PatNum": pat,
                "AptStatus": 1,
                "AptDateTime": fmt_dt(when),
                "ProvNum": prov,
                "DateTStamp": stamp,
            },
        )
        self.count("bookings")

    def new_patient(self, t0: datetime, t1: datetime) -> None:
        c = self.conn
        stamp = self.stamp(t0, t1)
        num = self.ids.take("patient")
        prov = c.execute(
            "SELECT ProvNum FROM provider WHERE IsSecondary = 0 AND ProvStatus = 0 "
            "ORDER BY ProvNum LIMIT 1"
        ).fetchone()
        first = self.rng.choice(["Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley"])
        last = self.rng.choice(["Quinn", "Harper", "Ellison", "Navarro", "Okafor", "Lindqvist"])
        insert(
            c,
            "patient",
            {
                "PatNum": num,
                "LName": last,
                "FName": first,
                "PatStatus": 0,
                "Gender": self.rng.randint(0, 1),
                "Birthdate": f"{self.rng.randint(1950, 2010)}-"
                f"{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}",
                "Guarantor": num,
                "PriProv": prov[0] if prov else 0,
                "EstBalance": "0",
                "BalTotal": "0",
                "HmPhone": f"(503)555-{self.rng.randint(1000, 9999)}",
                "Email": f"{first.lower()}.{last.lower()}{num}@example.com",
                "BillingType": def_num(c, 4, "Standard Account"),
                "DateTStamp": stamp,
                "SecDateEntry": stamp[:10],
                "Language": "eng",
            },
        )
        self.count("newPatients")
        self.book(t0, t1, pat=num, new_patient=True)

    def cancel(self, t0: datetime, t1: datetime) -> None:
        c = self.conn
        row = c.execute(
            "SELECT AptNum, PatNum, AptDateTime, ProvNum FROM appointment WHERE AptStatus = 1 "
            "AND AptDateTime > ? ORDER BY AptDateTime LIMIT 1 OFFSET ?",
            (fmt_dt(t1), self.rng.randint(0, 30)),
        ).fetchone()
        if row is None:
            return
        stamp = self.stamp(t0, t1)
        c.execute(
            "UPDATE appointment SET AptStatus = 3, DateTStamp = ?, UnschedStatus = ? "
            "WHERE AptNum = ?",
            (stamp, def_num(c, 13, "Patient Will Call"), row[0]),
        )
        c.execute(
            "UPDATE procedurelog SET AptNum = 0, DateTStamp = ? WHERE AptNum = ?", (stamp, row[0])
        )
        insert(
            c,
            "histappointment",
            {
                "HistApptNum": self.ids.take("histappointment"),
                "HistDateTStamp": stamp,
                "HistApptAction": 3,
                "AptNum": row[0],
                "PatNum": row[1],
                "AptStatus": 3,
                "AptDateTime": row[2],
                "ProvNum": row[3],
                "DateTStamp": stamp,
            },
        )
        self.count("cancellations")

    def send_claims(self, t0: datetime, t1: datetime) -> None:
        stamp = self.stamp(t0, t1)
        cur = self.conn.execute(
            "UPDATE claim SET ClaimStatus = 'S', DateSent = ?, SecDateTEdit = ? "
            "WHERE ClaimStatus IN ('U', 'W') AND SecDateTEdit < ?",
            (stamp[:10], stamp, stamp),
        )
        if cur.rowcount:
            self.count("claimsSent", cur.rowcount)

    def receive_claims(self, t0: datetime, t1: datetime) -> None:
        c = self.conn
        cutoff = (t0 - timedelta(days=7)).date().isoformat()
        claims = c.execute(
            "SELECT ClaimNum, PatNum, PlanNum FROM claim WHERE ClaimStatus = 'S' AND "
            "ClaimType IN ('P', 'S') AND DateSent <= ? ORDER BY ClaimNum LIMIT 25",
            (cutoff,),
        ).fetchall()
        if not claims:
            return
        stamp = self.stamp(t0, t1)
        day = stamp[:10]
        by_carrier: dict[int, list[tuple[int, int]]] = {}
        for claim, pat, plan in claims:
            carrier = c.execute(
                "SELECT CarrierNum FROM insplan WHERE PlanNum = ?", (plan,)
            ).fetchone()
            by_carrier.setdefault(int(carrier[0]) if carrier else 0, []).append((claim, pat))
        for carrier, items in by_carrier.items():
            pay_num = self.ids.take("claimpayment")
            total = ZERO
            for claim, _pat in items:
                c.execute(
                    "UPDATE claimproc SET Status = 1, InsPayAmt = InsPayEst, DateCP = ?, "
                    "ClaimPaymentNum = ?, DateInsFinalized = ?, SecDateTEdit = ? "
                    "WHERE ClaimNum = ? AND Status = 0",
                    (day, pay_num, day, stamp, claim),
                )
                paid = sum(
                    (
                        Decimal(r[0])
                        for r in c.execute(
                            "SELECT InsPayAmt FROM claimproc WHERE ClaimNum = ?", (claim,)
                        )
                    ),
                    ZERO,
                )
                total += sum(
                    (
                        Decimal(r[0])
                        for r in c.execute(
                            "SELECT InsPayAmt FROM claimproc WHERE ClaimNum = ? AND ClaimPaymentNum = ?",
                            (claim, pay_num),
                        )
                    ),
                    ZERO,
                )
                c.execute(
                    "UPDATE claim SET ClaimStatus = 'R', DateReceived = ?, InsPayAmt = ?, "
                    "SecDateTEdit = ? WHERE ClaimNum = ?",
                    (day, money(paid), stamp, claim),
                )
            name = c.execute(
                "SELECT CarrierName FROM carrier WHERE CarrierNum = ?", (carrier,)
            ).fetchone()
            insert(
                c,
                "claimpayment",
                {
                    "ClaimPaymentNum": pay_num,
                    "CheckDate": day,
                    "CheckAmt": money(total),
                    "CheckNum": f"EFT{self.rng.randint(100000, 999999)}",
                    "CarrierName": name[0] if name else "",
                    "DateIssued": day,
                    "PayType": def_num(c, 32, "EFT"),
                    "SecDateEntry": day,
                    "SecDateTEdit": stamp,
                    "PayGroup": def_num(c, 40, "Default"),
                },
            )
            self.count("claimsReceived", len(items))
            self.count("claimPayments")

    def patient_payment(self, t0: datetime, t1: datetime) -> None:
        c = self.conn
        row = c.execute(
            "SELECT p.ProcNum, p.PatNum, p.ProcFee, p.ProvNum FROM procedurelog p "
            "WHERE p.ProcStatus = 2 AND p.ProcNum >= ? AND CAST(p.ProcFee AS REAL) > 0 AND "
            "NOT EXISTS (SELECT 1 FROM paysplit s WHERE s.ProcNum = p.ProcNum) "
            "ORDER BY p.ProcNum LIMIT 1",
            (self.rng.randint(1, self.ids.next["procedurelog"]),),
        ).fetchone()
        if row is None:
            return
        proc, pat, fee_s, prov = row
        ins = sum(
            (
                Decimal(a) + Decimal(b)
                for a, b in c.execute(
                    "SELECT CASE WHEN Status = 1 THEN InsPayAmt ELSE InsPayEst END, WriteOff "
                    "FROM claimproc WHERE ProcNum = ? AND Status IN (0, 1)",
                    (proc,),
                )
            ),
            ZERO,
        )
        amt = Decimal(fee_s) - ins
        if amt <= 0:
            return
        stamp = self.stamp(t0, t1)
        record_payment(
            c,
            self.ids,
            pat,
            [(proc, pat, prov, amt)],
            stamp,
            def_num(c, 10, "Credit Card"),
            "",
            source=0,
        )
        self.count("patientPayments")

    def edit_patient(self, t0: datetime, t1: datetime) -> None:
        stamp = self.stamp(t0, t1)
        cur = self.conn.execute(
            "UPDATE patient SET WirelessPhone = ?, DateTStamp = ? WHERE PatNum = ("
            "SELECT PatNum FROM patient WHERE PatNum >= ? AND PatStatus != 4 ORDER BY PatNum "
            "LIMIT 1)",
            (
                f"(971)555-{self.rng.randint(1000, 9999)}",
                stamp,
                self.rng.randint(1, self.ids.next["patient"]),
            ),
        )
        self.count("patientEdits", cur.rowcount)

    def delete_something(self, t0: datetime, t1: datetime) -> None:
        c = self.conn
        stamp = self.stamp(t0, t1)
        roll = self.rng.random()
        if roll < 0.5:
            row = c.execute(
                "SELECT ProcNum FROM procedurelog WHERE ProcStatus = 1 AND AptNum = 0 "
                "AND ProcNum >= ? ORDER BY ProcNum LIMIT 1",
                (self.rng.randint(1, self.ids.next["procedurelog"]),),
            ).fetchone()
            if row:
                c.execute(
                    "UPDATE procedurelog SET ProcStatus = 6, AptNum = 0, PlannedAptNum = 0,"
                    " DateTStamp = ? WHERE ProcNum = ?",
                    (stamp, row[0]),
                )
                c.execute("DELETE FROM claimproc WHERE ProcNum = ? AND Status = 6", (row[0],))
                c.execute("DELETE FROM treatplanattach WHERE ProcNum = ?", (row[0],))
                self.count("proceduresDeleted")
        elif roll < 0.75:
            row = c.execute(
                "SELECT RefAttachNum FROM refattach ORDER BY RANDOM() LIMIT 1"
            ).fetchone()
            if row:
                c.execute("DELETE FROM refattach WHERE RefAttachNum = ?", row)
                self.count("refAttachesDeleted")
        else:
            row = c.execute(
                "SELECT AptNum, PatNum, AptDateTime, ProvNum FROM appointment "
                "WHERE AptStatus = 3 ORDER BY RANDOM() LIMIT 1"
            ).fetchone()
            if row:
                c.execute(
                    "UPDATE procedurelog SET AptNum = 0, DateTStamp = ? WHERE AptNum = ?",
                    (stamp, row[0]),
                )
                c.execute("DELETE FROM appointment WHERE AptNum = ?", (row[0],))
                insert(
                    c,
                    "deletedobject",
                    {
                        "DeletedObjectNum": self.ids.take("deletedobject"),
                        "ObjectNum": row[0],
                        "ObjectType": 0,
                        "DateTStamp": stamp,
                    },
                )
                insert(
                    c,
                    "histappointment",
                    {
                        "HistApptNum": self.ids.take("histappointment"),
                        "HistDateTStamp": stamp,
                        "HistApptAction": 4,
                        "AptNum": row[0],
                        "PatNum": row[1],
                        "AptStatus": 3,
                        "AptDateTime": row[2],
                        "ProvNum": row[3],
                        "DateTStamp": stamp,
                    },
                )
                self.count("appointmentsDeleted")


def record_payment(
    conn: sqlite3.Connection,
    ids: Ids,
    payer: int,
    splits: list[tuple[int, int, int, Decimal]],
    stamp: str,
    pay_type: int,
    note: str,
    source: int,
) -> int:
    """A payment with its splits (ProcNum, PatNum, ProvNum, amount); balances move."""
    num = ids.take("payment")
    day = stamp[:10]
    total = ZERO
    for proc, pat, prov, amt in splits:
        total += amt
        insert(
            conn,
            "paysplit",
            {
                "SplitNum": ids.take("paysplit"),
                "SplitAmt": money(amt),
                "PatNum": pat,
                "PayNum": num,
                "ProvNum": prov,
                "DatePay": day,
                "ProcNum": proc,
                "DateEntry": day,
                "SecDateTEdit": stamp,
            },
        )
        adjust_balance(conn, pat, -amt, stamp)
    insert(
        conn,
        "payment",
        {
            "PayNum": num,
            "PayType": pay_type,
            "PayDate": day,
            "PayAmt": money(total),
            "PayNote": note,
            "IsSplit": int(len(splits) > 1),
            "PatNum": payer,
            "DateEntry": day,
            "SecDateTEdit": stamp,
            "PaymentSource": source,
            "ProcessStatus": 0,
        },
    )
    return num


def advance(sb: Sandbox, minutes: float) -> dict[str, Any]:
    """Move the clock ``minutes`` forward and simulate what happens in between."""
    with sb.lock:
        start = sb.clock.now()
        end = start + timedelta(minutes=minutes)
        rng = random.Random(f"{sb.config.seed}:{sb.advance_count}:{start.isoformat()}")
        day = Day(sb, rng, Ids(sb.conn))
        sb.conn.execute("BEGIN")
        try:
            t = start
            while t < end:
                nxt = min(end, (t + timedelta(hours=1)).replace(minute=0, second=0))
                day.step(t, nxt)
                t = nxt
            sb.conn.execute("COMMIT")
        except BaseException:
            sb.conn.execute("ROLLBACK")
            raise
        sb.clock.advance(end - start)
        sb.advance_count += 1
        if sb.config.db_path:
            sb.save_clock()
        sb.invalidate_lookups()
        return {
            "from": fmt_dt(start),
            "to": fmt_dt(end),
            "serverDateTime": sb.clock.now_str(),
            "events": day.events,
        }
