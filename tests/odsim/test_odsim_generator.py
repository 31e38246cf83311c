"""The synthetic practice: deterministic, complete and internally consistent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest

from crowndesk.odsim import cdt
from crowndesk.odsim.generator import generate
from crowndesk.odsim.schema import TABLES

NOW = datetime(2025, 6, 2, 8, 0, 0)  # noqa: DTZ001


def practice(seed: int, patients: int = 120) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    generate(conn, patients, seed, NOW)
    return conn


def dump(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    conn = practice(5, 400)
    yield conn
    conn.close()


def test_same_seed_same_practice() -> None:
    assert dump(practice(3)) == dump(practice(3))


def test_other_seed_other_practice() -> None:
    assert dump(practice(3))["patient"] != dump(practice(4))["patient"]


def test_size_is_exact(db: sqlite3.Connection) -> None:
    assert db.execute("SELECT COUNT(*) FROM patient").fetchone()[0] == 400


FOREIGN_KEYS = [
    ("patient", "Guarantor", "patient", "PatNum"),
    ("patient", "PriProv", "provider", "ProvNum"),
    ("appointment", "PatNum", "patient", "PatNum"),
    ("appointment", "ProvNum", "provider", "ProvNum"),
    ("appointment", "Op", "operatory", "OperatoryNum"),
    ("procedurelog", "PatNum", "patient", "PatNum"),
    ("procedurelog", "AptNum", "appointment", "AptNum"),
    ("procedurelog", "PlannedAptNum", "appointment", "AptNum"),
    ("procedurelog", "CodeNum", "procedurecode", "CodeNum"),
    ("procedurelog", "ProvNum", "provider", "ProvNum"),
    ("treatplan", "PatNum", "patient", "PatNum"),
    ("treatplanattach", "TreatPlanNum", "treatplan", "TreatPlanNum"),
    ("treatplanattach", "ProcNum", "procedurelog", "ProcNum"),
    ("proctp", "TreatPlanNum", "treatplan", "TreatPlanNum"),
    ("proctp", "ProcNumOrig", "procedurelog", "ProcNum"),
    ("insplan", "CarrierNum", "carrier", "CarrierNum"),
    ("insplan", "FeeSched", "feesched", "FeeSchedNum"),
    ("inssub", "PlanNum", "insplan", "PlanNum"),
    ("inssub", "Subscriber", "patient", "PatNum"),
    ("patplan", "PatNum", "patient", "PatNum"),
    ("patplan", "InsSubNum", "inssub", "InsSubNum"),
    ("benefit", "PlanNum", "insplan", "PlanNum"),
    ("benefit", "PatPlanNum", "patplan", "PatPlanNum"),
    ("benefit", "CovCatNum", "covcat", "CovCatNum"),
    ("benefit", "CodeNum", "procedurecode", "CodeNum"),
    ("claim", "PatNum", "patient", "PatNum"),
    ("claim", "PlanNum", "insplan", "PlanNum"),
    ("claim", "InsSubNum", "inssub", "InsSubNum"),
    ("claim", "PlanNum2", "insplan", "PlanNum"),
    ("claim", "ProvTreat", "provider", "ProvNum"),
    ("claimproc", "ProcNum", "procedurelog", "ProcNum"),
    ("claimproc", "ClaimNum", "claim", "ClaimNum"),
    ("claimproc", "PatNum", "patient", "PatNum"),
    ("claimproc", "PlanNum", "insplan", "PlanNum"),
    ("claimproc", "InsSubNum", "inssub", "InsSubNum"),
    ("claimproc", "ClaimPaymentNum", "claimpayment", "ClaimPaymentNum"),
    ("payment", "PatNum", "patient", "PatNum"),
    ("paysplit", "PayNum", "payment", "PayNum"),
    ("paysplit", "PatNum", "patient", "PatNum"),
    ("paysplit", "ProcNum", "procedurelog", "ProcNum"),
    ("adjustment", "PatNum", "patient", "PatNum"),
    ("adjustment", "ProcNum", "procedurelog", "ProcNum"),
    ("fee", "FeeSched", "feesched", "FeeSchedNum"),
    ("fee", "CodeNum", "procedurecode", "CodeNum"),
    ("refattach", "ReferralNum", "referral", "ReferralNum"),
    ("refattach", "PatNum", "patient", "PatNum"),
    ("refattach", "ProcNum", "procedurelog", "ProcNum"),
    ("commlog", "PatNum", "patient", "PatNum"),
    ("covspan", "CovCatNum", "covcat", "CovCatNum"),
    ("operatory", "ProvDentist", "provider", "ProvNum"),
]


@pytest.mark.parametrize(("table", "col", "parent", "pk"), FOREIGN_KEYS)
def test_every_foreign_key_resolves(
    db: sqlite3.Connection, table: str, col: str, parent: str, pk: str
) -> None:
    orphans = db.execute(
        f"SELECT COUNT(*) FROM {table} c WHERE c.{col} != 0 AND NOT EXISTS "
        f"(SELECT 1 FROM {parent} p WHERE p.{pk} = c.{col})"
    ).fetchone()[0]
    assert orphans == 0


def money_sum(db: sqlite3.Connection, sql: str) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for key, value in db.execute(sql):
        out[key] = out.get(key, Decimal(0)) + Decimal(value)
    return out


def test_claim_totals_add_up(db: sqlite3.Connection) -> None:
    claims = db.execute(
        "SELECT ClaimNum, ClaimFee, InsPayEst, InsPayAmt, WriteOff, DedApplied FROM claim"
    ).fetchall()
    assert claims
    fee = money_sum(db, "SELECT ClaimNum, FeeBilled FROM claimproc WHERE ClaimNum != 0")
    est = money_sum(db, "SELECT ClaimNum, InsPayEst FROM claimproc WHERE ClaimNum != 0")
    paid = money_sum(db, "SELECT ClaimNum, InsPayAmt FROM claimproc WHERE ClaimNum != 0")
    wo = money_sum(db, "SELECT ClaimNum, WriteOff FROM claimproc WHERE ClaimNum != 0")
    ded = money_sum(db, "SELECT ClaimNum, DedApplied FROM claimproc WHERE ClaimNum != 0")
    for num, c_fee, c_est, c_paid, c_wo, c_ded in claims:
        assert Decimal(c_fee) == fee[num]
        assert Decimal(c_est) == est[num]
        assert Decimal(c_paid) == paid[num]
        assert Decimal(c_wo) == wo[num]
        assert Decimal(c_ded) == ded[num]


def test_claim_procedures_bill_the_procedure_fee(db: sqlite3.Connection) -> None:
    bad = db.execute(
        "SELECT COUNT(*) FROM claimproc c JOIN procedurelog p ON p.ProcNum = c.ProcNum "
        "WHERE c.ClaimNum != 0 AND c.Status IN (0, 1, 2) AND c.FeeBilled != p.ProcFee"
    ).fetchone()[0]
    assert bad == 0


def test_payments_equal_their_splits(db: sqlite3.Connection) -> None:
    splits = money_sum(db, "SELECT PayNum, SplitAmt FROM paysplit")
    pays = db.execute("SELECT PayNum, PayAmt FROM payment").fetchall()
    assert pays
    for num, amt in pays:
        assert Decimal(amt) == splits[num]


def test_insurance_checks_equal_their_claim_procedures(db: sqlite3.Connection) -> None:
    paid = money_sum(
        db, "SELECT ClaimPaymentNum, InsPayAmt FROM claimproc WHERE ClaimPaymentNum != 0"
    )
    checks = db.execute("SELECT ClaimPaymentNum, CheckAmt FROM claimpayment").fetchall()
    assert checks
    for num, amt in checks:
        assert Decimal(amt) == paid[num]


def test_money_is_never_float_text(db: sqlite3.Connection) -> None:
    for table, cols in TABLES.items():
        for col, kind in cols:
            if kind == "M":
                bad = db.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE typeof({col}) != 'text' OR "
                    f"{col} GLOB '*.???*'"
                ).fetchone()[0]
                assert bad == 0, (table, col)


def test_every_status_occurs(db: sqlite3.Connection) -> None:
    def values(sql: str) -> set[object]:
        return {r[0] for r in db.execute(sql)}

    assert values("SELECT DISTINCT ProcStatus FROM procedurelog") >= {1, 2, 3, 4, 6, 7, 8}
    assert values("SELECT DISTINCT AptStatus FROM appointment") >= {1, 2, 3, 5, 6}
    assert values("SELECT DISTINCT ClaimStatus FROM claim") >= {"U", "S", "R", "W"}
    assert values("SELECT DISTINCT Status FROM claimproc") >= {0, 1, 2, 6, 9}
    assert values("SELECT DISTINCT ClaimType FROM claim") >= {"P", "PreAuth"}
    assert values("SELECT DISTINCT TPStatus FROM treatplan") == {0, 1, 2}
    assert values("SELECT DISTINCT PatStatus FROM patient") >= {0, 2, 6}
    assert values("SELECT DISTINCT Ordinal FROM patplan") >= {1, 2}


def test_about_seventy_percent_insured(db: sqlite3.Connection) -> None:
    insured = db.execute("SELECT COUNT(DISTINCT PatNum) FROM patplan").fetchone()[0]
    assert 0.5 <= insured / 400 <= 0.85


def test_families_have_one_to_five_members(db: sqlite3.Connection) -> None:
    sizes = [r[0] for r in db.execute("SELECT COUNT(*) FROM patient GROUP BY Guarantor")]
    assert max(sizes) <= 5
    assert min(sizes) >= 1
    heads = db.execute("SELECT COUNT(*) FROM patient WHERE PatNum = Guarantor").fetchone()[0]
    assert heads == len(sizes)


def test_teeth_and_surfaces_fit_the_code(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT c.ProcCode, p.ToothNum, p.Surf, p.ToothRange FROM procedurelog p "
        "JOIN procedurecode c ON c.CodeNum = p.CodeNum"
    ).fetchall()
    for code, tooth, surf, trange in rows:
        info = cdt.BY_CODE[code]
        if info.area in ("surf_post", "surf_ant"):
            assert tooth
            assert len(surf) == info.surfaces or (info.surfaces == 4 and len(surf) >= 4)
            if info.area == "surf_ant":
                assert 6 <= int(tooth) <= 11 or 22 <= int(tooth) <= 27
        elif info.area.startswith("tooth"):
            assert tooth
            assert not surf
        elif info.area == "quad":
            assert surf in ("UR", "UL", "LR", "LL")
        elif info.area == "arch":
            assert surf in ("U", "L")
        elif info.area == "range":
            assert trange
        else:
            assert not tooth


def test_stamps_are_not_after_the_clock(db: sqlite3.Connection) -> None:
    now = NOW.isoformat(" ")
    for table, cols in TABLES.items():
        for col, _ in cols:
            if col in ("DateTStamp", "SecDateTEdit"):
                late = db.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE {col} > ?", (now,)
                ).fetchone()[0]
                assert late == 0, (table, col)
                empty = db.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE {col} LIKE '0001%'"
                ).fetchone()[0]
                assert empty == 0, (table, col)


def test_cdt_list_is_about_a_hundred_codes() -> None:
    assert 90 <= len(cdt.CODES) <= 130
    assert len(cdt.BY_CODE) == len(cdt.CODES)
