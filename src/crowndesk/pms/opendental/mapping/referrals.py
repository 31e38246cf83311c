"""Referral sources and the referrals attached to patients."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crowndesk.pms.opendental.formats import boolean, day, integer, ordered_choice, text
from crowndesk.pms.sync.spec import ChangedSince, EntitySpec, Field, Ref
from crowndesk.referrals.models import (
    ReferralAttachment,
    ReferralSource,
    ReferralStatus,
    ReferralType,
)

_referral_type = ordered_choice(["RefTo", "RefFrom", "RefCustom"], list(ReferralType))
_referral_status = ordered_choice(
    ["None", "Declined", "Scheduled", "Consulted", "InTreatment", "Complete"],
    list(ReferralStatus),
)


def _whole_number(value: Any) -> int:
    number = integer(value)
    if number is None:
        raise ValueError("missing")
    return number


REFERRAL_SOURCES = EntitySpec(
    name="referral_sources",
    model=ReferralSource,
    key="ReferralNum",
    endpoint="/referrals",  # no changed-since filter: a full re-read
    stamp="DateTStamp",
    fields=(
        Field("last_name", "LName", text),
        Field("first_name", "FName", text),
        Field("middle_name", "MName", text),
        Field("business_name", "BusinessName", text),
        Field("title", "Title", text),
        Field("specialty", "Specialty", integer),
        Field("phone", "Telephone", text),
        Field("email", "EMail", text),
        Field("address", "Address", text),
        Field("address2", "Address2", text),
        Field("city", "City", text),
        Field("state", "ST", text),
        Field("zip", "Zip", text),
        Field("note", "Note", text),
        Field("is_hidden", "IsHidden", boolean),
        Field("not_person", "NotPerson", boolean),
        Field("is_doctor", "IsDoctor", boolean),
        Field("is_preferred", "IsPreferred", boolean),
    ),
    # Every full re-read fills the link in once the patient is mirrored.
    refs=(Ref("patient_id", "PatNum", "patients", park=False),),
    every=timedelta(hours=1),
)

REFERRAL_ATTACHMENTS = EntitySpec(
    name="referral_attachments",
    model=ReferralAttachment,
    key="RefAttachNum",
    endpoint="/refattaches",
    changed_since=ChangedSince("DateTStamp"),
    stamp="DateTStamp",
    fields=(
        Field("referral_type", "ReferralType", _referral_type),
        Field("referral_date", "RefDate", day),
        Field("status", "RefToStatus", _referral_status),
        Field("note", "Note", text),
        Field("is_transition_of_care", "IsTransitionOfCare", boolean),
        Field("procedure_completed_date", "DateProcComplete", day),
        Field("item_order", "ItemOrder", _whole_number),
    ),
    refs=(
        Ref("referral_source_id", "ReferralNum", "referral_sources", required=True),
        Ref("patient_id", "PatNum", "patients", required=True),
        Ref("procedure_id", "ProcNum", "procedures", park=False),
        Ref("provider_id", "ProvNum", "providers"),
    ),
    every=timedelta(hours=1),
)

SPECS = (REFERRAL_SOURCES, REFERRAL_ATTACHMENTS)
