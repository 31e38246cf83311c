"""What each Open Dental API resource looks like on the wire, and how it maps to the tables.

A field spec is a whitespace-separated list of ``JsonName[=Column][:kind]`` tokens in response
order. The kind defaults from the column's storage kind (int, text, date, date-time, money as a
JSON number, bool as ``"true"``/``"false"``); explicit kinds are ``e.<enum>`` (number stored, name
sent), ``l.<lookup>`` (a read-only lowercase label decoded from another column), ``$`` (money as a
string with two decimals), ``g`` (money as a string in its shortest form, like ``"339"`` or
``"129.99"``) and ``sdt`` (``serverDateTime``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from typing import Any

from crowndesk.odsim.schema import TABLES

ENUMS: dict[str, list[str]] = {
    "patstatus": [
        "Patient",
        "NonPatient",
        "Inactive",
        "Archived",
        "Deleted",
        "Deceased",
        "Prospective",
    ],
    "gender": ["Male", "Female", "Unknown", "Other"],
    "position": ["Single", "Married", "Child", "Widowed", "Divorced"],
    "contact": [
        "None",
        "DoNotCall",
        "HmPhone",
        "WkPhone",
        "WirelessPh",
        "Email",
        "SeeNotes",
        "Mail",
        "TextMessage",
    ],
    "txtmsgok": ["Unknown", "Yes", "No"],
    "provstatus": ["Active", "Deleted"],
    "aptstatus": [
        "None",
        "Scheduled",
        "Complete",
        "UnschedList",
        "ASAP",
        "Broken",
        "Planned",
        "PtNote",
        "PtNoteCompleted",
    ],
    "aptpriority": ["Normal", "ASAP"],
    "treatarea": ["None", "Surf", "Tooth", "Mouth", "Quad", "Sextant", "Arch", "ToothRange"],
    "painttype": [
        "None",
        "Extraction",
        "Implant",
        "RCT",
        "PostBU",
        "FillingDark",
        "FillingLight",
        "CrownDark",
        "CrownLight",
        "BridgeDark",
        "BridgeLight",
        "DentureDark",
        "DentureLight",
        "Sealant",
        "Veneer",
        "Text",
        "RetainedRoot",
        "SpaceMaintainer",
    ],
    "substonlyif": ["Always", "Molar", "SecondMolar", "Never", "Posterior"],
    "procstatus": ["", "TP", "C", "EC", "EO", "R", "D", "Cn", "TPi"],
    "placeservice": [
        "Office",
        "PatientsHome",
        "InpatHospital",
        "OutpatHospital",
        "SkilledNursFac",
        "CustodialCareFacility",
        "OtherLocation",
        "MobileUnit",
        "School",
        "MilitaryTreatFac",
        "FederalHealthCenter",
        "PublicHealthClinic",
        "RuralHealthClinic",
        "EmergencyRoomHospital",
        "AmbulatorySurgicalCenter",
        "TelehealthOutsideHome",
        "TelehealthInHome",
        "OutreachSiteOrStreet",
    ],
    "tpstatus": ["Saved", "Active", "Inactive"],
    "tptype": ["Insurance", "Discount"],
    "nosendelect": ["SendElect", "NoSendElect", "NoSendSecondaryElect"],
    "cobrule": ["Basic", "Standard", "CarveOut", "SecondaryMedicaid"],
    "exclusionfeerule": ["PracticeDefault", "DoNothing", "UseUcrFee"],
    "yesno": ["Default", "Yes", "No"],
    "relationship": [
        "Self",
        "Spouse",
        "Child",
        "Employee",
        "HandicapDep",
        "SignifOther",
        "InjuredPlaintiff",
        "LifePartner",
        "Dependent",
    ],
    "benefittype": [
        "ActiveCoverage",
        "CoInsurance",
        "Deductible",
        "CoPayment",
        "Exclusions",
        "Limitations",
        "WaitingPeriod",
    ],
    "timeperiod": [
        "None",
        "ServiceYear",
        "CalendarYear",
        "Lifetime",
        "Years",
        "NumberInLast12Months",
    ],
    "qualifier": ["None", "NumberOfServices", "AgeLimit", "Visits", "Years", "Months"],
    "coveragelevel": ["None", "Individual", "Family"],
    "ebenefitcat": [
        "None",
        "General",
        "Diagnostic",
        "Periodontics",
        "Restorative",
        "Endodontics",
        "MaxillofacialProsth",
        "Crowns",
        "Accident",
        "Orthodontics",
        "Prosthodontics",
        "OralSurgery",
        "RoutinePreventive",
        "DiagnosticXRay",
        "Adjunctive",
    ],
    "cpstatus": [
        "NotReceived",
        "Received",
        "Preauth",
        "Adjustment",
        "Supplemental",
        "CapClaim",
        "Estimate",
        "CapComplete",
        "CapEstimate",
        "InsHist",
    ],
    "feeschedtype": ["Normal", "CoPay", "OutNetwork", "FixedBenefit", "ManualBlueBook"],
    "reftype": ["RefTo", "RefFrom", "RefCustom"],
    "reftostatus": ["None", "Declined", "Scheduled", "Consulted", "InTreatment", "Complete"],
    "paymentsource": [
        "None",
        "API",
        "PayConnect",
        "XWeb",
        "EdgeExpress",
        "PaySimple",
        "CareCredit",
    ],
    "processstatus": ["OfficeProcessed", "OnlineProcessed", "OnlinePending"],
    "debittype": ["Unknown", "Principal", "Interest"],
    "histaction": ["Created", "Changed", "Missed", "Cancelled", "Deleted"],
    "apptsource": ["None", "EConnector"],
    "commmode": [
        "None",
        "Email",
        "Mail",
        "Phone",
        "InPerson",
        "Text",
        "EmailAndText",
        "PhoneAndText",
    ],
    "sentorreceived": ["Neither", "Sent", "Received"],
    "commsource": ["User", "ProgramLink"],
}
ENUM_NUMBERS: dict[str, dict[str, int]] = {
    k: {name.lower(): i for i, name in enumerate(v) if name} for k, v in ENUMS.items()
}
ENUM_NUMBERS["relationship"]["injuredplantiff"] = 6
ENUM_NUMBERS["relationship"]["dependant"] = 8


def money_2dp(v: Any) -> str:
    return f"{Decimal(str(v)):.2f}"


def money_general(v: Any) -> str:
    d = Decimal(str(v))
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


@dataclass(slots=True)
class Filter:
    column: str
    kind: str  # int, str, like, enum.<name>, bool, date, dt, planttype, intlist


# Resources are module-level singletons: compare and hash them by identity so that they can key
# the app's serializer cache.
@dataclass(slots=True, eq=False)
class Resource:
    path: str
    table: str
    spec: str
    filters: dict[str, Filter] = field(default_factory=dict)
    changed: tuple[str, str, str] | None = None  # (param, column, "dt"|"date")
    server_dt: bool = False
    required: tuple[str, ...] = ()
    single: bool = True
    not_found: str = ""
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # json, column, kind

    def __post_init__(self) -> None:
        kinds = dict(TABLES[self.table])
        default = {"I": "i", "T": "s", "D": "s", "DT": "s", "M": "n", "B": "b", "R": "r", "TM": "s"}
        for token in self.spec.split():
            name, _, kind = token.partition(":")
            name, _, column = name.partition("=")
            if not column:
                column = name
            if not kind:
                kind = default[kinds[column]]
            elif not kind.startswith(("l.", "sdt")) and column not in kinds:
                raise ValueError(f"{self.table}.{column} unknown")
            self.fields.append((name, column, kind))
        if not self.not_found:
            self.not_found = f"{self.table.capitalize()} not found."

    @property
    def pk(self) -> str:
        return TABLES[self.table][0][0]

    @property
    def columns(self) -> list[str]:
        return [c for c, _ in TABLES[self.table]]


Lookups = dict[str, dict[int, str]]

Column = Sequence[Any]
"""One column of a page: every row's value for one table column, in row order."""
ColumnConverter = Callable[[Column], Iterable[Any]]
"""Turns a column of stored values into the values sent, in the same order."""


