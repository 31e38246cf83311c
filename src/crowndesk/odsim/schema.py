"""SQLite tables shaped like Open Dental's own (table and column names as in its schema).

Storage conventions, chosen so that ``/queries/ShortQuery`` sees what MySQL would hold:

- enums are stored as Open Dental stores them: numbers for most (``ProcStatus`` 1..8,
  ``AptStatus`` 1..8, ``PatStatus`` 0..6 ...), text for the few that are text in Open Dental
  (``claim.ClaimStatus`` letters, ``claim.ClaimType``, ``insplan.PlanType``);
- booleans are ``0``/``1`` (MySQL ``tinyint``);
- dates are ``yyyy-MM-dd`` text, date-times ``yyyy-MM-dd HH:mm:ss`` text, the empty value is
  ``0001-01-01`` / ``0001-01-01 00:00:00``;
- money is decimal text (``"130.00"``) so nothing is ever rounded through a float; SQL
  arithmetic on it (``SUM(ClaimFee)``) still works because SQLite converts text to numbers.
"""

from __future__ import annotations

import sqlite3
from typing import Final

# Column kinds: I int, T text, D date, DT datetime, M money (decimal text), B bool (0/1),
# R real, TM time of day ("HH:mm:ss").
COLUMN_DEFAULTS: Final[dict[str, object]] = {
    "I": 0,
    "T": "",
    "D": "0001-01-01",
    "DT": "0001-01-01 00:00:00",
    "M": "0",
    "B": 0,
    "R": 0.0,
    "TM": "00:00:00",
}
_SQL_TYPES: Final[dict[str, str]] = {
    "I": "INTEGER",
    "T": "TEXT",
    "D": "TEXT",
    "DT": "TEXT",
    "M": "TEXT",
    "B": "INTEGER",
    "R": "REAL",
    "TM": "TEXT",
}


