"""Patients, and families derived from their guarantors."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from crowndesk.core.text import digits, search_key
from crowndesk.patients import family_links
from crowndesk.patients.models import Gender, Patient, PatientStatus, Position
from crowndesk.pms.opendental.formats import day, key, ordered_choice, text
from crowndesk.pms.sync.spec import ChangedSince, EntitySpec, Field, Ref

_patient_status = ordered_choice(
    ["Patient", "NonPatient", "Inactive", "Archived", "Deleted", "Deceased", "Prospective"],
    list(PatientStatus),
)
_gender = ordered_choice(["Male", "Female", "Unknown", "Other"], list(Gender))
_position = ordered_choice(["Single", "Married", "Child", "Widowed", "Divorced"], list(Position))
_TEXT_OK: dict[Any, bool | None] = {
    "unknown": None,
    "yes": True,
    "no": False,
    0: None,
    1: True,
    2: False,
}


def _text_ok(value: Any) -> bool | None:
    """Whether texting is allowed: Unknown, Yes, No (raw rows: 0, 1, 2)."""
    found = _TEXT_OK.get(value.lower() if isinstance(value, str) else value, "bad")
    if found == "bad":
        raise ValueError("not one of the known values")
    return found  # type: ignore[return-value]


def _search_keys(row: dict[str, Any], raw: Mapping[str, Any]) -> None:
    row["name_key"] = search_key(
        row["last_name"], row["first_name"], row["preferred_name"], row["middle_initial"]
    )
    phones = (row["wireless_phone"], row["home_phone"], row["work_phone"])
    row["phone_key"] = " ".join(digits(p) for p in phones if p and digits(p))


def _patient_deleted(raw: Mapping[str, Any]) -> bool:
    return str(raw.get("PatStatus", "")).lower() in ("deleted", "4")


PATIENTS = EntitySpec(
    name="patients",
    model=Patient,
    key="PatNum",
    endpoint="/patients/Simple",
    changed_since=ChangedSince("DateTStamp", server_time=True),
    stamp="DateTStamp",
    hard_deletes=False,
    deleted=_patient_deleted,
    fields=(
        Field("first_name", "FName", text),
        Field("last_name", "LName", text),
        Field("middle_initial", "MiddleI", text),
        Field("preferred_name", "Preferred", text),
        Field("birth_date", "Birthdate", day),
        Field("gender", "Gender", _gender),
        Field("status", "PatStatus", _patient_status),
        Field("position", "Position", _position),
        Field("email", "Email", text),
        Field("wireless_phone", "WirelessPhone", text),
        Field("home_phone", "HmPhone", text),
        Field("work_phone", "WkPhone", text),
        Field("address", "Address", text),
        Field("address2", "Address2", text),
        Field("city", "City", text),
        Field("state", "State", text),
        Field("zip", "Zip", text),
        Field("chart_number", "ChartNumber", text),
        Field("billing_type", "BillingType", text),
        Field("language", "Language", text),
        Field("first_visit_date", "DateFirstVisit", day),
        Field("text_ok", "TxtMsgOk", _text_ok),
        Field("pms_guarantor_id", "Guarantor", key),
    ),
    refs=(
        Ref("primary_provider_id", "PriProv", "providers"),
        Ref("secondary_provider_id", "SecProv", "providers"),
    ),
    derive=_search_keys,
    derived=("name_key", "phone_key"),
    after_run=family_links.link,
    every=timedelta(minutes=5),
)

SPECS = (PATIENTS,)
