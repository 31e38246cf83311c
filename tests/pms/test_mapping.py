"""Every entity spec reads real sandbox rows: the API's and, where a spec reads through
`/queries/ShortQuery`, the raw rows too — and both give the same values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest

from crowndesk.claims.models import ClaimProcedureStatus, ClaimStatus
from crowndesk.insurance.models import PlanType, Relationship
from crowndesk.odsim import Sandbox, SandboxConfig
from crowndesk.odsim.app import create_app
from crowndesk.pms.opendental.formats import key, timestamp
from crowndesk.pms.opendental.mapping import insurance, ledger
from crowndesk.pms.sync.registry import ENTITIES, spec_for
from crowndesk.pms.sync.spec import EntitySpec
from crowndesk.referrals.models import ReferralType
from crowndesk.treatment.models import PlannedProcedureKind, TreatmentPlanStatus

Rows = list[dict[str, Any]]
QUERY_PAGE = 100

ENTITY_NAMES = [spec.name for spec in ENTITIES]
QUERIED_NAMES = [spec.name for spec in ENTITIES if spec.query is not None]


@dataclass
class Practice:
    """A small sandbox practice read once: rows per entity name, API and raw."""

    api: dict[str, Rows] = field(default_factory=dict)
    raw: dict[str, Rows] = field(default_factory=dict)


async def _get_all(client: httpx.AsyncClient, path: str, params: Mapping[str, Any]) -> Rows:
    rows: Rows = []
    while True:
        answer = await client.get(path, params={**params, "Offset": len(rows)})
        answer.raise_for_status()
        page = answer.json()
        rows.extend(page)
        if not page:
            return rows


async def _query_all(client: httpx.AsyncClient, sql: str) -> Rows:
    rows: Rows = []
    while True:
        answer = await client.put(
            "/queries/ShortQuery", params={"Offset": len(rows)}, json={"SqlCommand": sql}
        )
        answer.raise_for_status()
        page = answer.json()
        rows.extend(page)
        if len(page) < QUERY_PAGE:
            return rows


async def _api_rows(client: httpx.AsyncClient, spec: EntitySpec, practice: Practice) -> Rows:
    assert spec.endpoint is not None
    if spec.listable:
        return await _get_all(client, spec.endpoint, spec.params)
    # The resource needs a parent's key: ask once per parent, as the per-parent read does.
    relation = spec.per_parent[0]
    parent = spec_for(relation.parent)
    rows: Rows = []
    for parent_row in practice.api[relation.parent]:
        params = {**spec.params, relation.param: parent_row[parent.key]}
        rows.extend(await _get_all(client, spec.endpoint, params))
    return rows


@pytest.fixture(scope="module")
async def practice() -> Practice:
    sandbox = Sandbox(SandboxConfig(patients=60, seed=3, ticking=False))
    c = sandbox.config
    headers = {
        "Authorization": f"ODFHIR {c.developer_key}/{c.customer_key}",
        "Content-Type": "application/json",
    }
    transport = httpx.ASGITransport(app=create_app(sandbox))
    result = Practice()
    async with httpx.AsyncClient(
        transport=transport, base_url="http://odsim/api/v1", headers=headers
    ) as client:
        for spec in ENTITIES:  # parents first: per-parent reads need their keys
            result.api[spec.name] = await _api_rows(client, spec, result)
            if spec.query is not None:
                result.raw[spec.name] = await _query_all(
                    client, f"SELECT * FROM {spec.query.table}"
                )
    return result


def _read(spec: EntitySpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Our values for one payload, as the spec's readers give them (keys for refs)."""
    where = f"{spec.name} {spec.key}={raw.get(spec.key)!r}"
    assert key(raw.get(spec.key)) is not None, f"{where}: no key"
    values: dict[str, Any] = {}
    try:
        for f in spec.fields:
            if f.source not in raw:
                assert f.optional, f"{where}: {f.source} missing"
                continue
            values[f.column] = f.read(raw[f.source])
        for ref in spec.refs:
            values[ref.column] = key(raw.get(ref.source))
            assert values[ref.column] is not None or not ref.required, f"{where}: {ref.source}"
        if spec.stamp is not None:
            values["pms_updated_at"] = timestamp(raw.get(spec.stamp))
        if spec.derive is not None:
            spec.derive(values, raw)
    except ValueError as exc:
        raise AssertionError(f"{where}: {exc}") from exc
    return values