def _each(convert: Callable[[Any], Any]) -> ColumnConverter:
    def column(values: Column) -> Iterable[Any]:
        return map(convert, values)

    return column


class _TrueFalse(dict[Any, str]):
    """``"true" if v else "false"`` as a dict lookup, which map() runs without a Python call.

    Flags are stored as 0/1, so those are the keys; equal values are equally truthy (``0.0``
    finds ``0``), and anything else falls back to the truth test itself."""

    def __missing__(self, v: Any) -> str:
        return "true" if v else "false"


_TRUE_FALSE = _TrueFalse({0: "false", 1: "true"})


def _true_false(values: Column) -> Iterable[str]:
    return map(_TRUE_FALSE.__getitem__, values)


class _Memo(dict[Any, Any]):
    """``convert(v)``, remembered for values of one exact type.

    A page repeats a few values over and over (amounts, colours), and a dict hit beats even
    ``float()``, let alone Decimal formatting. Only values of type ``kind`` are remembered, and
    a value of another type finds one of those only if it is equal to it (``1.0 == 1``): no
    value but a ``str`` equals a ``str``, and ``_rgb`` gives equal numbers the same answer; so
    a remembered answer is always the one ``convert`` would give.
    """

    LIMIT = 65_536  # distinct values kept before starting over; bounds the memory

    def __init__(self, convert: Callable[[Any], Any], kind: type) -> None:
        super().__init__()
        self.convert = convert
        self.kind = kind

    def __missing__(self, v: Any) -> Any:
        out = self.convert(v)
        if type(v) is self.kind:
            if len(self) >= self.LIMIT:
                self.clear()
            self[v] = out
        return out


