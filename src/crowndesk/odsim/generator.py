"""Deterministic synthetic dental practice, written straight into the Open Dental-shaped tables.

Everything comes from one ``random.Random(seed)``: the same seed and size give the same rows,
byte for byte. Rows are built as small dicts and bulk-inserted with ``executemany``.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crowndesk.odsim import cdt, names
from crowndesk.odsim.schema import TABLES, RowBuffer, create_all

CENT = Decimal("0.01")
ZERO = Decimal("0")
Row = dict[str, Any]

# Definition categories (Open Dental definition.Category numbers).
DEF_CATEGORIES: dict[int, list[tuple[str, str]]] = {
    1: [
        ("Discount", "-"),
        ("Professional Courtesy", "-"),
        ("Finance Charge", "+"),
        ("Billing Charge", "+"),
        ("Insurance Adjustment", "-"),
    ],
    2: [
        ("Not Called", ""),
        ("Sent", ""),
        ("Confirmed", ""),
        ("Not Accepted", ""),
        ("Failed", ""),
        ("Left Message", ""),
    ],
    4: [
        ("Standard Account", ""),
        ("Insurance Only", ""),
        ("Collections", ""),
        ("Finance Charge Exempt", ""),
    ],
    10: [("Check", ""), ("Cash", ""), ("Credit Card", ""), ("Care Credit", "")],
    11: [(n, "") for n in cdt.PROC_CATEGORIES],
    13: [("Do Not Call", ""), ("Patient Will Call", ""), ("Left Message", "")],
    16: [("Caries", ""), ("Fracture", ""), ("Periodontal Disease", ""), ("Abscess", "")],
    20: [("1", ""), ("2", ""), ("3", "")],
    27: [
        ("Appt Related", "APPT"),
        ("Insurance", ""),
        ("Financial", "FIN"),
        ("Recall", "RECALL"),
        ("Misc", "MISC"),
    ],
    29: [("Prepayment", "")],
    30: [("Good", ""), ("Fair", ""), ("Poor", "")],
    32: [("Check", ""), ("EFT", "N")],
    35: [
        ("General", ""),
        ("Hygienist", ""),
        ("Endodontics", ""),
        ("Oral Surgery", ""),
        ("Orthodontics", ""),
        ("Periodontics", ""),
    ],
    36: [("Denied", ""), ("Partial Payment", "")],
    40: [("Default", "")],
}

POST_TEETH = [
    "2",
    "3",
    "4",
    "5",
    "12",
    "13",
    "14",
    "15",
    "18",
    "19",
    "20",
    "21",
    "28",
    "29",
    "30",
    "31",
]
ANT_TEETH = ["6", "7", "8", "9", "10", "11", "22", "23", "24", "25", "26", "27"]
PREMOLARS = ["4", "5", "12", "13", "20", "21", "28", "29"]
MOLARS = ["2", "3", "14", "15", "18", "19", "30", "31"]
WISDOM = ["1", "16", "17", "32"]
PERM_MOLARS = ["3", "14", "19", "30", "2", "15", "18", "31"]
PRIMARY = list("ABCDEFGHIJKLMNOPQRST")
ANY_TEETH = [str(n) for n in range(2, 16)] + [str(n) for n in range(18, 32)]
POST_SURF = {
    1: ["O", "O", "B", "L", "M", "D"],
    2: ["MO", "DO", "OB", "OL"],
    3: ["MOD", "MOB", "DOL", "MOL"],
    4: ["MODB", "MODL", "MODBL"],
}
ANT_SURF = {
    1: ["F", "M", "D", "L"],
    2: ["MF", "DF", "ML", "DL", "MI"],
    3: ["MFL", "DFL", "MIF"],
    4: ["MIFL", "DIFL"],
}
CODE_ARCH = {"D5110": "U", "D5120": "L", "D5213": "U", "D5214": "L", "D1516": "U"}

# Proc status numbers (schema) and appointment status numbers.
TP, C, EC, EO, R, D, CN, TPI = 1, 2, 3, 4, 5, 6, 7, 8
APT_SCHEDULED, APT_COMPLETE, APT_UNSCHED, APT_BROKEN, APT_PLANNED = 1, 2, 3, 5, 6
APT_PTNOTE, APT_PTNOTE_DONE = 7, 8
# Claimproc status numbers.
CP_NOTREC, CP_REC, CP_PREAUTH, CP_ADJ, CP_SUPP, CP_CAPCLAIM, CP_EST = 0, 1, 2, 3, 4, 5, 6
CP_CAPCOMPLETE, CP_CAPEST, CP_INSHIST = 7, 8, 9

FINDINGS: list[tuple[list[str], float]] = [
    (["D2391"], 14),
    (["D2392"], 14),
    (["D2393"], 7),
    (["D2394"], 3),
    (["D2140"], 3),
    (["D2150"], 3),
    (["D2330"], 4),
    (["D2331"], 4),
    (["D2332"], 2),
    (["D2335"], 1),
    (["D2950", "D2740"], 6),
    (["D2750"], 3),
    (["D2790"], 2),
    (["D2962"], 1),
    (["D3330", "D2950", "D2740"], 3),
    (["D3320"], 1),
    (["D3310"], 1),
    (["D4341", "D4341"], 4),
    (["D4342"], 2),
    (["D7140"], 4),
    (["D7210"], 2),
    (["D7240"], 2),
    (["D7230"], 1),
    (["D6010", "D6056", "D6058"], 1),
    (["D6750", "D6240", "D6750"], 1),
    (["D9944"], 2),
    (["D9972"], 1),
    (["D2920"], 1),
    (["D9110"], 1),
    (["D0140", "D0220"], 3),
    (["D4381"], 1),
    (["D5110"], 0.5),
    (["D5214"], 0.5),
    (["D9910"], 1),
]
KID_FINDINGS: list[tuple[list[str], float]] = [
    (["D1351", "D1351"], 10),
    (["D2391"], 6),
    (["D2930"], 3),
    (["D3220", "D2930"], 2),
    (["D7140"], 2),
    (["D1510"], 1),
    (["D8660", "D8080"], 1),
]


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_dt(value: datetime) -> str:
    return value.isoformat(" ", "seconds")


@dataclass(slots=True)
class PlanInfo:
    plan_num: int
    carrier_num: int
    carrier_name: str
    plan_type: str
    fee_sched: int
    percents: dict[str, int]
    deductible: Decimal
    annual_max: Decimal
    month_renew: int


@dataclass(slots=True)
class Coverage:
    ordinal: int
    plan: PlanInfo
    ins_sub: int
    relationship: int


@dataclass(slots=True)
class Person:
    pat_num: int
    guarantor: int
    birthdate: date
    status: int
    pri_prov: int
    sec_prov: int
    first_visit: date | None
    coverages: list[Coverage] = field(default_factory=list)
    stamp: datetime = datetime(2000, 1, 1)  # noqa: DTZ001 - office wall clock, no zone


@dataclass(slots=True)
class GenerationResult:
    patients: int
    rows: dict[str, int]
    seconds: float


class Ids:
    """Next primary key per table."""

    def __init__(self, conn: sqlite3.Connection | None = None) -> None:
        self.next: dict[str, int] = {t: 1 for t in TABLES}
        if conn is not None:
            for table, cols in TABLES.items():
                (mx,) = conn.execute(
                    f"SELECT COALESCE(MAX({cols[0][0]}), 0) FROM {table}"
                ).fetchone()
                self.next[table] = int(mx) + 1

    def take(self, table: str) -> int:
        n = self.next[table]
        self.next[table] = n + 1
        return n


class PracticeGenerator:
    def __init__(self, seed: int, patients: int, now: datetime, years: int = 3) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.n_patients = patients
        self.now = now
        self.today = now.date()
        self.start = self.today - timedelta(days=365 * years)
        self.buf = RowBuffer()
        self.ids = Ids()
        self.defs: dict[tuple[int, str], int] = {}
        self.codes: dict[str, int] = {}
        self.code_cat: dict[str, str] = {}
        self.fees: dict[tuple[int, int], Decimal] = {}
        self.std_sched = 0
        self.plans: list[PlanInfo] = []
        self.dentists: list[int] = []
        self.hygienists: list[int] = []
        self.ops: list[int] = []
        self.hyg_ops: list[int] = []
        self.prov_sched: dict[int, int] = {}
        self.claimprocs: list[Row] = []
        self.received: list[tuple[int, str, date, int]] = []  # carrier, name, date, index
        self.benefit_used: dict[tuple[int, int, int], list[Decimal]] = {}
        self.referrals_doc: list[int] = []
        self.referrals_src: list[int] = []
        self.covcat_num: dict[str, int] = {}
        self.touched: dict[int, datetime] = {}

    # ----------------------------------------------------------------- helpers
    def add(self, table: str, row: Row) -> Row:
        self.buf.add(table, row)
        return row

    def stamp(self, d: date, hour: int | None = None) -> datetime:
        rng = self.rng
        h = hour if hour is not None else rng.randint(8, 17)
        dt = datetime.combine(d, time(h, rng.randint(0, 59), rng.randint(0, 59)))
        return min(dt, self.now - timedelta(seconds=rng.randint(1, 3600)))

    def weekday_on_or_after(self, d: date) -> date:
        while d.weekday() >= 5:
            d += timedelta(days=1)
        return d

    def phone(self) -> str:
        r = self.rng
        return f"({r.choice(names.AREA_CODES)}){r.randint(200, 999)}-{r.randint(1000, 9999)}"

    # ----------------------------------------------------------------- setup tables
    def gen_definitions(self) -> None:
        for cat, items in DEF_CATEGORIES.items():
            for order, (name, value) in enumerate(items):
                num = self.ids.take("definition")
                self.defs[(cat, name)] = num
                self.add(
                    "definition",
                    {
                        "DefNum": num,
                        "Category": cat,
                        "ItemOrder": order,
                        "ItemName": name,
                        "ItemValue": value,
                    },
                )

    def gen_codes(self) -> None:
        stamp = fmt_dt(datetime.combine(self.start - timedelta(days=30), time(9, 0)))
        for code in cdt.CODES:
            num = self.ids.take("procedurecode")
            self.codes[code.code] = num
            self.code_cat[code.code] = code.category
            self.add(
                "procedurecode",
                {
                    "CodeNum": num,
                    "ProcCode": code.code,
                    "Descript": code.descript,
                    "AbbrDesc": code.abbr,
                    "ProcTime": code.proc_time,
                    "ProcCat": self.defs[(11, code.proc_cat)],
                    "TreatArea": code.treat_area,
                    "IsProsth": int(code.is_prosth),
                    "IsHygiene": int(code.is_hygiene),
                    "PaintType": code.paint,
                    "BaseUnits": 0,
                    "DateTStamp": stamp,
                    "IsRadiology": int(code.is_radiology),
                    "LaymanTerm": "",
                    "NoBillIns": int(code.code in ("D9986", "D9987")),
                },
            )
        order = 0
        for key, desc, pct, ebcat, spans in cdt.COVERAGE_CATEGORIES:
            num = self.ids.take("covcat")
            self.covcat_num[key] = num
            self.add(
                "covcat",
                {
                    "CovCatNum": num,
                    "Description": desc,
                    "DefaultPercent": pct,
                    "CovOrder": order,
                    "EbenefitCat": ebcat,
                },
            )
            order += 1
            for lo, hi in spans:
                self.add(
                    "covspan",
                    {
                        "CovSpanNum": self.ids.take("covspan"),
                        "CovCatNum": num,
                        "FromCode": lo,
                        "ToCode": hi,
                    },
                )

    def gen_fee_schedules(self) -> list[tuple[int, Decimal]]:
        rng = self.rng
        entry = self.start - timedelta(days=60)
        stamp = fmt_dt(datetime.combine(entry, time(10, 0)))
        scheds: list[tuple[int, Decimal]] = []
        names_ = ["Standard", "Summit PPO", "Harbor PPO", "Keystone PPO", "Evergreen PPO"]
        n_ppo = rng.randint(2, 4)
        for i, desc in enumerate(names_[: 1 + n_ppo]):
            num = self.ids.take("feesched")
            factor = Decimal(1) if i == 0 else Decimal(rng.randint(60, 85)) / 100
            scheds.append((num, factor))
            self.add(
                "feesched",
                {
                    "FeeSchedNum": num,
                    "Description": desc,
                    "FeeSchedType": 0,
                    "ItemOrder": i,
                    "IsGlobal": 1,
                    "SecDateEntry": entry.isoformat(),
                    "SecDateTEdit": stamp,
                },
            )
        self.std_sched = scheds[0][0]
        for sched, factor in scheds:
            for code in cdt.CODES:
                code_num = self.codes[code.code]
                amount = (code.fee * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)
                self.fees[(sched, code_num)] = amount
                self.add(
                    "fee",
                    {
                        "FeeNum": self.ids.take("fee"),
                        "Amount": money(amount),
                        "FeeSched": sched,
                        "CodeNum": code_num,
                        "SecDateEntry": entry.isoformat(),
                        "SecDateTEdit": stamp,
                    },
                )
        return scheds

    def gen_providers(self) -> None:
        rng = self.rng
        n = min(6, 2 + self.n_patients // 2000 + rng.randint(0, 2))
        n_hyg = 1 if n < 4 else 2
        stamp = fmt_dt(datetime.combine(self.start - timedelta(days=20), time(12, 0)))
        for i in range(n):
            num = self.ids.take("provider")
            hyg = i >= n - n_hyg
            female = rng.random() < 0.5
            fname = rng.choice(names.FEMALE_FIRST if female else names.MALE_FIRST)
            lname = rng.choice(names.LAST)
            abbr = (("H" if hyg else "D") + lname[:3] + str(num)).upper()
            former = (not hyg) and i > 0 and n >= 4 and i == n - n_hyg - 1
            self.add(
                "provider",
                {
                    "ProvNum": num,
                    "Abbr": abbr,
                    "LName": lname,
                    "FName": fname,
                    "MI": rng.choice("ABCDEJKLMRST"),
                    "Suffix": "" if hyg else "DDS",
                    "FeeSched": self.std_sched,
                    "Specialty": self.defs[(35, "Hygienist" if hyg else "General")],
                    "SSN": f"{rng.randint(100, 899)}{rng.randint(10, 99)}{rng.randint(1000, 9999)}",
                    "StateLicense": f"OR{rng.randint(10000, 99999)}",
                    "IsSecondary": int(hyg),
                    "ProvColor": rng.randint(0, 0xFFFFFF),
                    "SigOnFile": 1,
                    "NationalProvID": str(1000000000 + rng.randint(0, 899999999)),
                    "DateTStamp": stamp,
                    "ProvStatus": 1 if former else 0,
                    "IsHidden": int(former),
                    "Birthdate": date(
                        rng.randint(1955, 1992), rng.randint(1, 12), rng.randint(1, 28)
                    ).isoformat(),
                    "PreferredName": fname,
                },
            )
            if former:
                continue
            (self.hygienists if hyg else self.dentists).append(num)
        n_ops = min(10, max(3, 3 + self.n_patients // 1500 + rng.randint(0, 2)))
        for i in range(n_ops):
            num = self.ids.take("operatory")
            hyg = i >= max(1, n_ops // 2)
            self.add(
                "operatory",
                {
                    "OperatoryNum": num,
                    "OpName": f"{'Hygiene' if hyg else 'Op'} {i + 1}",
                    "Abbrev": f"{'H' if hyg else 'O'}{i + 1}",
                    "ItemOrder": i,
                    "ProvDentist": 0 if hyg else self.dentists[i % len(self.dentists)],
                    "ProvHygienist": self.hygienists[i % len(self.hygienists)] if hyg else 0,
                    "IsHygiene": int(hyg),
                    "IsWebSched": int(hyg and i % 2 == 0),
                },
            )
            (self.hyg_ops if hyg else self.ops).append(num)

    def gen_insurance_setup(self, scheds: list[tuple[int, Decimal]]) -> None:
        rng = self.rng
        n_carriers = min(len(names.CARRIERS), max(4, self.n_patients // 300))
        carriers: list[tuple[int, str]] = []
        stamp_d = self.start - timedelta(days=45)
        stamp = fmt_dt(datetime.combine(stamp_d, time(11, 0)))
        for name, elect in names.CARRIERS[:n_carriers]:
            num = self.ids.take("carrier")
            city, state, zip3 = rng.choice(names.CITIES)
            carriers.append((num, name))
            self.add(
                "carrier",
                {
                    "CarrierNum": num,
                    "CarrierName": name,
                    "Address": f"PO Box {rng.randint(100, 9999)}",
                    "City": city,
                    "State": state,
                    "Zip": f"{zip3}{rng.randint(10, 99)}",
                    "Phone": self.phone(),
                    "ElectID": elect,
                    "NoSendElect": 1 if rng.random() < 0.08 else 0,
                    "SecDateTEdit": stamp,
                },
            )
        n_plans = max(4, min(3000, self.n_patients // 30))
        ppo_scheds = [s for s, _ in scheds[1:]]
        for i in range(n_plans):
            carrier_num, carrier_name = carriers[i % len(carriers)]
            ppo = rng.random() < 0.6
            plan_type = "p" if ppo else ""
            sched = rng.choice(ppo_scheds) if ppo else 0
            num = self.ids.take("insplan")
            basic = rng.choice([80, 80, 80, 70, 90])
            major = rng.choice([50, 50, 50, 60, 40])
            prev = rng.choice([100, 100, 100, 90])
            percents = {
                "diag": prev,
                "xray": prev,
                "prev": prev,
                "resto": basic,
                "endo": basic,
                "perio": basic,
                "surg": basic,
                "adj": basic,
                "crown": major,
                "prosth": major,
                "maxpro": major,
            }
            has_ortho = rng.random() < 0.3
            if has_ortho:
                percents["ortho"] = 50
            ded = Decimal(rng.choice([25, 50, 50, 50, 75, 100]))
            amax = Decimal(rng.choice([1000, 1000, 1500, 1500, 2000, 2500]))
            renew = 0 if rng.random() < 0.8 else rng.randint(1, 12)
            info = PlanInfo(
                num, carrier_num, carrier_name, plan_type, sched, percents, ded, amax, renew
            )
            self.plans.append(info)
            group = rng.choice(names.EMPLOYER_GROUPS)
            self.add(
                "insplan",
                {
                    "PlanNum": num,
                    "GroupName": group,
                    "GroupNum": f"{rng.randint(10000, 999999)}",
                    "FeeSched": sched,
                    "PlanType": plan_type,
                    "ClaimFormNum": 1,
                    "CarrierNum": carrier_num,
                    "MonthRenew": renew,
                    "CobRule": 0,
                    "SecDateEntry": stamp_d.isoformat(),
                    "SecDateTEdit": stamp,
                    "PlanNote": "" if rng.random() < 0.8 else "Verify benefits every January.",
                },
            )
            period = 2 if renew == 0 else 1  # CalendarYear or ServiceYear
            ben: list[Row] = []
            for key, pct in percents.items():
                ben.append(
                    {
                        "CovCatNum": self.covcat_num[key],
                        "BenefitType": 1,
                        "Percent": pct,
                        "TimePeriod": period,
                    }
                )
            ben.append(
                {
                    "BenefitType": 2,
                    "MonetaryAmt": money(ded),
                    "TimePeriod": period,
                    "CoverageLevel": 1,
                }
            )
            ben.append(
                {
                    "BenefitType": 2,
                    "MonetaryAmt": money(ded * 3),
                    "TimePeriod": period,
                    "CoverageLevel": 2,
                }
            )
            for key in ("diag", "xray", "prev"):
                ben.append(
                    {
                        "CovCatNum": self.covcat_num[key],
                        "BenefitType": 2,
                        "MonetaryAmt": "0",
                        "TimePeriod": period,
                        "CoverageLevel": 1,
                    }
                )
            ben.append(
                {
                    "BenefitType": 5,
                    "MonetaryAmt": money(amax),
                    "TimePeriod": period,
                    "CoverageLevel": 1,
                }
            )
            for code, qty in (("D0120", 2), ("D1110", 2), ("D0274", 1)):
                ben.append(
                    {
                        "BenefitType": 5,
                        "CodeNum": self.codes[code],
                        "Quantity": qty,
                        "QuantityQualifier": 1,
                        "TimePeriod": period,
                    }
                )
            ben.append(
                {
                    "BenefitType": 5,
                    "CodeNum": self.codes["D0210"],
                    "Quantity": 5,
                    "QuantityQualifier": 4,
                    "TimePeriod": 0,
                }
            )
            ben.append(
                {
                    "BenefitType": 5,
                    "CovCatNum": self.covcat_num["prev"],
                    "Quantity": 16,
                    "QuantityQualifier": 2,
                    "TimePeriod": 0,
                    "CodeNum": 0,
                }
            )
            if has_ortho:
                ben.append(
                    {
                        "BenefitType": 5,
                        "CovCatNum": self.covcat_num["ortho"],
                        "MonetaryAmt": money(Decimal(rng.choice([1000, 1500, 2000]))),
                        "TimePeriod": 3,
                        "CoverageLevel": 1,
                    }
                )
            if rng.random() < 0.25:
                ben.append(
                    {
                        "BenefitType": 6,
                        "CovCatNum": self.covcat_num["crown"],
                        "Quantity": 12,
                        "QuantityQualifier": 5,
                    }
                )
            for b in ben:
                b.setdefault("MonetaryAmt", "-1")
                b.setdefault("Percent", -1)
                b["BenefitNum"] = self.ids.take("benefit")
                b["PlanNum"] = num
                b["SecDateTEntry"] = stamp
                b["SecDateTEdit"] = stamp
                self.add("benefit", b)

    def gen_referrals(self) -> None:
        rng = self.rng
        stamp = fmt_dt(datetime.combine(self.start - timedelta(days=10), time(15, 0)))
        specialties = [
            ("Endodontics", "Endo"),
            ("Oral Surgery", "Surgery"),
            ("Orthodontics", "Ortho"),
            ("Periodontics", "Perio"),
        ]
        for i in range(max(4, min(40, self.n_patients // 100))):
            num = self.ids.take("referral")
            spec, word = specialties[i % len(specialties)]
            city, state, zip3 = rng.choice(names.CITIES)
            lname = rng.choice(names.LAST)
            self.add(
                "referral",
                {
                    "ReferralNum": num,
                    "LName": lname,
                    "FName": rng.choice(names.MALE_FIRST),
                    "Specialty": self.defs[(35, spec)],
                    "ST": state,
                    "Telephone": self.phone(),
                    "Address": f"{rng.randint(100, 9999)} {rng.choice(names.STREETS)} St",
                    "City": city,
                    "Zip": f"{zip3}{rng.randint(10, 99)}",
                    "Title": "DDS",
                    "IsDoctor": 1,
                    "DateTStamp": stamp,
                    "IsPreferred": int(i < 4),
                    "BusinessName": f"{city} {word} Group",
                    "EMail": f"office{num}@example.com",
                    "NationalProvID": str(1000000000 + rng.randint(0, 899999999)),
                },
            )
            self.referrals_doc.append(num)
        for src in [
            "Google Search",
            "Practice Website",
            "Insurance Directory",
            "Drive-by",
            "Social Media",
            "Friend or Family",
        ]:
            num = self.ids.take("referral")
            self.add(
                "referral", {"ReferralNum": num, "LName": src, "NotPerson": 1, "DateTStamp": stamp}
            )
            self.referrals_src.append(num)

    # ----------------------------------------------------------------- people
    def gen_people(self) -> None:
        rng = self.rng
        made = 0
        while made < self.n_patients:
            size = rng.choices([1, 2, 3, 4, 5], weights=[35, 25, 15, 15, 10])[0]
            size = min(size, self.n_patients - made)
            self.gen_family(size)
            made += size

    def gen_family(self, size: int) -> None:
        rng = self.rng
        lname = rng.choice(names.LAST)
        city, state, zip3 = rng.choice(names.CITIES)
        address = (
            f"{rng.randint(100, 19999)} {rng.choice(names.STREETS)} "
            f"{rng.choice(names.STREET_KINDS)}"
        )
        zip_ = f"{zip3}{rng.randint(10, 99)}"
        hm_phone = self.phone()
        g_age = rng.randint(24, 82) if size == 1 else rng.randint(28, 60)
        members: list[tuple[int, int, int]] = []  # (age, gender, position)
        g_gender = rng.randint(0, 1)
        members.append((g_age, g_gender, 1 if size > 1 else rng.choice([0, 0, 3, 4])))
        for i in range(1, size):
            if i == 1 and rng.random() < 0.75:
                members.append((max(19, g_age + rng.randint(-5, 5)), 1 - g_gender, 1))
            else:
                members.append((rng.randint(1, max(1, min(24, g_age - 19))), rng.randint(0, 1), 2))
        fam_first_visit = self.start + timedelta(
            days=rng.randint(-400, max(1, (self.today - self.start).days - 7))
        )
        family_status = rng.random()
        pats: list[Person] = []
        guarantor = self.ids.next["patient"]
        dentist = rng.choice(self.dentists)
        hyg = rng.choice(self.hygienists)
        for idx, (age, gender, position) in enumerate(members):
            pat_num = self.ids.take("patient")
            status = 0
            roll = rng.random()
            if family_status < 0.05:
                status = 6  # Prospective
            elif family_status < 0.11:
                status = 2  # Inactive
            elif family_status < 0.13:
                status = 3  # Archived
            elif roll < 0.01:
                status = 5  # Deceased
            elif roll < 0.015:
                status = 4  # Deleted
            elif idx == 1 and roll < 0.05:
                status = 1  # NonPatient
            bday = self.today - timedelta(days=age * 365 + rng.randint(0, 364))
            first_visit: date | None = None
            if status in (0, 2, 3, 5):
                fv = fam_first_visit + timedelta(days=rng.randint(0, 20))
                first_visit = max(fv, self.start) if fv < self.today else None
                if first_visit is not None:
                    first_visit = self.weekday_on_or_after(first_visit)
                    if first_visit >= self.today:
                        first_visit = None
            fname = rng.choice(names.FEMALE_FIRST if gender else names.MALE_FIRST)
            person = Person(pat_num, guarantor, bday, status, dentist, hyg, first_visit)
            pats.append(person)
            entry = first_visit or self.today - timedelta(days=rng.randint(1, 200))
            entry = min(entry, self.today)
            person.stamp = self.stamp(entry)
            email = f"{fname.lower()}.{lname.lower()}{pat_num}@{rng.choice(names.EMAIL_DOMAINS)}"
            self.add(
                "patient",
                {
                    "PatNum": pat_num,
                    "LName": lname,
                    "FName": fname,
                    "MiddleI": rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.5 else "",
                    "Preferred": fname[:3] if rng.random() < 0.05 else "",
                    "PatStatus": status,
                    "Gender": gender,
                    "Position": position,
                    "Birthdate": bday.isoformat(),
                    "SSN": f"{rng.randint(100, 899)}{rng.randint(10, 99)}{rng.randint(1000, 9999)}"
                    if age >= 18 and rng.random() < 0.7
                    else "",
                    "Address": address,
                    "City": city,
                    "State": state,
                    "Zip": zip_,
                    "HmPhone": hm_phone,
                    "WkPhone": self.phone() if rng.random() < 0.3 else "",
                    "WirelessPhone": self.phone() if age >= 14 else "",
                    "Guarantor": guarantor,
                    "Email": email if age >= 16 else "",
                    "PriProv": dentist,
                    "SecProv": hyg if rng.random() < 0.6 else 0,
                    "BillingType": self.defs[(4, "Standard Account")],
                    "ChartNumber": f"{pat_num:06d}" if rng.random() < 0.5 else "",
                    "DateFirstVisit": first_visit.isoformat() if first_visit else "0001-01-01",
                    "PreferConfirmMethod": rng.choice([0, 4, 5, 8]),
                    "PreferContactMethod": rng.choice([0, 2, 4, 8]),
                    "PreferRecallMethod": rng.choice([0, 5, 8]),
                    "Language": rng.choice(["eng", "eng", "eng", "eng", "spa", ""]),
                    "TxtMsgOk": rng.choice([0, 1, 1, 2]) if age >= 14 else 0,
                    "SecDateEntry": entry.isoformat(),
                    "ImageFolder": f"{lname}{fname}{pat_num}",
                    "Premed": int(age > 60 and rng.random() < 0.1),
                },
            )
        self.gen_family_insurance(pats)
        ledger: dict[int, list[Decimal]] = {p.pat_num: [ZERO, ZERO] for p in pats}
        for p in pats:
            if p.status == 4:
                continue
            self.gen_history(p, ledger)
        self.finish_family(pats, ledger)

    def gen_family_insurance(self, pats: list[Person]) -> None:
        rng = self.rng
        if rng.random() >= 0.7 or not self.plans:
            return
        g = pats[0]
        plan = rng.choice(self.plans)
        eff = (g.first_visit or self.today) - timedelta(days=rng.randint(30, 900))
        subs: list[tuple[PlanInfo, int, int]] = []
        sub1 = self.ids.take("inssub")
        subs.append((plan, sub1, g.pat_num))
        sp = pats[1] if len(pats) > 1 and pats[1].birthdate.year < self.today.year - 18 else None
        if sp is not None and rng.random() < 0.15:
            plan2 = rng.choice(self.plans)
            subs.append((plan2, self.ids.take("inssub"), sp.pat_num))
        for plan_i, sub_num, subscriber in subs:
            stamp = self.stamp(min(eff + timedelta(days=rng.randint(0, 30)), self.today))
            self.add(
                "inssub",
                {
                    "InsSubNum": sub_num,
                    "PlanNum": plan_i.plan_num,
                    "Subscriber": subscriber,
                    "DateEffective": eff.isoformat(),
                    "ReleaseInfo": 1,
                    "AssignBen": 1,
                    "SubscriberID": f"{rng.choice('ABCXYZW')}{rng.randint(10000000, 99999999)}",
                    "SecDateEntry": eff.isoformat(),
                    "SecDateTEdit": fmt_dt(stamp),
                },
            )
        for i, p in enumerate(pats):
            if p.status in (4, 6) and rng.random() < 0.5:
                continue
            order = list(subs)
            if i == 1 and len(subs) == 2:
                order.reverse()
            for ordinal, (plan_i, sub_num, subscriber) in enumerate(order, start=1):
                if subscriber == p.pat_num:
                    rel = 0
                elif i == 1 or (i == 0 and len(subs) == 2):
                    rel = 1
                else:
                    rel = 2
                num = self.ids.take("patplan")
                p.coverages.append(Coverage(ordinal, plan_i, sub_num, rel))
                pp_stamp = fmt_dt(
                    self.stamp(min(eff + timedelta(days=rng.randint(0, 40)), self.today))
                )
                self.add(
                    "patplan",
                    {
                        "PatPlanNum": num,
                        "PatNum": p.pat_num,
                        "Ordinal": ordinal,
                        "IsPending": int(rng.random() < 0.02),
                        "Relationship": rel,
                        "InsSubNum": sub_num,
                        "OrthoAutoFeeBilledOverride": "-1",
                        "SecDateTEntry": pp_stamp,
                        "SecDateTEdit": pp_stamp,
                    },
                )
                if rng.random() < 0.01:
                    self.add(
                        "benefit",
                        {
                            "BenefitNum": self.ids.take("benefit"),
                            "PatPlanNum": num,
                            "BenefitType": 5,
                            "MonetaryAmt": money(Decimal(rng.choice([500, 750]))),
                            "Percent": -1,
                            "TimePeriod": 2,
                            "CoverageLevel": 1,
                            "SecDateTEntry": pp_stamp,
                            "SecDateTEdit": pp_stamp,
                        },
                    )

    # ----------------------------------------------------------------- clinical history
    def pick_area(self, code: str, kid: bool) -> tuple[str, str, str]:
        """Tooth number, surfaces and tooth range that make sense for the code."""
        rng = self.rng
        info = cdt.BY_CODE[code]
        area = info.area
        if code in CODE_ARCH:
            return "", CODE_ARCH[code], ""
        if area == "surf_post":
            tooth = (
                rng.choice(["A", "B", "I", "J", "K", "L", "S", "T"])
                if kid and rng.random() < 0.5
                else rng.choice(POST_TEETH)
            )
            return tooth, rng.choice(POST_SURF[info.surfaces]), ""
        if area == "surf_ant":
            return rng.choice(ANT_TEETH), rng.choice(ANT_SURF[info.surfaces]), ""
        if area == "tooth_ant":
            return rng.choice(ANT_TEETH), "", ""
        if area == "tooth_post":
            return rng.choice(PREMOLARS), "", ""
        if area == "tooth_molar":
            return rng.choice(WISDOM if code in ("D7220", "D7230", "D7240") else MOLARS), "", ""
        if area == "tooth_primary":
            return rng.choice(PRIMARY), "", ""
        if area == "tooth_perm_molar":
            return rng.choice(PERM_MOLARS), "", ""
        if area == "tooth_any":
            return (
                (rng.choice(PRIMARY) if kid and code == "D7140" else rng.choice(ANY_TEETH)),
                "",
                "",
            )
        if area == "quad":
            return "", rng.choice(["UR", "UL", "LR", "LL"]), ""
        if area == "arch":
            return "", rng.choice(["U", "L"]), ""
        if area == "range":
            start = rng.choice([6, 7, 8, 9, 22, 23, 24, 25])
            return "", "", ",".join(str(t) for t in range(start, start + rng.randint(2, 3)))
        return "", "", ""

    def proc_fee(self, code_num: int) -> Decimal:
        return self.fees[(self.std_sched, code_num)]

    def new_proc(
        self,
        p: Person,
        code: str,
        status: int,
        when: date,
        prov: int,
        apt: int = 0,
        kid: bool = False,
        area: tuple[str, str, str] | None = None,
        stamp: datetime | None = None,
        date_tp: date | None = None,
    ) -> Row:
        code_num = self.codes[code]
        tooth, surf, trange = area if area is not None else self.pick_area(code, kid)
        fee = self.proc_fee(code_num) if status in (TP, C, TPI, R, D) else ZERO
        stamp = stamp or self.stamp(when)
        row: Row = {
            "ProcNum": self.ids.take("procedurelog"),
            "PatNum": p.pat_num,
            "AptNum": apt,
            "ProcDate": when.isoformat(),
            "ProcFee": money(fee),
            "Surf": surf,
            "ToothNum": tooth,
            "ToothRange": trange,
            "ProcStatus": status,
            "ProvNum": prov,
            "CodeNum": code_num,
            "UnitQty": 1,
            "DateTStamp": fmt_dt(stamp),
            "SecDateEntry": fmt_dt(stamp),
            "DateTP": (date_tp or when).isoformat() if status in (TP, TPI, C, D) else "0001-01-01",
            "DateEntryC": when.isoformat() if status == C else "0001-01-01",
            "Prosthesis": "I" if cdt.BY_CODE[code].is_prosth and status == C else "",
            "DateOriginalProsth": "0001-01-01",
        }
        if status == C:
            prev = self.touched.get(p.pat_num)
            if prev is None or stamp > prev:
                self.touched[p.pat_num] = stamp
        if status in (TP, TPI):
            row["Priority"] = self.defs[(20, self.rng.choice(["1", "2", "3"]))]
        if cdt.BY_CODE[code].category in ("resto", "endo", "surg") and status in (TP, C, TPI):
            row["Dx"] = self.defs[(16, "Caries" if code < "D3000" else "Abscess")]
        self.add("procedurelog", row)
        return row

    def new_appt(
        self,
        p: Person,
        when: datetime,
        status: int,
        codes: list[str],
        hyg: bool,
        stamp: datetime,
        new_pat: bool = False,
        note: str = "",
    ) -> int:
        rng = self.rng
        minutes = sum(cdt.BY_CODE[c].minutes for c in codes) or 30
        slots = max(2, min(108, minutes // 5))
        pattern = "/" + "X" * (slots - 2) + "/"
        num = self.ids.take("appointment")
        op = rng.choice(self.hyg_ops if hyg and self.hyg_ops else self.ops)
        row: Row = {
            "AptNum": num,
            "PatNum": p.pat_num,
            "AptStatus": status,
            "Pattern": pattern,
            "Confirmed": self.defs[
                (
                    2,
                    "Confirmed"
                    if status == APT_COMPLETE
                    else rng.choice(["Not Called", "Sent", "Confirmed"]),
                )
            ],
            "Op": op if status not in (APT_PLANNED, APT_UNSCHED) else 0,
            "Note": note,
            "ProvNum": p.pri_prov,
            "ProvHyg": p.sec_prov if hyg else 0,
            "AptDateTime": fmt_dt(when) if status != APT_PLANNED else "0001-01-01 00:00:00",
            "IsNewPatient": int(new_pat),
            "ProcDescript": ", ".join(cdt.BY_CODE[c].abbr for c in codes),
            "IsHygiene": int(hyg),
            "DateTStamp": fmt_dt(stamp),
            "SecDateTEntry": fmt_dt(stamp),
            "PatternSecondary": "",
            "Priority": 0,
        }
        if p.coverages:
            row["InsPlan1"] = p.coverages[0].plan.plan_num
            if len(p.coverages) > 1:
                row["InsPlan2"] = p.coverages[1].plan.plan_num
        if status == APT_COMPLETE:
            row["DateTimeArrived"] = fmt_dt(when - timedelta(minutes=rng.randint(0, 10)))
            row["DateTimeSeated"] = fmt_dt(when + timedelta(minutes=rng.randint(0, 10)))
            row["DateTimeDismissed"] = fmt_dt(when + timedelta(minutes=minutes + 5))
        if status == APT_UNSCHED:
            row["UnschedStatus"] = self.defs[(13, rng.choice(["Do Not Call", "Patient Will Call"]))]
        self.add("appointment", row)
        return num

    def appt_time(self, d: date) -> datetime:
        return datetime.combine(d, time(self.rng.randint(8, 16), self.rng.choice([0, 20, 40])))

    def gen_history(self, p: Person, ledger: dict[int, list[Decimal]]) -> None:
        rng = self.rng
        if p.status == 6:
            if rng.random() < 0.5:
                when = self.appt_time(
                    self.weekday_on_or_after(self.today + timedelta(days=rng.randint(1, 40)))
                )
                self.new_appt(
                    p,
                    when,
                    APT_SCHEDULED,
                    ["D0150", "D0210"],
                    False,
                    self.stamp(self.today),
                    new_pat=True,
                )
            return
        if p.first_visit is None:
            return
        end = self.today
        if p.status in (2, 3, 5):
            end = p.first_visit + timedelta(days=rng.randint(200, 900))
            end = min(end, self.today)
        age_at = (p.first_visit - p.birthdate).days // 365
        kid = age_at < 14
        perio = (not kid) and rng.random() < 0.12
        if not kid:
            self.gen_existing(p, p.first_visit)
        if rng.random() < 0.5:
            self.gen_refattach(p, p.first_visit)
        d = p.first_visit
        visit = 0
        last_bwx = date.min
        last_fmx = date.min
        while d < end:
            when = self.appt_time(d)
            if when > self.now:
                break
            if visit > 0 and rng.random() < 0.05:  # a broken appointment, rebooked later
                self.gen_broken(p, when)
                d = self.weekday_on_or_after(d + timedelta(days=rng.randint(7, 21)))
                continue
            kid = (d - p.birthdate).days < 14 * 365
            codes: list[str]
            if visit == 0:
                codes = ["D0150", "D0210" if not kid else "D0272", "D1120" if kid else "D1110"]
                last_fmx = d
            else:
                codes = ["D0120", "D1120" if kid else ("D4910" if perio else "D1110")]
                if (d - last_bwx).days > 330:
                    codes.append("D0274" if not kid else "D0272")
                    last_bwx = d
                if (d - last_fmx).days > 5 * 365 - 30:
                    codes.append("D0330")
                    last_fmx = d
            if kid:
                codes.append("D1206")
            elif rng.random() < 0.05:
                codes.append("D0431")
            self.gen_visit(p, when, codes, True, visit == 0, ledger, kid)
            if rng.random() < (0.35 if visit == 0 else 0.18):
                self.gen_treatment(p, d, kid, ledger)
            visit += 1
            d = self.weekday_on_or_after(d + timedelta(days=rng.randint(160, 220)))
        if p.status == 0 and end >= self.today - timedelta(days=1):
            roll = rng.random()
            future = self.weekday_on_or_after(max(d, self.today + timedelta(days=1)))
            if roll < 0.75 and (future - self.today).days < 240:
                when = self.appt_time(future)
                apt = self.new_appt(
                    p,
                    when,
                    APT_SCHEDULED,
                    ["D0120", "D1110"],
                    True,
                    self.stamp(max(self.start, self.today - timedelta(days=rng.randint(1, 150)))),
                )
                for code in ("D0120", "D1120" if kid else "D1110"):
                    self.new_proc(
                        p,
                        code,
                        TP,
                        future,
                        p.sec_prov or p.pri_prov,
                        apt=apt,
                        kid=kid,
                        stamp=self.stamp(self.today - timedelta(days=1)),
                        date_tp=self.today,
                    )
            elif roll < 0.85:
                self.new_appt(
                    p,
                    self.appt_time(future),
                    APT_UNSCHED,
                    ["D0120", "D1110"],
                    True,
                    self.stamp(self.today - timedelta(days=rng.randint(1, 60))),
                )
            elif roll < 0.87:
                self.new_appt(
                    p,
                    self.appt_time(self.today - timedelta(days=rng.randint(1, 90))),
                    rng.choice([APT_PTNOTE, APT_PTNOTE_DONE]),
                    [],
                    False,
                    self.stamp(self.today - timedelta(days=1)),
                    note="Patient called about billing.",
                )

    def gen_existing(self, p: Person, d: date) -> None:
        rng = self.rng
        stamp = self.stamp(d)
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            code = rng.choice(["D2750", "D2391", "D2150", "D3330", "D2740"])
            status = rng.choice([EO, EO, EC])
            row = self.new_proc(
                p,
                code,
                status,
                d - timedelta(days=rng.randint(400, 4000)),
                0 if status == EO else p.pri_prov,
                stamp=stamp,
            )
            if status == EO and p.coverages and rng.random() < 0.3:
                self.add_claimproc(
                    p,
                    row,
                    p.coverages[0],
                    CP_INSHIST,
                    claim=0,
                    ins_est=ZERO,
                    ded=ZERO,
                    writeoff=ZERO,
                    paid=ZERO,
                    when=d,
                )
        if rng.random() < 0.2:
            self.new_proc(p, rng.choice(["D7140", "D2140"]), CN, d, p.pri_prov, stamp=stamp)
        if rng.random() < 0.04:
            row = self.new_proc(p, rng.choice(["D3330", "D7240"]), R, d, p.pri_prov, stamp=stamp)
            self.gen_refattach(p, d, proc=row)

    def gen_refattach(self, p: Person, d: date, proc: Row | None = None) -> None:
        rng = self.rng
        ref_to = proc is not None
        src = rng.choice(self.referrals_doc if ref_to or rng.random() < 0.3 else self.referrals_src)
        self.add(
            "refattach",
            {
                "RefAttachNum": self.ids.take("refattach"),
                "ReferralNum": src,
                "PatNum": p.pat_num,
                "ItemOrder": 0,
                "RefDate": d.isoformat(),
                "RefType": 0 if ref_to else 1,
                "RefToStatus": rng.choice([0, 2, 3, 4, 5]) if ref_to else 0,
                "ProcNum": proc["ProcNum"] if proc else 0,
                "ProvNum": p.pri_prov if ref_to else 0,
                "DateTStamp": fmt_dt(self.stamp(d)),
            },
        )

    def gen_broken(self, p: Person, when: datetime) -> None:
        rng = self.rng
        missed = rng.random() < 0.6
        stamp = self.stamp(when.date())
        apt = self.new_appt(p, when, APT_BROKEN, ["D0120", "D1110"], True, stamp)
        code = "D9986" if missed else "D9987"
        self.new_proc(p, code, C, when.date(), p.pri_prov, stamp=stamp)
        hist = self.ids.take("histappointment")
        self.add(
            "histappointment",
            {
                "HistApptNum": hist,
                "HistDateTStamp": fmt_dt(stamp),
                "HistApptAction": 2 if missed else 3,
                "AptNum": apt,
                "PatNum": p.pat_num,
                "AptStatus": APT_BROKEN,
                "Pattern": "/XXXXXXXX/",
                "AptDateTime": fmt_dt(when),
                "ProvNum": p.pri_prov,
                "DateTStamp": fmt_dt(stamp),
            },
        )
        if rng.random() < 0.3:
            # Staff deleted a duplicate booking: the row is gone, a trace remains.
            gone = self.ids.take("appointment")
            self.add(
                "deletedobject",
                {
                    "DeletedObjectNum": self.ids.take("deletedobject"),
                    "ObjectNum": gone,
                    "ObjectType": 0,
                    "DateTStamp": fmt_dt(stamp),
                },
            )
            self.add(
                "histappointment",
                {
                    "HistApptNum": self.ids.take("histappointment"),
                    "HistDateTStamp": fmt_dt(stamp),
                    "HistApptAction": 4,
                    "AptNum": gone,
                    "PatNum": p.pat_num,
                    "AptStatus": 1,
                    "AptDateTime": fmt_dt(when),
                    "ProvNum": p.pri_prov,
                    "DateTStamp": fmt_dt(stamp),
                },
            )

    def gen_visit(
        self,
        p: Person,
        when: datetime,
        codes: list[str],
        hyg: bool,
        new_pat: bool,
        ledger: dict[int, list[Decimal]],
        kid: bool,
    ) -> list[Row]:
        stamp = min(when + timedelta(minutes=90), self.now - timedelta(seconds=30))
        apt = self.new_appt(p, when, APT_COMPLETE, codes, hyg, stamp, new_pat=new_pat)
        procs = []
        for code in codes:
            prov = (
                p.sec_prov if (hyg and cdt.BY_CODE[code].is_hygiene and p.sec_prov) else p.pri_prov
            )
            procs.append(
                self.new_proc(p, code, C, when.date(), prov, apt=apt, kid=kid, stamp=stamp)
            )
        self.bill(p, procs, when.date(), ledger)
        return procs

    def gen_treatment(
        self, p: Person, d: date, kid: bool, ledger: dict[int, list[Decimal]]
    ) -> None:
        rng = self.rng
        table = KID_FINDINGS if kid else FINDINGS
        picks = rng.choices(
            [c for c, _ in table], weights=[w for _, w in table], k=rng.choice([1, 1, 1, 2, 3])
        )
        codes = [c for group in picks for c in group]
        # Procedures in one finding share the tooth (e.g. RCT + build-up + crown).
        found: list[tuple[str, tuple[str, str, str]]] = []
        for group in picks:
            area = self.pick_area(group[0], kid)
            for c in group:
                a = (
                    area
                    if cdt.BY_CODE[c].area == cdt.BY_CODE[group[0]].area
                    else self.pick_area(c, kid)
                )
                found.append((c, a))
        tp_stamp = self.stamp(d)
        later = self.weekday_on_or_after(d + timedelta(days=rng.randint(10, 60)))
        fate = rng.random()
        preauth = (
            any(cdt.BY_CODE[c].category in ("crown", "prosth") for c in codes)
            and p.coverages
            and rng.random() < 0.4
        )
        if later >= self.today or fate < 0.2:
            # Still planned: active treatment plan, estimates, maybe a booked or planned visit.
            status = TPI if fate < 0.05 else TP
            apt = 0
            planned = 0
            if status == TP and later > self.today and rng.random() < 0.6:
                apt = self.new_appt(p, self.appt_time(later), APT_SCHEDULED, codes, False, tp_stamp)
            elif status == TP and rng.random() < 0.5:
                planned = self.new_appt(
                    p, self.appt_time(later), APT_PLANNED, codes, False, tp_stamp
                )
            rows = []
            for c, a in found:
                row = self.new_proc(
                    p, c, status, d, p.pri_prov, apt=apt, area=a, stamp=tp_stamp, kid=kid
                )
                row["PlannedAptNum"] = planned
                rows.append(row)
                if status == TP and rng.random() < 0.02:
                    row["ProcStatus"] = D
                    row["AptNum"] = 0
            self.buf.rows["procedurelog"][-len(rows) :] = []
            for row in rows:
                self.add("procedurelog", row)
                if row["ProcStatus"] in (TP, TPI) and p.coverages:
                    self.estimate(p, row, d)
            if preauth:
                self.gen_claim(p, rows, d, ledger, preauth=True)
            self.gen_saved_plan(p, rows, d)
            return
        when = self.appt_time(later)
        stamp = min(when + timedelta(minutes=120), self.now - timedelta(seconds=30))
        apt = self.new_appt(p, when, APT_COMPLETE, codes, False, stamp)
        rows = [
            self.new_proc(
                p, c, C, later, p.pri_prov, apt=apt, area=a, stamp=stamp, date_tp=d, kid=kid
            )
            for c, a in found
        ]
        if preauth:
            pre_rows = [dict(r, ProcStatus=TP) for r in rows]
            self.gen_claim(p, pre_rows, d, ledger, preauth=True)
        self.gen_saved_plan(p, rows, d)
        self.bill(p, rows, later, ledger)

    def gen_saved_plan(self, p: Person, rows: list[Row], d: date) -> None:
        rng = self.rng
        if rng.random() >= 0.4:
            return
        num = self.ids.take("treatplan")
        signed = rng.random() < 0.5
        stamp = fmt_dt(self.stamp(d))
        self.add(
            "treatplan",
            {
                "TreatPlanNum": num,
                "PatNum": p.pat_num,
                "DateTP": d.isoformat(),
                "Heading": "Proposed treatment",
                "Note": "Estimate valid for 90 days.",
                "Signature": "sig:" + str(num) if signed else "",
                "ResponsParty": p.guarantor,
                "TPStatus": 0,
                "SecDateEntry": d.isoformat(),
                "SecDateTEdit": stamp,
                "DateTSigned": stamp if signed else "0001-01-01 00:00:00",
                "SignatureText": "Signed by patient" if signed else "",
            },
        )
        for i, row in enumerate(rows):
            code = cdt.BY_CODE[self.code_of(row)]
            fee = Decimal(row["ProcFee"])
            ins = ZERO
            if p.coverages:
                pct = p.coverages[0].plan.percents.get(code.category, 0)
                ins = q(fee * pct / 100)
            self.add(
                "proctp",
                {
                    "ProcTPNum": self.ids.take("proctp"),
                    "TreatPlanNum": num,
                    "PatNum": p.pat_num,
                    "ProcNumOrig": row["ProcNum"],
                    "ItemOrder": i,
                    "Priority": row.get("Priority", 0),
                    "ToothNumTP": row["ToothNum"],
                    "Surf": row["Surf"] or row["ToothRange"],
                    "ProcCode": code.code,
                    "Descript": code.descript,
                    "FeeAmt": money(fee),
                    "PriInsAmt": money(ins),
                    "SecInsAmt": "0",
                    "PatAmt": money(fee - ins),
                    "Discount": "0",
                    "ProcAbbr": code.abbr,
                    "SecDateEntry": d.isoformat(),
                    "SecDateTEdit": stamp,
                    "FeeAllowed": money(fee),
                    "TaxAmt": "0",
                    "ProvNum": row["ProvNum"],
                    "DateTP": d.isoformat(),
                    "CatPercUCR": money(fee),
                },
            )

    def code_of(self, row: Row) -> str:
        return str(cdt.CODES[row["CodeNum"] - 1].code)

    # ----------------------------------------------------------------- insurance money
    def allowed(self, plan: PlanInfo, code_num: int, fee: Decimal) -> Decimal:
        if plan.plan_type == "p" and plan.fee_sched:
            return min(fee, self.fees[(plan.fee_sched, code_num)])
        return fee

    def benefit_year(self, plan: PlanInfo, d: date) -> int:
        if plan.month_renew and d.month < plan.month_renew:
            return d.year - 1
        return d.year

    def insurance_share(
        self, p: Person, cov: Coverage, row: Row, d: date, commit: bool
    ) -> tuple[Decimal, Decimal, Decimal, Decimal, int]:
        """(allowed, deductible, insurance estimate, write-off, percent) for one procedure."""
        code = self.code_of(row)
        cat = self.code_cat[code]
        fee = Decimal(row["ProcFee"])
        plan = cov.plan
        pct = plan.percents.get(cat, 0)
        allowed = self.allowed(plan, row["CodeNum"], fee)
        key = (p.pat_num, plan.plan_num, self.benefit_year(plan, d))
        used = self.benefit_used.get(key)
        if used is None:
            used = [ZERO, ZERO]  # insurance paid, deductible met
            if commit:
                self.benefit_used[key] = used
        ded = ZERO
        if cat not in ("diag", "xray", "prev") and pct > 0:
            ded = min(plan.deductible - used[1], allowed)
        est = q((allowed - ded) * pct / 100)
        est = max(ZERO, min(est, plan.annual_max - used[0]))
        writeoff = fee - allowed if plan.plan_type == "p" else ZERO
        if commit:
            used[0] += est
            used[1] += ded
        return allowed, ded, est, writeoff, pct

    def estimate(self, p: Person, row: Row, d: date) -> None:
        for cov in p.coverages:
            allowed, ded, est, wo, pct = self.insurance_share(p, cov, row, d, commit=False)
            if cov.ordinal > 1:
                est = ZERO
            self.add_claimproc(
                p,
                row,
                cov,
                CP_EST,
                claim=0,
                ins_est=est,
                ded=ded,
                writeoff=wo,
                paid=ZERO,
                when=d,
                pct=pct,
            )

    def add_claimproc(
        self,
        p: Person,
        row: Row,
        cov: Coverage,
        status: int,
        claim: int,
        ins_est: Decimal,
        ded: Decimal,
        writeoff: Decimal,
        paid: Decimal,
        when: date,
        pct: int = -1,
        stamp: datetime | None = None,
        date_cp: date | None = None,
    ) -> Row:
        fee = Decimal(row["ProcFee"]) if row else ZERO
        cp: Row = {
            "ClaimProcNum": self.ids.take("claimproc"),
            "ProcNum": row["ProcNum"] if row else 0,
            "ClaimNum": claim,
            "PatNum": p.pat_num,
            "ProvNum": row["ProvNum"] if row else 0,
            "FeeBilled": money(fee) if claim else "0",
            "InsPayEst": money(ins_est),
            "DedApplied": money(ded),
            "Status": status,
            "InsPayAmt": money(paid),
            "PlanNum": cov.plan.plan_num,
            "DateCP": (date_cp or when).isoformat(),
            "WriteOff": money(writeoff),
            "CodeSent": self.code_of(row) if row else "",
            "AllowedOverride": "-1",
            "Percentage": pct,
            "PercentOverride": -1,
            "CopayAmt": "-1",
            "PaidOtherIns": "0",
            "BaseEst": money(ins_est),
            "CopayOverride": "-1",
            "ProcDate": row["ProcDate"] if row else when.isoformat(),
            "DateEntry": when.isoformat(),
            "DedEst": money(ded),
            "DedEstOverride": "-1",
            "InsEstTotal": money(ins_est),
            "InsEstTotalOverride": "-1",
            "PaidOtherInsOverride": "-1",
            "WriteOffEst": money(writeoff),
            "WriteOffEstOverride": "-1",
            "InsSubNum": cov.ins_sub,
            "SecDateEntry": when.isoformat(),
            "SecDateTEdit": fmt_dt(stamp or self.stamp(when)),
        }
        self.claimprocs.append(cp)
        return cp

    def gen_claim(
        self,
        p: Person,
        procs: list[Row],
        d: date,
        ledger: dict[int, list[Decimal]],
        preauth: bool = False,
        cov_index: int = 0,
        primary_paid: dict[int, Decimal] | None = None,
    ) -> dict[int, Decimal]:
        """Create a claim with its claimprocs; returns insurance paid (or expected) per ProcNum."""
        rng = self.rng
        cov = p.coverages[cov_index]
        billable = [r for r in procs if Decimal(r["ProcFee"]) > 0]
        if not billable:
            return {}
        claim_num = self.ids.take("claim")
        sent = d + timedelta(days=rng.randint(0, 2))
        received = sent + timedelta(days=rng.randint(7, 35))
        if cov_index > 0:
            received += timedelta(days=rng.randint(10, 25))
        if sent > self.today:
            sent = self.today
        status: str
        if preauth:
            status = "R" if received <= self.today else "S"
        elif (self.today - d).days <= 3:
            status = rng.choice(["U", "U", "W", "I"])
        elif received > self.today:
            status = "H" if cov_index > 0 and primary_paid is None else "S"
        else:
            status = "R"
        if cov_index > 0 and primary_paid is None and status == "R":
            status = "H"
        denied = status == "R" and not preauth and rng.random() < 0.04
        totals = {"fee": ZERO, "est": ZERO, "paid": ZERO, "ded": ZERO, "wo": ZERO}
        out: dict[int, Decimal] = {}
        when_cp = received if status == "R" else sent
        stamp = self.stamp(min(when_cp, self.today))
        for row in billable:
            allowed, ded, est, wo, pct = self.insurance_share(p, cov, row, d, commit=not preauth)
            fee = Decimal(row["ProcFee"])
            if cov_index > 0:
                other = (primary_paid or {}).get(row["ProcNum"], ZERO)
                est = max(ZERO, min(est, fee - wo - other))
                wo = ZERO
            paid = ZERO
            if status == "R" and not preauth:
                paid = ZERO if denied else est
                if not denied and rng.random() < 0.05:
                    paid = q(est * Decimal("0.8"))
            cp_status = CP_PREAUTH if preauth else (CP_REC if status == "R" else CP_NOTREC)
            cp = self.add_claimproc(
                p,
                row,
                cov,
                cp_status,
                claim=claim_num,
                ins_est=est,
                ded=ded,
                writeoff=wo,
                paid=paid,
                when=d,
                pct=pct,
                stamp=stamp,
                date_cp=when_cp,
            )
            if cov_index > 0:
                cp["PaidOtherIns"] = money((primary_paid or {}).get(row["ProcNum"], ZERO))
            if denied:
                cp["Remarks"] = "Frequency limitation exceeded."
                cp["ClaimAdjReasonCodes"] = "CO-119"
                cp["ClaimPaymentTracking"] = self.defs[(36, "Denied")]
                cp["WriteOff"] = "0"
                wo = ZERO
            if status == "R" and not preauth:
                cp["DateInsFinalized"] = received.isoformat()
                self.received.append(
                    (
                        cov.plan.carrier_num,
                        cov.plan.carrier_name,
                        received,
                        len(self.claimprocs) - 1,
                    )
                )
            totals["fee"] += fee
            totals["est"] += est
            totals["paid"] += paid
            totals["ded"] += ded
            totals["wo"] += wo
            out[row["ProcNum"]] = paid if status == "R" else est
        other_cov = p.coverages[1] if cov_index == 0 and len(p.coverages) > 1 else None
        self.add(
            "claim",
            {
                "ClaimNum": claim_num,
                "PatNum": p.pat_num,
                "DateService": d.isoformat(),
                "DateSent": sent.isoformat()
                if status not in ("U", "H", "W", "I")
                else "0001-01-01",
                "ClaimStatus": status,
                "DateReceived": received.isoformat() if status == "R" else "0001-01-01",
                "PlanNum": cov.plan.plan_num,
                "ProvTreat": billable[0]["ProvNum"],
                "ClaimFee": money(totals["fee"]),
                "InsPayEst": money(totals["est"]),
                "InsPayAmt": money(totals["paid"]),
                "DedApplied": money(totals["ded"]),
                "IsProsthesis": "I" if any(r["Prosthesis"] for r in billable) else "N",
                "ClaimType": "PreAuth" if preauth else ("P" if cov_index == 0 else "S"),
                "ProvBill": p.pri_prov,
                "PlaceService": 0,
                "PatRelat": cov.relationship,
                "PlanNum2": other_cov.plan.plan_num if other_cov else 0,
                "PatRelat2": other_cov.relationship if other_cov else 0,
                "InsSubNum2": other_cov.ins_sub if other_cov else 0,
                "WriteOff": money(totals["wo"]),
                "ClaimForm": 1,
                "InsSubNum": cov.ins_sub,
                "SecDateEntry": d.isoformat(),
                "SecDateTEdit": fmt_dt(stamp),
                "ReasonUnderPaid": "Denied" if denied else "",
                "CustomTracking": 0,
            },
        )
        if not preauth:
            led = ledger[p.pat_num]
            led[1] += totals["paid"] if status == "R" else ZERO
            led[1] += totals["wo"]
            if status != "R":
                # Pending insurance: counted in the estimated balance only.
                led.append(totals["est"])
        if status == "R" and not preauth and not denied and rng.random() < 0.03:
            extra = q(Decimal(rng.randint(500, 4000)) / 100)
            late = received + timedelta(days=rng.randint(10, 40))
            if late <= self.today:
                self.add_claimproc(
                    p,
                    billable[0],
                    cov,
                    CP_SUPP,
                    claim=claim_num,
                    ins_est=ZERO,
                    ded=ZERO,
                    writeoff=ZERO,
                    paid=extra,
                    when=late,
                    stamp=self.stamp(late),
                    date_cp=late,
                )
                self.claimprocs[-1]["FeeBilled"] = "0"
                self.received.append(
                    (cov.plan.carrier_num, cov.plan.carrier_name, late, len(self.claimprocs) - 1)
                )
                ledger[p.pat_num][1] += extra
                self.buf.rows["claim"][-1] = self.buf.rows["claim"][-1]  # claim total unchanged
                self.supplemental_adjust(claim_num, extra)
        return out

    def supplemental_adjust(self, claim_num: int, extra: Decimal) -> None:
        # InsPayAmt on the claim includes supplemental payments, as Open Dental sums them.
        cols = [c for c, _ in TABLES["claim"]]
        idx = cols.index("InsPayAmt")
        last = list(self.buf.rows["claim"][-1])
        assert last[0] == claim_num
        last[idx] = money(Decimal(str(last[idx])) + extra)
        self.buf.rows["claim"][-1] = tuple(last)

    def bill(self, p: Person, procs: list[Row], d: date, ledger: dict[int, list[Decimal]]) -> None:
        """Claims for a visit's completed procedures, then the patient's own payment."""
        rng = self.rng
        charges = sum((Decimal(r["ProcFee"]) for r in procs), ZERO)
        ledger[p.pat_num][0] += charges
        ins_by_proc: dict[int, Decimal] = {}
        wo_by_proc: dict[int, Decimal] = {}
        if p.coverages and charges > 0:
            before = len(self.claimprocs)
            ins_by_proc = self.gen_claim(p, procs, d, ledger)
            for cp in self.claimprocs[before:]:
                wo_by_proc[cp["ProcNum"]] = wo_by_proc.get(cp["ProcNum"], ZERO) + Decimal(
                    cp["WriteOff"]
                )
            if len(p.coverages) > 1 and ins_by_proc:
                first_status = self.buf.rows["claim"][-1][4]
                paid2 = self.gen_claim(
                    p,
                    procs,
                    d,
                    ledger,
                    cov_index=1,
                    primary_paid=ins_by_proc if first_status == "R" else None,
                )
                for k, v in paid2.items():
                    ins_by_proc[k] = ins_by_proc.get(k, ZERO) + v
        # Adjustments: a courtesy discount now and then.
        adj_by_proc: dict[int, Decimal] = {}
        if charges > 0 and rng.random() < 0.05:
            target = max(procs, key=lambda r: Decimal(r["ProcFee"]))
            amt = -q(Decimal(target["ProcFee"]) * Decimal(rng.choice([5, 10])) / 100)
            adj_by_proc[target["ProcNum"]] = amt
            ledger[p.pat_num][0] += amt
            self.add(
                "adjustment",
                {
                    "AdjNum": self.ids.take("adjustment"),
                    "AdjDate": d.isoformat(),
                    "AdjAmt": money(amt),
                    "PatNum": p.pat_num,
                    "AdjType": self.defs[(1, rng.choice(["Discount", "Professional Courtesy"]))],
                    "ProvNum": target["ProvNum"],
                    "AdjNote": "Courtesy discount",
                    "ProcDate": d.isoformat(),
                    "ProcNum": target["ProcNum"],
                    "DateEntry": d.isoformat(),
                    "SecDateTEdit": fmt_dt(self.stamp(d)),
                },
            )
        elif rng.random() < 0.01:
            amt = q(Decimal(rng.randint(150, 1000)) / 100)
            ledger[p.pat_num][0] += amt
            self.add(
                "adjustment",
                {
                    "AdjNum": self.ids.take("adjustment"),
                    "AdjDate": d.isoformat(),
                    "AdjAmt": money(amt),
                    "PatNum": p.pat_num,
                    "AdjType": self.defs[(1, "Finance Charge")],
                    "ProvNum": p.pri_prov,
                    "AdjNote": "Monthly finance charge",
                    "ProcDate": d.isoformat(),
                    "DateEntry": d.isoformat(),
                    "SecDateTEdit": fmt_dt(self.stamp(d)),
                },
            )
        # Patient portion per procedure.
        portions: list[tuple[Row, Decimal]] = []
        for r in procs:
            due = (
                Decimal(r["ProcFee"])
                - ins_by_proc.get(r["ProcNum"], ZERO)
                - wo_by_proc.get(r["ProcNum"], ZERO)
                + adj_by_proc.get(r["ProcNum"], ZERO)
            )
            if due > 0:
                portions.append((r, due))
        if not portions:
            return
        roll = rng.random()
        if roll < 0.7:
            pay_date = d
        elif roll < 0.88:
            pay_date = d + timedelta(days=rng.randint(20, 75))
        else:
            return  # left on the account
        if pay_date > self.today:
            return
        partial = roll >= 0.7 and rng.random() < 0.3
        pay_num = self.ids.take("payment")
        total = ZERO
        stamp = fmt_dt(self.stamp(pay_date))
        for r, due in portions:
            amt = q(due / 2) if partial else due
            total += amt
            self.add(
                "paysplit",
                {
                    "SplitNum": self.ids.take("paysplit"),
                    "SplitAmt": money(amt),
                    "PatNum": p.pat_num,
                    "PayNum": pay_num,
                    "ProvNum": r["ProvNum"],
                    "DatePay": pay_date.isoformat(),
                    "ProcNum": r["ProcNum"],
                    "DateEntry": pay_date.isoformat(),
                    "SecDateTEdit": stamp,
                },
            )
        if rng.random() < 0.02:
            pre = Decimal(rng.choice([50, 100, 200]))
            total += pre
            self.add(
                "paysplit",
                {
                    "SplitNum": self.ids.take("paysplit"),
                    "SplitAmt": money(pre),
                    "PatNum": p.pat_num,
                    "PayNum": pay_num,
                    "ProvNum": 0,
                    "DatePay": pay_date.isoformat(),
                    "ProcNum": 0,
                    "DateEntry": pay_date.isoformat(),
                    "SecDateTEdit": stamp,
                    "UnearnedType": self.defs[(29, "Prepayment")],
                },
            )
        ledger[p.pat_num][1] += total
        ptype = rng.choice(["Check", "Cash", "Credit Card", "Credit Card", "Care Credit"])
        self.add(
            "payment",
            {
                "PayNum": pay_num,
                "PayType": self.defs[(10, ptype)],
                "PayDate": pay_date.isoformat(),
                "PayAmt": money(total),
                "CheckNum": str(rng.randint(1000, 9999)) if ptype == "Check" else "",
                "PayNote": "",
                "IsSplit": int(len(portions) > 1),
                "PatNum": p.guarantor,
                "DateEntry": pay_date.isoformat(),
                "SecDateTEdit": stamp,
                "PaymentSource": 0,
                "ProcessStatus": 0,
            },
        )

    # ----------------------------------------------------------------- wrap up
    def finish_family(self, pats: list[Person], ledger: dict[int, list[Decimal]]) -> None:
        cols = [c for c, _ in TABLES["patient"]]
        i_est, i_bal, i_stamp = (
            cols.index("EstBalance"),
            cols.index("BalTotal"),
            cols.index("DateTStamp"),
        )
        family_total = ZERO
        n = len(pats)
        rows = self.buf.rows["patient"]
        base = len(rows) - n
        for k, p in enumerate(pats):
            led = ledger[p.pat_num]
            bal = led[0] - led[1]
            est = bal - sum(led[2:], ZERO)
            family_total += bal
            row = list(rows[base + k])
            row[i_est] = money(est)
            touched = self.touched.pop(p.pat_num, None)
            row[i_stamp] = fmt_dt(max(p.stamp, touched) if touched else p.stamp)
            rows[base + k] = tuple(row)
        g = list(rows[base])
        g[i_bal] = money(family_total)
        rows[base] = tuple(g)

    def finish_claim_payments(self) -> None:
        rng = self.rng
        groups: dict[tuple[int, date], list[int]] = {}
        names_: dict[int, str] = {}
        for carrier, name, when, idx in self.received:
            week = when - timedelta(days=when.weekday())
            groups.setdefault((carrier, week), []).append(idx)
            names_[carrier] = name
        for (carrier, _week), idxs in sorted(groups.items()):
            num = self.ids.take("claimpayment")
            total = ZERO
            check_date = max(date.fromisoformat(self.claimprocs[i]["DateCP"]) for i in idxs)
            for i in idxs:
                cp = self.claimprocs[i]
                cp["ClaimPaymentNum"] = num
                cp["DateCP"] = check_date.isoformat()
                total += Decimal(cp["InsPayAmt"])
            eft = rng.random() < 0.5
            self.add(
                "claimpayment",
                {
                    "ClaimPaymentNum": num,
                    "CheckDate": check_date.isoformat(),
                    "CheckAmt": money(total),
                    "CheckNum": f"EFT{rng.randint(100000, 999999)}"
                    if eft
                    else str(rng.randint(10000, 99999)),
                    "BankBranch": "" if eft else "1st National",
                    "CarrierName": names_[carrier],
                    "DateIssued": (check_date - timedelta(days=rng.randint(1, 4))).isoformat(),
                    "PayType": self.defs[(32, "EFT" if eft else "Check")],
                    "SecDateEntry": check_date.isoformat(),
                    "SecDateTEdit": fmt_dt(self.stamp(check_date)),
                    "PayGroup": self.defs[(40, "Default")],
                },
            )
        for cp in self.claimprocs:
            self.buf.add("claimproc", cp)
        self.claimprocs.clear()

    def gen_active_plans(self, conn: sqlite3.Connection) -> None:
        """Active and inactive treatment plans listing the live TP/TPi procedures."""
        rows = conn.execute(
            "SELECT PatNum, ProcNum, ProcStatus, Priority, DateTP, DateTStamp FROM procedurelog "
            "WHERE ProcStatus IN (1, 8) ORDER BY PatNum, ProcNum"
        ).fetchall()
        by_pat: dict[tuple[int, int], list[tuple[int, int, str, str]]] = {}
        for pat, proc, status, prio, date_tp, stamp in rows:
            by_pat.setdefault((pat, status), []).append((proc, prio, date_tp, stamp))
        for (pat, status), procs in by_pat.items():
            num = self.ids.take("treatplan")
            self.add(
                "treatplan",
                {
                    "TreatPlanNum": num,
                    "PatNum": pat,
                    "DateTP": procs[0][2],
                    "Heading": "Active Treatment Plan"
                    if status == TP
                    else "Inactive Treatment Plan",
                    "TPStatus": 1 if status == TP else 2,
                    "ResponsParty": 0,
                    "SecDateEntry": procs[0][2],
                    "SecDateTEdit": max(p[3] for p in procs),
                },
            )
            for proc, prio, _, _ in procs:
                self.add(
                    "treatplanattach",
                    {
                        "TreatPlanAttachNum": self.ids.take("treatplanattach"),
                        "TreatPlanNum": num,
                        "ProcNum": proc,
                        "Priority": prio,
                    },
                )

    def gen_commlogs(self, conn: sqlite3.Connection) -> None:
        rng = self.rng
        since = fmt_dt(datetime.combine(self.today - timedelta(days=120), time(0)))
        rows = conn.execute(
            "SELECT AptNum, PatNum, AptDateTime FROM appointment WHERE AptDateTime >= ? "
            "AND AptStatus IN (1, 2) ORDER BY AptNum",
            (since,),
        ).fetchall()
        kind = self.defs[(27, "Appt Related")]
        for _apt, pat, when_s in rows:
            if rng.random() >= 0.3:
                continue
            when = datetime.fromisoformat(when_s) - timedelta(days=2, hours=rng.randint(0, 5))
            if when >= self.now:
                continue
            self.add(
                "commlog",
                {
                    "CommlogNum": self.ids.take("commlog"),
                    "PatNum": pat,
                    "CommDateTime": fmt_dt(when),
                    "CommType": kind,
                    "Note": "Appointment reminder sent by text.",
                    "Mode_": 5,
                    "SentOrReceived": 1,
                    "UserNum": 1,
                    "DateTStamp": fmt_dt(when),
                    "CommSource": 0,
                    "DateTEntry": fmt_dt(when),
                },
            )

    def run(self, conn: sqlite3.Connection) -> None:
        create_all(conn)
        self.gen_definitions()
        self.gen_codes()
        scheds = self.gen_fee_schedules()
        self.gen_providers()
        self.gen_insurance_setup(scheds)
        self.gen_referrals()
        self.buf.flush(conn)
        self.gen_people()
        self.finish_claim_payments()
        self.buf.flush(conn)
        self.gen_active_plans(conn)
        self.gen_commlogs(conn)
        self.buf.flush(conn)


def generate(
    conn: sqlite3.Connection, patients: int, seed: int, now: datetime, years: int = 3
) -> GenerationResult:
    """Fill ``conn`` with a practice of ``patients`` patients whose clock reads ``now``."""
    import time as _time

    if not 1 <= patients <= 100_000:
        raise ValueError("patients must be between 1 and 100,000")
    t0 = _time.perf_counter()
    conn.execute("PRAGMA journal_mode=OFF") if _is_memory(conn) else None
    with conn:
        PracticeGenerator(seed, patients, now, years).run(conn)
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    return GenerationResult(patients, counts, _time.perf_counter() - t0)


def _is_memory(conn: sqlite3.Connection) -> bool:
    row = conn.execute("PRAGMA database_list").fetchone()
    return not row[2]