def _by_key(spec: EntitySpec, rows: Rows) -> dict[str, Mapping[str, Any]]:
    return {str(key(row[spec.key])): row for row in rows}


def _one(rows: Rows, **match: Any) -> dict[str, Any]:
    found = [row for row in rows if all(row.get(k) == v for k, v in match.items())]
    assert found, f"no sandbox row with {match}"
    return found[0]


class TestEveryRowMaps:
    @pytest.mark.parametrize("name", ENTITY_NAMES)
    def test_api_rows(self, practice: Practice, name: str) -> None:
        spec = spec_for(name)
        rows = practice.api[name]
        assert rows, f"the sandbox has no {name}"
        for raw in rows:
            _read(spec, raw)

    @pytest.mark.parametrize("name", QUERIED_NAMES)
    def test_raw_rows(self, practice: Practice, name: str) -> None:
        spec = spec_for(name)
        rows = practice.raw[name]
        assert rows, f"the sandbox has no {name}"
        for raw in rows:
            _read(spec, raw)

    @pytest.mark.parametrize("name", QUERIED_NAMES)
    def test_raw_rows_read_as_api_rows(self, practice: Practice, name: str) -> None:
        spec = spec_for(name)
        api = _by_key(spec, practice.api[name])
        raw = _by_key(spec, practice.raw[name])
        assert api.keys() == raw.keys()
        for pms_id, row in api.items():
            assert _read(spec, raw[pms_id]) == _read(spec, row), f"{name} {pms_id}"