def _memoized(convert: Callable[[Any], Any], kind: type) -> ColumnConverter:
    return _each(_Memo(convert, kind).__getitem__)


def _labels(table: dict[int, str]) -> ColumnConverter:
    def column(values: Column) -> Iterable[str]:
        return map(table.get, values, repeat(""))

    return column


def _constant(value: Any) -> ColumnConverter:
    def column(values: Column) -> Iterable[Any]:
        return repeat(value, len(values))

    return column


def _rgb(v: Any) -> str:
    n = int(v)
    return f"{(n >> 16) & 255},{(n >> 8) & 255},{n & 255}"


# Kinds whose conversion does not depend on the lookups; None sends the stored value as is.
FIXED_KINDS: dict[str, ColumnConverter | None] = {
    "i": None,
    "s": None,
    "r": None,
    "b": _true_false,
    # Money is stored as text; "n" sends it as a JSON number (the text is already rounded).
    "n": _memoized(float, str),
    "$": _memoized(money_2dp, str),
    "g": _memoized(money_general, str),
    "l.rgb": _memoized(_rgb, int),
    "l.nonempty": _true_false,
    "l.nonzero": _true_false,
    "l.clinicabbr": _constant(""),
    "l.sitedesc": _constant(""),
}


def column_converter(kind: str, lookups: Lookups) -> ColumnConverter | None:
    if kind in FIXED_KINDS:
        return FIXED_KINDS[kind]
    if kind.startswith("e."):
        return _each(ENUMS[kind[2:]].__getitem__)
    if kind.startswith("l."):
        return _labels(lookups.get(kind[2:], {}))
    raise ValueError(kind)


@dataclass(frozen=True, slots=True)
class OutputField:
    name: str
    index: int  # the column's position in a table row; -1 for serverDateTime
    convert: ColumnConverter | None


class RowSerializer:
    """Turns table rows (all columns, table order) into API objects.

    Serving pages is the sandbox's main work, so a page is converted column by column: each
    converted column is one ``map`` over the page, and each record a ``dict(zip(keys, ...))``,
    which keeps the per-field work in C instead of a Python loop over the fields of every row.
    """

    def __init__(self, fields: list[OutputField]) -> None:
        self.fields = fields
        self.keys = tuple(f.name for f in fields)
        # serverDateTime is left out of the record when there is no server time to send.
        self.keys_without_sdt = tuple(f.name for f in fields if f.index >= 0)

    def rows(self, rows: Sequence[tuple[Any, ...]], server_dt: str | None) -> list[dict[str, Any]]:
        if not rows:
            return []
        columns = list(zip(*rows, strict=True))
        values: list[Iterable[Any]] = []
        for f in self.fields:
            if f.index < 0:
                if server_dt is not None:
                    values.append(repeat(server_dt, len(rows)))
            elif f.convert is None:
                values.append(columns[f.index])
            else:
                values.append(f.convert(columns[f.index]))
        keys = self.keys if server_dt is not None else self.keys_without_sdt
        # map() rather than a comprehension: zip can then reuse its record tuple, and there is
        # no bytecode per record.
        return list(map(dict, map(zip, repeat(keys), zip(*values, strict=True))))

    def __call__(self, row: tuple[Any, ...], server_dt: str | None) -> dict[str, Any]:
        return self.rows([row], server_dt)[0]


