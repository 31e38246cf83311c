"""Providers, operatories and appointments."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from crowndesk.pms.opendental.formats import (
    boolean,
    day,
    integer,
    ordered_choice,
    pattern_minutes,
    text,
    timestamp,
)
from crowndesk.pms.sync.spec import ChangedSince, EntitySpec, Field, Query, Ref
from crowndesk.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Operatory,
    Provider,
    ProviderStatus,
)

_provider_status = ordered_choice(["Active", "Deleted"], list(ProviderStatus))
_appointment_status = ordered_choice(
    [
        "Scheduled",
        "Complete",
        "UnschedList",
        "ASAP",
        "Broken",
        "Planned",
        "PtNote",
        "PtNoteCompleted",
    ],
    list(AppointmentStatus),
)
_appointment_status_numbered = {i + 1: s for i, s in enumerate(AppointmentStatus)}


def _read_appointment_status(value: Any) -> AppointmentStatus:
    # Raw rows number the statuses from 1 (0 is an unused "None").
    if isinstance(value, int) and not isinstance(value, bool):
        found = _appointment_status_numbered.get(value)
        if found is None:
            raise ValueError("not one of the known values")
        return found
    result: AppointmentStatus = _appointment_status(value)
    return result


_priority = ordered_choice(["Normal", "ASAP"], ["normal", "asap"])


def _provider_deleted(raw: Mapping[str, Any]) -> bool:
    return str(raw.get("ProvStatus", "")).lower() in ("deleted", "1")


PROVIDERS = EntitySpec(
    name="providers",
    model=Provider,
    key="ProvNum",
    endpoint="/providers",
    changed_since=ChangedSince("DateTStamp", server_time=True),
    stamp="DateTStamp",
    hard_deletes=False,
    deleted=_provider_deleted,
    fields=(
        Field("abbreviation", "Abbr", text),
        Field("first_name", "FName", text),
        Field("last_name", "LName", text),
        Field("middle_initial", "MI", text),
        Field("suffix", "Suffix", text),
        Field("preferred_name", "PreferredName", text),
        Field("specialty", "Specialty", integer),
        Field("npi", "NationalProvID", text),
        Field("state_license", "StateLicense", text),
        Field("is_hygienist", "IsSecondary", boolean),
        Field("is_hidden", "IsHidden", boolean),
        Field("is_not_person", "IsNotPerson", boolean),
        Field("status", "ProvStatus", _provider_status),
        Field("birth_date", "Birthdate", day),
    ),
    every=timedelta(hours=1),
)

OPERATORIES = EntitySpec(
    name="operatories",
    model=Operatory,
    key="OperatoryNum",
    endpoint="/operatories",
    fields=(
        Field("name", "OpName", text),
        Field("abbreviation", "Abbrev", text),
        Field("item_order", "ItemOrder", integer),
        Field("is_hidden", "IsHidden", boolean),
        Field("is_hygiene", "IsHygiene", boolean),
        Field("is_web_sched", "IsWebSched", boolean),
    ),
    refs=(
        Ref("dentist_id", "ProvDentist", "providers"),
        Ref("hygienist_id", "ProvHygienist", "providers"),
    ),
    every=timedelta(days=1),
)

APPOINTMENTS = EntitySpec(
    name="appointments",
    model=Appointment,
    key="AptNum",
    endpoint="/appointments",
    changed_since=ChangedSince("DateTStamp", server_time=True),
    query=Query("appointment"),
    stamp="DateTStamp",
    fields=(
        Field("start", "AptDateTime", timestamp),
        Field("pattern", "Pattern", text),
        Field("duration_minutes", "Pattern", pattern_minutes),
        Field("status", "AptStatus", _read_appointment_status),
        Field("confirmed", "Confirmed", integer),  # a definition number (category 2)
        Field("note", "Note", text),
        Field("is_new_patient", "IsNewPatient", boolean),
        Field("is_hygiene", "IsHygiene", boolean),
        Field("procedure_description", "ProcDescript", text),
        Field("priority", "Priority", _priority),
        Field("arrived_at", "DateTimeArrived", timestamp),
        Field("seated_at", "DateTimeSeated", timestamp),
        Field("dismissed_at", "DateTimeDismissed", timestamp),
    ),
    refs=(
        Ref("patient_id", "PatNum", "patients", required=True),
        Ref("provider_id", "ProvNum", "providers"),
        Ref("hygienist_id", "ProvHyg", "providers"),
        Ref("operatory_id", "Op", "operatories"),
    ),
    every=timedelta(minutes=2),
)

SPECS = (PROVIDERS, OPERATORIES, APPOINTMENTS)