class TestReaders:
    def test_benefit_sentinels_are_none(self, practice: Practice) -> None:
        spec = spec_for("benefits")
        api = _one(practice.api["benefits"], Percent=-1, MonetaryAmt=-1.0)
        raw = _one(practice.raw["benefits"], BenefitNum=api["BenefitNum"])
        for row in (api, raw):
            values = _read(spec, row)
            assert (values["percent"], values["amount"]) == (None, None)

    def test_benefit_percent_and_amount(self, practice: Practice) -> None:
        spec = spec_for("benefits")
        coinsurance = _read(spec, _one(practice.api["benefits"], BenefitType="CoInsurance"))
        deductible = _read(spec, _one(practice.api["benefits"], BenefitType="Deductible"))
        assert (coinsurance["percent"], deductible["amount"] > 0) == (100, True)

    def test_plan_type_letters(self, practice: Practice) -> None:
        spec = spec_for("insurance_plans")
        letters = {"p": PlanType.ppo, "": PlanType.category_percentage}
        for rows in (practice.api["insurance_plans"], practice.raw["insurance_plans"]):
            for row in rows:
                assert _read(spec, row)["plan_type"] is letters[row["PlanType"]]

    def test_ppo_plan(self, practice: Practice) -> None:
        spec = spec_for("insurance_plans")
        plan = _one(practice.api["insurance_plans"], PlanType="p")
        assert _read(spec, plan)["plan_type"] is PlanType.ppo

    def test_every_plan_type(self) -> None:
        read = next(f.read for f in spec_for("insurance_plans").fields if f.source == "PlanType")
        assert [read(v) for v in ("", "p", "f", "c")] == list(PlanType)

    def test_claim_status_letter(self, practice: Practice) -> None:
        spec = spec_for("claims")
        claim = _one(practice.api["claims"], ClaimStatus="R")
        assert _read(spec, claim)["status"] is ClaimStatus.received

    def test_every_claim_status(self) -> None:
        read = next(f.read for f in spec_for("claims").fields if f.source == "ClaimStatus")
        assert [read(v) for v in "UHWSRI"] == list(ClaimStatus)

    def test_claim_procedure_status_by_name_and_number(self, practice: Practice) -> None:
        spec = spec_for("claim_procedures")
        api = _one(practice.api["claim_procedures"], Status="Received")
        raw = _one(practice.raw["claim_procedures"], ClaimProcNum=api["ClaimProcNum"])
        assert (raw["Status"], _read(spec, raw)["status"]) == (1, ClaimProcedureStatus.received)

    def test_estimate_has_no_claim(self, practice: Practice) -> None:
        spec = spec_for("claim_procedures")
        estimate = _read(spec, _one(practice.api["claim_procedures"], Status="Estimate"))
        assert (estimate["status"], estimate["claim_id"]) == (ClaimProcedureStatus.estimate, None)

    def test_check_amount_is_money_text(self, practice: Practice) -> None:
        spec = spec_for("claim_payments")
        row = practice.api["claim_payments"][0]
        assert isinstance(row["CheckAmt"], str)
        assert _read(spec, row)["amount"] == Decimal(row["CheckAmt"]).quantize(Decimal("0.01"))

    def test_relationship_spellings(self) -> None:
        read = insurance.relationship
        found = [read(v) for v in ("InjuredPlantiff", "InjuredPlaintiff", 6, "Dependant", 8)]
        assert found == [Relationship.injured_plaintiff] * 3 + [Relationship.dependent] * 2

    def test_patient_plan_relationship(self, practice: Practice) -> None:
        spec = spec_for("patient_plans")
        row = _one(practice.raw["patient_plans"], Relationship=0)
        assert _read(spec, row)["relationship"] is Relationship.self

    def test_payment_source(self) -> None:
        read = ledger._payment_source
        assert [read(v) for v in (0, "None", "", 13, "API", 99)] == [
            None,
            None,
            None,
            "API",
            "API",
            "99",
        ]

    def test_saved_treatment_plan(self, practice: Practice) -> None:
        spec = spec_for("treatment_plans")
        plan = _read(spec, _one(practice.api["treatment_plans"], TPStatus="Saved"))
        assert (plan["status"], plan["patient_id"] is not None) == (
            TreatmentPlanStatus.saved,
            True,
        )

    def test_planned_procedure_kinds(self, practice: Practice) -> None:
        attach = _read(
            spec_for("treatment_plan_attaches"), practice.api["treatment_plan_attaches"][0]
        )
        saved = _read(spec_for("saved_plan_procedures"), practice.api["saved_plan_procedures"][0])
        assert (attach["kind"], saved["kind"]) == (
            PlannedProcedureKind.attached,
            PlannedProcedureKind.saved,
        )

    def test_saved_copy_amounts(self, practice: Practice) -> None:
        spec = spec_for("saved_plan_procedures")
        row = practice.api["saved_plan_procedures"][0]
        values = _read(spec, row)
        assert values["fee"] == values["primary_insurance_amount"] + values["patient_amount"]

    def test_referral_from(self, practice: Practice) -> None:
        spec = spec_for("referral_attachments")
        row = _one(practice.api["referral_attachments"], ReferralType="RefFrom")
        assert _read(spec, row)["referral_type"] is ReferralType.from_

    def test_adjustment_sign(self, practice: Practice) -> None:
        spec = spec_for("adjustments")
        row = _one(practice.api["adjustments"], AdjNote="Courtesy discount")
        assert _read(spec, row)["amount"] < 0


# Columns every mirrored row gets from the engine itself, not from the spec.
ENGINE_COLUMNS = {
    "id",
    "tenant_id",
    "clinic_id",
    "pms_source",
    "pms_id",
    "pms_updated_at",
    "last_synced_at",
    "pms_deleted_at",
    "local_modified_at",
    "created_at",
    "updated_at",
}


class TestSpecsFitTheirTables:
    @pytest.mark.parametrize("name", ENTITY_NAMES)
    def test_mapped_columns_exist(self, name: str) -> None:
        spec = spec_for(name)
        columns = set(spec.model.__table__.columns.keys())
        mapped = {f.column for f in spec.fields} | {r.column for r in spec.refs}
        assert mapped | set(spec.derived) <= columns

    @pytest.mark.parametrize("name", ENTITY_NAMES)
    def test_required_columns_are_filled(self, name: str) -> None:
        spec = spec_for(name)
        filled = {f.column for f in spec.fields} | set(spec.derived) | set(spec.local_columns)
        filled |= {r.column for r in spec.refs if r.required}
        required = {
            c.name
            for c in spec.model.__table__.columns
            if not c.nullable and c.default is None and c.server_default is None
        }
        assert required - ENGINE_COLUMNS <= filled

    @pytest.mark.parametrize("name", ENTITY_NAMES)
    def test_optional_links_are_nullable(self, name: str) -> None:
        spec = spec_for(name)
        table = spec.model.__table__
        assert all(table.columns[r.column].nullable for r in spec.refs if not r.required)