def compile_serializer(res: Resource, lookups: Lookups) -> RowSerializer:
    """Plan once which column feeds each output key and how it is converted."""
    index = {c: i for i, c in enumerate(res.columns)}
    fields = [
        OutputField(name, -1, None)
        if kind == "sdt"
        else OutputField(name, index[column], column_converter(kind, lookups))
        for name, column, kind in res.fields
    ]
    return RowSerializer(fields)


def _f(**kw: str) -> dict[str, Filter]:
    return {k: Filter(*v.split(":", 1)) if ":" in v else Filter(k, v) for k, v in kw.items()}


PATIENT_FULL = (
    "PatNum LName FName MiddleI Preferred PatStatus:e.patstatus Gender:e.gender "
    "Position:e.position Birthdate SSN Address Address2 City State Zip HmPhone WkPhone "
    "WirelessPhone Guarantor Email EstBalance PriProv priProvAbbr=PriProv:l.provabbr SecProv "
    "secProvAbbr=SecProv:l.provabbr FeeSched BillingType:l.defname ImageFolder FamFinUrgNote "
    "ChartNumber MedicaidID BalTotal EmployerNum DateFirstVisit ClinicNum "
    "clinicAbbr=ClinicNum:l.clinicabbr Premed Ward PreferConfirmMethod:e.contact "
    "PreferContactMethod:e.contact PreferRecallMethod:e.contact Language AdmitDate "
    "siteDesc=SiteNum:l.sitedesc DateTStamp SuperFamily TxtMsgOk:e.txtmsgok SecDateEntry"
)
PATIENT_FILTERS = _f(
    LName="LName:like",
    FName="FName:like",
    Birthdate="date",
    ClinicNum="int",
    PatStatus="PatStatus:enum.patstatus",
    PriProv="int",
    Gender="Gender:enum.gender",
    Position="Position:enum.position",
    Guarantor="int",
    SuperFamily="int",
    EmployerNum="int",
    FeeSched="int",
)