def _cols(spec: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        out.append((name, kind or "T"))
    return out


# table -> (primary key, columns in Open Dental's order). The first column is the key.
TABLES: Final[dict[str, list[tuple[str, str]]]] = {
    "definition": _cols(
        "DefNum:I Category:I ItemOrder:I ItemName ItemValue ItemColor:I IsHidden:B"
    ),
    "patient": _cols(
        "PatNum:I LName FName MiddleI Preferred PatStatus:I Gender:I Position:I Birthdate:D SSN "
        "Address Address2 City State Zip HmPhone WkPhone WirelessPhone Guarantor:I Email "
        "EstBalance:M PriProv:I SecProv:I FeeSched:I BillingType:I ImageFolder FamFinUrgNote "
        "ChartNumber MedicaidID BalTotal:M EmployerNum:I DateFirstVisit:D ClinicNum:I Premed:B "
        "Ward PreferConfirmMethod:I PreferContactMethod:I PreferRecallMethod:I Language "
        "AdmitDate:D SiteNum:I DateTStamp:DT SuperFamily:I TxtMsgOk:I SecDateEntry:D"
    ),
    "provider": _cols(
        "ProvNum:I Abbr LName FName MI Suffix FeeSched:I Specialty:I SSN StateLicense "
        "IsSecondary:B ProvColor:I IsHidden:B UsingTIN:B SigOnFile:B NationalProvID "
        "DateTStamp:DT IsNotPerson:B ProvStatus:I IsHiddenReport:B Birthdate:D SchedNote "
        "PreferredName"
    ),
    "operatory": _cols(
        "OperatoryNum:I OpName Abbrev ItemOrder:I IsHidden:B ProvDentist:I ProvHygienist:I "
        "IsHygiene:B ClinicNum:I SetProspective:B IsWebSched:B OperatoryType:I"
    ),
    "appointment": _cols(
        "AptNum:I PatNum:I AptStatus:I Pattern Confirmed:I TimeLocked:B Op:I Note ProvNum:I "
        "ProvHyg:I AptDateTime:DT NextAptNum:I UnschedStatus:I IsNewPatient:B ProcDescript "
        "Assistant:I ClinicNum:I IsHygiene:B DateTStamp:DT DateTimeArrived:DT DateTimeSeated:DT "
        "DateTimeDismissed:DT InsPlan1:I InsPlan2:I DateTimeAskedToArrive:DT ColorOverride:I "
        "AppointmentTypeNum:I SecUserNumEntry:I SecDateTEntry:DT Priority:I PatternSecondary "
        "ItemOrderPlanned:I IsMirrored:B"
    ),
    "histappointment": _cols(
        "HistApptNum:I HistUserNum:I HistDateTStamp:DT HistApptAction:I ApptSource:I "
        "AptNum:I PatNum:I AptStatus:I Pattern Confirmed:I TimeLocked:B Op:I Note ProvNum:I "
        "ProvHyg:I AptDateTime:DT NextAptNum:I UnschedStatus:I IsNewPatient:B ProcDescript "
        "ClinicNum:I IsHygiene:B DateTStamp:DT InsPlan1:I InsPlan2:I AppointmentTypeNum:I "
        "SecDateTEntry:DT Priority:I"
    ),
    "deletedobject": _cols("DeletedObjectNum:I ObjectNum:I ObjectType:I DateTStamp:DT"),
    "procedurecode": _cols(
        "CodeNum:I ProcCode Descript AbbrDesc ProcTime ProcCat:I TreatArea:I NoBillIns:B "
        "IsProsth:B DefaultNote IsHygiene:B AlternateCode1 MedicalCode IsTaxed:B PaintType:I "
        "LaymanTerm IsCanadianLab:B BaseUnits:I SubstitutionCode SubstOnlyIf:I DateTStamp:DT "
        "DrugNDC RevenueCodeDefault ProvNumDefault:I CanadaTimeUnits:R IsRadiology:B "
        "DefaultClaimNote DefaultTPNote PaintText AreaAlsoToothRange:B DiagnosticCodes"
    ),
    "procedurelog": _cols(
        "ProcNum:I PatNum:I AptNum:I ProcDate:D ProcFee:M Surf ToothNum ToothRange Priority:I "
        "ProcStatus:I ProvNum:I Dx:I PlannedAptNum:I PlaceService:I Prosthesis "
        "DateOriginalProsth:D ClaimNote DateEntryC:D ClinicNum:I CodeNum:I UnitQty:I "
        "BaseUnits:I DateTP:D SiteNum:I HideGraphics:B CanadianTypeCodes ProcTime:TM "
        "ProcTimeEnd:TM DateTStamp:DT Prognosis:I IsLocked:B BillingNote Discount:M "
        "IsDateProsthEst:B SecDateEntry:DT"
    ),
    "treatplan": _cols(
        "TreatPlanNum:I PatNum:I DateTP:D Heading Note Signature SigIsTopaz:B ResponsParty:I "
        "DocNum:I TPStatus:I SecUserNumEntry:I SecDateEntry:D SecDateTEdit:DT "
        "UserNumPresenter:I TPType:I SignaturePractice DateTSigned:DT DateTPracticeSigned:DT "
        "SignatureText SignaturePracticeText"
    ),
    "treatplanattach": _cols("TreatPlanAttachNum:I TreatPlanNum:I ProcNum:I Priority:I"),
    "proctp": _cols(
        "ProcTPNum:I TreatPlanNum:I PatNum:I ProcNumOrig:I ItemOrder:I Priority:I ToothNumTP "
        "Surf ProcCode Descript FeeAmt:M PriInsAmt:M SecInsAmt:M PatAmt:M Discount:M Prognosis "
        "Dx ProcAbbr SecUserNumEntry:I SecDateEntry:D SecDateTEdit:DT FeeAllowed:M TaxAmt:M "
        "ProvNum:I DateTP:D ClinicNum:I CatPercUCR:M"
    ),
    "carrier": _cols(
        "CarrierNum:I CarrierName Address Address2 City State Zip Phone ElectID NoSendElect:I "
        "IsHidden:B SecDateTEdit:DT"
    ),
    "insplan": _cols(
        "PlanNum:I GroupName GroupNum PlanNote FeeSched:I PlanType ClaimFormNum:I "
        "ClaimsUseUCR:B CopayFeeSched:I EmployerNum:I CarrierNum:I IsMedical:B FilingCode:I "
        "ShowBaseUnits:B CodeSubstNone:B IsHidden:B MonthRenew:I FilingCodeSubtype:I CobRule:I "
        "SecUserNumEntry:I SecDateEntry:D SecDateTEdit:DT BillingType:I ExclusionFeeRule:I "
        "ManualFeeSchedNum:I IsBlueBookEnabled:B InsPlansZeroWriteOffsOnAnnualMaxOverride:I "
        "InsPlansZeroWriteOffsOnFreqOrAgingOverride:I"
    ),
    "inssub": _cols(
        "InsSubNum:I PlanNum:I Subscriber:I DateEffective:D DateTerm:D ReleaseInfo:B "
        "AssignBen:B SubscriberID BenefitNotes SubscNote SecUserNumEntry:I SecDateEntry:D "
        "SecDateTEdit:DT"
    ),
    "patplan": _cols(
        "PatPlanNum:I PatNum:I Ordinal:I IsPending:B Relationship:I PatID InsSubNum:I "
        "OrthoAutoFeeBilledOverride:M OrthoAutoNextClaimDate:D SecDateTEntry:DT SecDateTEdit:DT"
    ),
    "covcat": _cols("CovCatNum:I Description DefaultPercent:I CovOrder:I IsHidden:B EbenefitCat:I"),
    "covspan": _cols("CovSpanNum:I CovCatNum:I FromCode ToCode"),
    "benefit": _cols(
        "BenefitNum:I PlanNum:I PatPlanNum:I CovCatNum:I BenefitType:I Percent:I "
        "MonetaryAmt:M TimePeriod:I QuantityQualifier:I Quantity:I CodeNum:I CoverageLevel:I "
        "SecDateTEntry:DT SecDateTEdit:DT CodeGroupNum:I TreatArea:I"
    ),
    "claim": _cols(
        "ClaimNum:I PatNum:I DateService:D DateSent:D ClaimStatus DateReceived:D PlanNum:I "
        "ProvTreat:I ClaimFee:M InsPayEst:M InsPayAmt:M DedApplied:M PreAuthString "
        "IsProsthesis PriorDate:D ReasonUnderPaid ClaimNote ClaimType ProvBill:I "
        "ReferringProv:I PlaceService:I AccidentRelated AccidentDate:D AccidentST IsOrtho:B "
        "OrthoRemainM:I OrthoDate:D PatRelat:I PlanNum2:I PatRelat2:I WriteOff:M ClinicNum:I "
        "ClaimForm:I InsSubNum:I InsSubNum2:I PriorAuthorizationNumber CustomTracking:I "
        "OrthoTotalM:I SecUserNumEntry:I SecDateEntry:D SecDateTEdit:DT"
    ),
    "claimproc": _cols(
        "ClaimProcNum:I ProcNum:I ClaimNum:I PatNum:I ProvNum:I FeeBilled:M InsPayEst:M "
        "DedApplied:M Status:I InsPayAmt:M Remarks ClaimPaymentNum:I PlanNum:I DateCP:D "
        "WriteOff:M CodeSent AllowedOverride:M Percentage:I PercentOverride:I CopayAmt:M "
        "NoBillIns:B PaidOtherIns:M BaseEst:M CopayOverride:M ProcDate:D DateEntry:D DedEst:M "
        "DedEstOverride:M InsEstTotal:M InsEstTotalOverride:M PaidOtherInsOverride:M "
        "EstimateNote WriteOffEst:M WriteOffEstOverride:M ClinicNum:I InsSubNum:I "
        "PaymentRow:I PayPlanNum:I ClaimPaymentTracking:I SecUserNumEntry:I SecDateEntry:D "
        "SecDateTEdit:DT DateSuppReceived:D DateInsFinalized:D IsTransfer:B ClaimAdjReasonCodes"
    ),
    "claimpayment": _cols(
        "ClaimPaymentNum:I CheckDate:D CheckAmt:M CheckNum BankBranch Note ClinicNum:I "
        "DepositNum:I CarrierName DateIssued:D IsPartial:B PayType:I SecUserNumEntry:I "
        "SecDateEntry:D SecDateTEdit:DT PayGroup:I"
    ),
    "payment": _cols(
        "PayNum:I PayType:I PayDate:D PayAmt:M CheckNum BankBranch PayNote IsSplit:B PatNum:I "
        "ClinicNum:I DateEntry:D DepositNum:I Receipt IsRecurringCC:B SecUserNumEntry:I "
        "SecDateTEdit:DT PaymentSource:I ProcessStatus:I RecurringChargeDate:D "
        "IsCcCompleted:B"
    ),
    "paysplit": _cols(
        "SplitNum:I SplitAmt:M PatNum:I PayNum:I ProvNum:I PayPlanNum:I DatePay:D ProcNum:I "
        "DateEntry:D UnearnedType:I ClinicNum:I SecUserNumEntry:I SecDateTEdit:DT AdjNum:I "
        "PayPlanChargeNum:I PayPlanDebitType:I"
    ),
    "adjustment": _cols(
        "AdjNum:I AdjDate:D AdjAmt:M PatNum:I AdjType:I ProvNum:I AdjNote ProcDate:D ProcNum:I "
        "DateEntry:D ClinicNum:I SecUserNumEntry:I SecDateTEdit:DT"
    ),
    "feesched": _cols(
        "FeeSchedNum:I Description FeeSchedType:I ItemOrder:I IsHidden:B IsGlobal:B "
        "SecUserNumEntry:I SecDateEntry:D SecDateTEdit:DT"
    ),
    "fee": _cols(
        "FeeNum:I Amount:M OldCode FeeSched:I UseDefaultFee:B UseDefaultCov:B CodeNum:I "
        "ClinicNum:I ProvNum:I SecUserNumEntry:I SecDateEntry:D SecDateTEdit:DT"
    ),
    "referral": _cols(
        "ReferralNum:I LName FName MName SSN UsingTIN:B Specialty:I ST Telephone Address "
        "Address2 City Zip Note Phone2 IsHidden:B NotPerson:B Title EMail PatNum:I "
        "NationalProvID IsDoctor:B DateTStamp:DT IsPreferred:B BusinessName DisplayNote"
    ),
    "refattach": _cols(
        "RefAttachNum:I ReferralNum:I PatNum:I ItemOrder:I RefDate:D RefType:I RefToStatus:I "
        "Note IsTransitionOfCare:B ProcNum:I DateProcComplete:D ProvNum:I DateTStamp:DT"
    ),
    "commlog": _cols(
        "CommlogNum:I PatNum:I CommDateTime:DT CommType:I Note Mode_:I SentOrReceived:I "
        "UserNum:I Signature SigIsTopaz:B DateTStamp:DT DateTimeEnd:DT CommSource:I "
        "ProgramNum:I DateTEntry:DT ReferralNum:I CommReferralBehavior:I"
    ),
}

# Indexes for the list filters and changed-since reads, so that serving stays fast.
INDEXES: Final[list[tuple[str, str]]] = [
    ("definition", "Category"),
    ("patient", "Guarantor"),
    ("patient", "DateTStamp"),
    ("patient", "LName"),
    ("appointment", "PatNum"),
    ("appointment", "DateTStamp"),
    ("appointment", "AptDateTime"),
    ("histappointment", "AptNum"),
    ("procedurelog", "PatNum"),
    ("procedurelog", "AptNum"),
    ("procedurelog", "PlannedAptNum"),
    ("procedurelog", "DateTStamp"),
    ("procedurelog", "CodeNum"),
    ("treatplan", "PatNum"),
    ("treatplan", "SecDateTEdit"),
    ("treatplanattach", "TreatPlanNum"),
    ("treatplanattach", "ProcNum"),
    ("proctp", "TreatPlanNum"),
    ("insplan", "CarrierNum"),
    ("inssub", "PlanNum"),
    ("inssub", "Subscriber"),
    ("inssub", "SecDateTEdit"),
    ("patplan", "PatNum"),
    ("patplan", "InsSubNum"),
    ("benefit", "PlanNum"),
    ("benefit", "PatPlanNum"),
    ("claim", "PatNum"),
    ("claim", "SecDateTEdit"),
    ("claimproc", "ClaimNum"),
    ("claimproc", "ProcNum"),
    ("claimproc", "PatNum"),
    ("claimproc", "ClaimPaymentNum"),
    ("claimpayment", "SecDateTEdit"),
    ("payment", "PatNum"),
    ("payment", "DateEntry"),
    ("paysplit", "PayNum"),
    ("paysplit", "PatNum"),
    ("paysplit", "ProcNum"),
    ("adjustment", "PatNum"),
    ("adjustment", "ProcNum"),
    ("fee", "FeeSched"),
    ("fee", "CodeNum"),
    ("refattach", "PatNum"),
    ("refattach", "ReferralNum"),
    ("refattach", "DateTStamp"),
    ("commlog", "PatNum"),
    ("commlog", "DateTStamp"),
    ("deletedobject", "DateTStamp"),
]

META_TABLE: Final = "odsim_meta"


def primary_key(table: str) -> str:
    return TABLES[table][0][0]


def column_kinds(table: str) -> dict[str, str]:
    return dict(TABLES[table])


def money_columns() -> frozenset[str]:
    return frozenset(c for cols in TABLES.values() for c, k in cols if k == "M")


def ddl() -> str:
    parts: list[str] = []
    for table, cols in TABLES.items():
        lines = []
        for i, (name, kind) in enumerate(cols):
            if i == 0:
                lines.append(f"  {name} INTEGER PRIMARY KEY")
            else:
                default = COLUMN_DEFAULTS[kind]
                lit = f"'{default}'" if isinstance(default, str) else str(default)
                lines.append(f"  {name} {_SQL_TYPES[kind]} NOT NULL DEFAULT {lit}")
        parts.append(f"CREATE TABLE IF NOT EXISTS {table} (\n" + ",\n".join(lines) + "\n);")
    for table, col in INDEXES:
        parts.append(f"CREATE INDEX IF NOT EXISTS ix_{table}_{col} ON {table} ({col});")
    parts.append(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (Key TEXT PRIMARY KEY, Value TEXT);")
    return "\n".join(parts)


def create_all(conn: sqlite3.Connection) -> None:
    conn.executescript(ddl())


def insert_sql(table: str) -> str:
    cols = [c for c, _ in TABLES[table]]
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


class RowBuffer:
    """Collects rows as dicts (only the non-default columns) and writes them in bulk."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[object, ...]]] = {t: [] for t in TABLES}
        self._plans: dict[str, list[tuple[str, object]]] = {
            t: [(c, COLUMN_DEFAULTS[k]) for c, k in cols] for t, cols in TABLES.items()
        }

    def add(self, table: str, row: dict[str, object]) -> None:
        get = row.get
        self.rows[table].append(tuple([get(c, d) for c, d in self._plans[table]]))

    def flush(self, conn: sqlite3.Connection) -> None:
        for table, rows in self.rows.items():
            if rows:
                conn.executemany(insert_sql(table), rows)
                rows.clear()
