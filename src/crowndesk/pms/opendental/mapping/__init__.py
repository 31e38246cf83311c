"""How each Open Dental resource maps onto our tables: one module per domain."""

from __future__ import annotations

from crowndesk.pms.opendental.mapping import (
    claims,
    insurance,
    ledger,
    patients,
    procedures,
    referrals,
    scheduling,
    treatment,
)
from crowndesk.pms.sync.spec import EntitySpec

SPECS: tuple[EntitySpec, ...] = (
    *procedures.SPECS,
    *scheduling.SPECS,
    *patients.SPECS,
    *treatment.SPECS,
    *insurance.SPECS,
    *claims.SPECS,
    *ledger.SPECS,
    *referrals.SPECS,
)