RESOURCES: list[Resource] = [
    Resource(
        "patients/Simple",
        "patient",
        "serverDateTime:sdt " + PATIENT_FULL,
        PATIENT_FILTERS,
        ("DateTStamp", "DateTStamp", "dt"),
        server_dt=True,
        single=False,
        not_found="Patient not found.",
    ),
    Resource("patients", "patient", PATIENT_FULL, {}, single=True, not_found="Patient not found."),
    Resource(
        "providers",
        "provider",
        "ProvNum Abbr LName FName MI Suffix FeeSched Specialty SSN StateLicense IsSecondary "
        "provColor=ProvColor:l.rgb IsHidden UsingTIN SigOnFile NationalProvID DateTStamp "
        "IsNotPerson ProvStatus:e.provstatus IsHiddenReport Birthdate SchedNote PreferredName "
        "serverDateTime:sdt",
        _f(ClinicNum="ClinicNum:clinic"),
        ("DateTStamp", "DateTStamp", "dt"),
        server_dt=True,
        not_found="Provider not found.",
    ),
    Resource(
        "operatories",
        "operatory",
        "OperatoryNum OpName Abbrev ItemOrder IsHidden ProvDentist ProvHygienist IsHygiene "
        "ClinicNum SetProspective IsWebSched OperatoryType operatoryType=OperatoryType:l.defname",
        _f(ClinicNum="int"),
        not_found="Operatory not found.",
    ),
    Resource(
        "appointments",
        "appointment",
        "serverDateTime:sdt AptNum PatNum AptStatus:e.aptstatus Pattern Confirmed "
        "confirmed=Confirmed:l.defname TimeLocked Op Note ProvNum provAbbr=ProvNum:l.provabbr "
        "ProvHyg AptDateTime NextAptNum UnschedStatus unschedStatus=UnschedStatus:l.defname "
        "IsNewPatient ProcDescript Assistant ClinicNum IsHygiene DateTStamp DateTimeArrived "
        "DateTimeSeated DateTimeDismissed InsPlan1 InsPlan2 DateTimeAskedToArrive "
        "colorOverride=ColorOverride:l.rgb AppointmentTypeNum SecUserNumEntry SecDateTEntry "
        "Priority:e.aptpriority PatternSecondary ItemOrderPlanned IsMirrored",
        _f(
            PatNum="int",
            AptStatus="AptStatus:enum.aptstatus",
            Op="int",
            ClinicNum="int",
            AppointmentTypeNum="int",
            date="AptDateTime:day",
            dateStart="AptDateTime:daystart",
            dateEnd="AptDateTime:dayend",
        ),
        ("DateTStamp", "DateTStamp", "dt"),
        server_dt=True,
        not_found="Appointment not found.",
    ),
    Resource(
        "histappointments",
        "histappointment",
        "HistApptNum HistUserNum HistDateTStamp HistApptAction:e.histaction "
        "ApptSource:e.apptsource AptNum PatNum AptStatus:e.aptstatus Pattern Confirmed "
        "confirmed=Confirmed:l.defname Op Note ProvNum provAbbr=ProvNum:l.provabbr ProvHyg "
        "AptDateTime NextAptNum UnschedStatus IsNewPatient ProcDescript ClinicNum IsHygiene "
        "DateTStamp InsPlan1 InsPlan2 AppointmentTypeNum SecDateTEntry Priority:e.aptpriority",
        _f(
            HistApptAction="HistApptAction:enum.histaction",
            AptNum="int",
            PatNum="int",
            AptStatus="AptStatus:enum.aptstatus",
            ClinicNum="int",
            date="HistDateTStamp:day",
            dateStart="HistDateTStamp:daystart",
            dateEnd="HistDateTStamp:dayend",
        ),
        single=False,
    ),
    Resource(
        "procedurecodes",
        "procedurecode",
        "CodeNum ProcCode Descript AbbrDesc ProcTime ProcCat procCat=ProcCat:l.defname "
        "TreatArea:e.treatarea NoBillIns IsProsth DefaultNote IsHygiene AlternateCode1 "
        "MedicalCode IsTaxed PaintType:e.painttype LaymanTerm IsCanadianLab BaseUnits "
        "SubstitutionCode SubstOnlyIf:e.substonlyif DateTStamp DrugNDC RevenueCodeDefault "
        "ProvNumDefault CanadaTimeUnits IsRadiology DefaultClaimNote DefaultTPNote PaintText "
        "AreaAlsoToothRange DiagnosticCodes",
        {},
        ("DateTStamp", "DateTStamp", "dt"),
        not_found="Procedure code not found.",
    ),
    Resource(
        "procedurelogs",
        "procedurelog",
        "ProcNum PatNum AptNum ProcDate ProcFee:$ Surf ToothNum ToothRange Priority "
        "priority=Priority:l.defname ProcStatus:e.procstatus ProvNum provAbbr=ProvNum:l.provabbr "
        "Dx dxName=Dx:l.defname PlannedAptNum PlaceService:e.placeservice Prosthesis "
        "DateOriginalProsth ClaimNote DateEntryC ClinicNum CodeNum procCode=CodeNum:l.proccode "
        "descript=CodeNum:l.procdescript UnitQty BaseUnits DateTP SiteNum HideGraphics "
        "CanadianTypeCodes ProcTime ProcTimeEnd DateTStamp Prognosis IsLocked BillingNote "
        "Discount IsDateProsthEst SecDateEntry serverDateTime:sdt",
        _f(
            PatNum="int",
            AptNum="int",
            ProcStatus="ProcStatus:enum.procstatus",
            PlannedAptNum="int",
            ClinicNum="int",
            CodeNum="int",
        ),
        ("DateTStamp", "DateTStamp", "dt"),
        server_dt=True,
        not_found="Procedure not found.",
    ),
    Resource(
        "treatplans",
        "treatplan",
        "TreatPlanNum PatNum DateTP Heading Note SigIsTopaz ResponsParty DocNum "
        "TPStatus:e.tpstatus SecUserNumEntry SecDateEntry SecDateTEdit UserNumPresenter "
        "TPType:e.tptype DateTSigned DateTPracticeSigned SignatureText SignaturePracticeText "
        "isSigned=Signature:l.nonempty isSignedPractice=SignaturePractice:l.nonempty",
        _f(PatNum="int", TPStatus="TPStatus:enum.tpstatus"),
        ("SecDateTEdit", "SecDateTEdit", "dt"),
        single=False,
    ),
    Resource(
        "treatplanattaches",
        "treatplanattach",
        "TreatPlanAttachNum TreatPlanNum ProcNum Priority priority=Priority:l.defname",
        _f(TreatPlanNum="int"),
        required=("TreatPlanNum",),
        single=False,
    ),
    Resource(
        "proctps",
        "proctp",
        "ProcTPNum TreatPlanNum PatNum ProcNumOrig ItemOrder Priority "
        "priority=Priority:l.defname ToothNumTP Surf ProcCode Descript FeeAmt PriInsAmt "
        "SecInsAmt PatAmt Discount Prognosis Dx ProcAbbr SecUserNumEntry SecDateEntry "
        "SecDateTEdit FeeAllowed TaxAmt ProvNum DateTP ClinicNum CatPercUCR",
        _f(TreatPlanNum="int"),
        required=("TreatPlanNum",),
        single=False,
    ),
    Resource(
        "carriers",
        "carrier",
        "CarrierNum CarrierName Address Address2 City State Zip Phone ElectID "
        "NoSendElect:e.nosendelect IsHidden",
        {},
        not_found="Carrier not found.",
    ),
    Resource(
        "insplans",
        "insplan",
        "PlanNum GroupName GroupNum PlanNote FeeSched PlanType ClaimFormNum ClaimsUseUCR "
        "CopayFeeSched EmployerNum CarrierNum IsMedical FilingCode ShowBaseUnits CodeSubstNone "
        "IsHidden MonthRenew FilingCodeSubtype CobRule:e.cobrule SecUserNumEntry SecDateEntry "
        "SecDateTEdit BillingType ExclusionFeeRule:e.exclusionfeerule ManualFeeSchedNum "
        "IsBlueBookEnabled InsPlansZeroWriteOffsOnAnnualMaxOverride:e.yesno "
        "InsPlansZeroWriteOffsOnFreqOrAgingOverride:e.yesno",
        _f(PlanType="PlanType:plantype", CarrierNum="int"),
        not_found="InsPlan not found.",
    ),
    Resource(
        "inssubs",
        "inssub",
        "InsSubNum PlanNum Subscriber DateEffective DateTerm SubscriberID BenefitNotes "
        "ReleaseInfo AssignBen SubscNote SecDateTEdit",
        _f(PlanNum="int", Subscriber="int"),
        ("SecDateTEdit", "SecDateTEdit", "dt"),
        not_found="InsSub not found.",
    ),
    Resource(
        "patplans",
        "patplan",
        "PatPlanNum PatNum Ordinal IsPending Relationship:e.relationship PatID InsSubNum "
        "OrthoAutoFeeBilledOverride OrthoAutoNextClaimDate SecDateTEntry SecDateTEdit",
        _f(PatNum="int", InsSubNum="int"),
        single=False,
    ),
    Resource(
        "benefits",
        "benefit",
        "BenefitNum PlanNum PatPlanNum CovCatNum BenefitType:e.benefittype Percent MonetaryAmt "
        "TimePeriod:e.timeperiod QuantityQualifier:e.qualifier Quantity CodeNum "
        "procCode=CodeNum:l.proccode CoverageLevel:e.coveragelevel SecDateTEntry SecDateTEdit "
        "CodeGroupNum TreatArea:e.treatarea",
        _f(PlanNum="int", PatPlanNum="int"),
        not_found="Benefit not found.",
    ),
    Resource(
        "covcats",
        "covcat",
        "CovCatNum Description DefaultPercent CovOrder IsHidden EbenefitCat:e.ebenefitcat",
        {},
        not_found="CovCat not found.",
    ),
    Resource(
        "covspans",
        "covspan",
        "CovSpanNum CovCatNum FromCode ToCode",
        _f(CovCatNum="int"),
        not_found="CovSpan not found.",
    ),
    Resource(
        "claims",
        "claim",
        "ClaimNum PatNum DateService DateSent ClaimStatus DateReceived PlanNum ProvTreat "
        "ClaimFee InsPayEst InsPayAmt DedApplied IsProsthesis PriorDate ReasonUnderPaid "
        "ClaimNote ClaimType ProvBill PlaceService:e.placeservice AccidentRelated AccidentDate "
        "AccidentST IsOrtho OrthoRemainM OrthoDate PatRelat:e.relationship PlanNum2 "
        "PatRelat2:e.relationship WriteOff ClaimForm InsSubNum InsSubNum2 "
        "PriorAuthorizationNumber CustomTracking customTracking=CustomTracking:l.defname "
        "OrthoTotalM SecDateTEdit",
        _f(PatNum="int", ClaimStatus="ClaimStatus:str"),
        ("SecDateTEdit", "SecDateTEdit", "dt"),
        not_found="Claim not found.",
    ),
    Resource(
        "claimprocs",
        "claimproc",
        "ClaimProcNum ProcNum ClaimNum PatNum ProvNum FeeBilled InsPayEst DedApplied "
        "Status:e.cpstatus InsPayAmt Remarks ClaimPaymentNum PlanNum DateCP WriteOff CodeSent "
        "AllowedOverride Percentage PercentOverride CopayAmt NoBillIns PaidOtherIns BaseEst "
        "CopayOverride ProcDate DateEntry DedEst DedEstOverride InsEstTotal InsEstTotalOverride "
        "PaidOtherInsOverride EstimateNote WriteOffEst WriteOffEstOverride ClinicNum InsSubNum "
        "PaymentRow PayPlanNum ClaimPaymentTracking "
        "claimPaymentTracking=ClaimPaymentTracking:l.defname SecUserNumEntry SecDateEntry "
        "SecDateTEdit DateSuppReceived DateInsFinalized IsTransfer ClaimAdjReasonCodes",
        _f(
            ProcNum="int",
            ClaimNum="int",
            PatNum="int",
            Status="Status:enum.cpstatus",
            ClaimPaymentNum="int",
        ),
        not_found="ClaimProc not found.",
    ),
    Resource(
        "claimpayments",
        "claimpayment",
        "ClaimPaymentNum CheckDate CheckAmt:g CheckNum BankBranch Note ClinicNum DepositNum "
        "CarrierName DateIssued IsPartial PayType payType=PayType:l.defname SecUserNumEntry "
        "SecDateEntry SecDateTEdit PayGroup payGroup=PayGroup:l.defname",
        {},
        ("SecDateTEdit", "SecDateTEdit", "dt"),
        not_found="ClaimPayment not found.",
    ),
    Resource(
        "payments",
        "payment",
        "PayNum PayType payType=PayType:l.defname PayDate PayAmt:g CheckNum BankBranch PayNote "
        "PatNum ClinicNum DateEntry DepositNum Receipt IsRecurringCC SecUserNumEntry "
        "SecDateTEdit PaymentSource:e.paymentsource ProcessStatus:e.processstatus "
        "RecurringChargeDate IsCcCompleted serverDateTime:sdt",
        _f(PayType="int", PatNum="int"),
        ("DateEntry", "DateEntry", "date"),
        server_dt=True,
        single=False,
    ),
    Resource(
        "paysplits",
        "paysplit",
        "SplitNum SplitAmt PatNum PayNum ProvNum PayPlanNum DatePay ProcNum DateEntry "
        "UnearnedType unearnedType=UnearnedType:l.defname ClinicNum SecDateTEdit AdjNum "
        "PayPlanChargeNum PayPlanDebitType:e.debittype",
        _f(PatNum="int", PayNum="int", ProcNum="int"),
        single=False,
    ),
    Resource(
        "adjustments",
        "adjustment",
        "AdjNum AdjDate AdjAmt PatNum AdjType adjType=AdjType:l.defname ProvNum AdjNote "
        "ProcDate ProcNum DateEntry ClinicNum SecUserNumEntry SecDateTEdit",
        _f(PatNum="int", AdjType="int", ProcNum="int"),
        required=("PatNum",),
        single=False,
    ),
    Resource(
        "feescheds",
        "feesched",
        "FeeSchedNum Description FeeSchedType:e.feeschedtype ItemOrder IsHidden IsGlobal "
        "SecUserNumEntry SecDateEntry SecDateTEdit",
        {},
        single=False,
    ),
    Resource(
        "fees",
        "fee",
        "FeeNum Amount FeeSched CodeNum ClinicNum ProvNum SecUserNumEntry SecDateEntry "
        "SecDateTEdit",
        _f(FeeSched="int", CodeNum="int", ClinicNum="int", ProvNum="int"),
        not_found="Fee not found.",
    ),
    Resource(
        "referrals",
        "referral",
        "ReferralNum LName FName MName SSN UsingTIN Specialty specialty=Specialty:l.defname ST "
        "Telephone Address Address2 City Zip Note Phone2 IsHidden NotPerson Title EMail PatNum "
        "IsDoctor DateTStamp IsPreferred BusinessName DisplayNote isPatient=PatNum:l.nonzero",
        _f(
            IsHidden="bool",
            NotPerson="bool",
            IsDoctor="bool",
            IsPreferred="bool",
            isPatient="PatNum:nonzero",
            BusinessName="BusinessName:like",
        ),
        not_found="Referral not found.",
    ),
    Resource(
        "refattaches",
        "refattach",
        "RefAttachNum ReferralNum referralName=ReferralNum:l.referralname PatNum ItemOrder "
        "RefDate ReferralType=RefType:e.reftype RefToStatus:e.reftostatus Note "
        "IsTransitionOfCare ProcNum DateProcComplete ProvNum DateTStamp",
        _f(ReferralNum="int", PatNum="int"),
        ("DateTStamp", "DateTStamp", "dt"),
        single=False,
    ),
    Resource(
        "commlogs",
        "commlog",
        "CommlogNum PatNum CommDateTime CommType commType=CommType:l.defname Note "
        "Mode_:e.commmode SentOrReceived:e.sentorreceived UserNum DateTStamp "
        "CommSource:e.commsource ProgramNum DateTEntry ReferralNum",
        _f(PatNum="int"),
        ("DateTStamp", "DateTStamp", "dt"),
        single=False,
    ),
    Resource(
        "definitions",
        "definition",
        "DefNum Category category=Category:l.defcategory ItemOrder ItemName ItemValue "
        "isHidden=IsHidden:b",
        _f(Category="int"),
        single=False,
    ),
]

# The "Patient Select" list at GET /patients (a subset, no DateTStamp).
PATIENT_SELECT = Resource(
    "patients",
    "patient",
    "PatNum LName FName MiddleI Preferred PatStatus:e.patstatus Birthdate SSN Address Address2 "
    "City State Zip HmPhone WkPhone WirelessPhone Email priProvAbbr=PriProv:l.provabbr "
    "secProvAbbr=SecProv:l.provabbr BillingType:l.defname ChartNumber ClinicNum "
    "clinicAbbr=ClinicNum:l.clinicabbr siteDesc=SiteNum:l.sitedesc TxtMsgOk:e.txtmsgok",
    _f(
        LName="LName:like",
        FName="FName:like",
        Phone="HmPhone:phone",
        Address="Address:like",
        City="City:like",
        State="State:like",
        SSN="SSN:like",
        ChartNumber="ChartNumber:like",
        Birthdate="date",
        Email="Email:like",
        hideInactive="PatStatus:hideinactive",
        guarOnly="PatNum:guaronly",
        showArchived="PatStatus:showarchived",
        clinicNums="ClinicNum:intlist",
    ),
    single=False,
)

BY_PATH: dict[str, Resource] = {r.path: r for r in RESOURCES}
DEF_CATEGORY_NAMES: dict[int, str] = {
    1: "AdjTypes",
    2: "ApptConfirmed",
    4: "BillingTypes",
    10: "PaymentTypes",
    11: "ProcCodeCats",
    13: "RecallUnschedStatus",
    16: "Diagnosis",
    20: "TxPriorities",
    27: "CommLogTypes",
    29: "PaySplitUnearnedType",
    30: "Prognosis",
    32: "InsurancePaymentType",
    35: "ProviderSpecialty",
    36: "ClaimPaymentTracking",
    40: "ClaimPaymentGroups",
}
