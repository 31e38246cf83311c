"""completed procedures: billing history, search keys, list and statistics indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crowndesk.db.types
from crowndesk.core.text import digits, search_key

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BILLING_STATUS = sa.Enum(
    "unbilled",
    "pending_claim",
    "claimed",
    "paid",
    "denied",
    "write_off",
    name="billing_status",
    native_enum=False,
    length=16,
)
_COMPLETED = sa.text("status = 'completed'")


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("name_key", sa.String(), server_default="", nullable=False))
        batch.add_column(sa.Column("phone_key", sa.String(), server_default="", nullable=False))
    with op.batch_alter_table("procedures") as batch:
        batch.add_column(sa.Column("search_key", sa.String(), server_default="", nullable=False))
    _backfill_search_keys()

    op.drop_index("ix_procedures_tenant_date", table_name="procedures")
    op.create_index(
        "ix_procedures_completed_billing",
        "procedures",
        ["tenant_id", "billing_status", "proc_date", "id"],
        postgresql_include=["fee", "clinic_id"],
        postgresql_where=_COMPLETED,
        sqlite_where=_COMPLETED,
    )
    op.create_index(
        "ix_procedures_completed_date",
        "procedures",
        ["tenant_id", "proc_date", "id"],
        postgresql_include=["fee", "clinic_id", "billing_status"],
        postgresql_where=_COMPLETED,
        sqlite_where=_COMPLETED,
    )

    op.create_table(
        "procedure_billing_events",
        sa.Column("procedure_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", _BILLING_STATUS, nullable=True),
        sa.Column("to_status", _BILLING_STATUS, nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("at", crowndesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["procedure_id"], ["procedures.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_procedure_billing_events_procedure",
        "procedure_billing_events",
        ["procedure_id", "at"],
    )
    op.create_index(
        op.f("ix_procedure_billing_events_tenant_id"),
        "procedure_billing_events",
        ["tenant_id"],
    )


def _backfill_search_keys() -> None:
    """Rows mirrored before this revision get the keys the sync now derives."""
    bind = op.get_bind()
    patients = sa.table(
        "patients",
        sa.column("id", sa.Uuid()),
        *(
            sa.column(name, sa.String())
            for name in (
                "first_name",
                "last_name",
                "preferred_name",
                "middle_initial",
                "wireless_phone",
                "home_phone",
                "work_phone",
                "name_key",
                "phone_key",
            )
        ),
    )
    rows = bind.execute(sa.select(patients)).mappings().all()
    updates = [
        {
            "pid": row["id"],
            "name_key": search_key(
                row["last_name"], row["first_name"], row["preferred_name"], row["middle_initial"]
            ),
            "phone_key": " ".join(
                digits(p)
                for p in (row["wireless_phone"], row["home_phone"], row["work_phone"])
                if digits(p)
            ),
        }
        for row in rows
    ]
    if updates:
        bind.execute(
            patients.update()
            .where(patients.c.id == sa.bindparam("pid"))
            .values(name_key=sa.bindparam("name_key"), phone_key=sa.bindparam("phone_key")),
            updates,
        )
    procedures = sa.table(
        "procedures",
        sa.column("id", sa.Uuid()),
        *(
            sa.column(name, sa.String())
            for name in ("code", "description", "tooth_number", "surface", "search_key")
        ),
    )
    rows = bind.execute(sa.select(procedures)).mappings().all()
    keys = [
        {
            "pid": row["id"],
            "key": search_key(
                row["code"], row["description"], row["tooth_number"], row["surface"]
            ),
        }
        for row in rows
    ]
    if keys:
        bind.execute(
            procedures.update()
            .where(procedures.c.id == sa.bindparam("pid"))
            .values(search_key=sa.bindparam("key")),
            keys,
        )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_procedure_billing_events_tenant_id"), table_name="procedure_billing_events"
    )
    op.drop_index("ix_procedure_billing_events_procedure", table_name="procedure_billing_events")
    op.drop_table("procedure_billing_events")
    op.drop_index("ix_procedures_completed_date", table_name="procedures")
    op.drop_index("ix_procedures_completed_billing", table_name="procedures")
    op.create_index("ix_procedures_tenant_date", "procedures", ["tenant_id", "proc_date"])
    with op.batch_alter_table("procedures") as batch:
        batch.drop_column("search_key")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("phone_key")
        batch.drop_column("name_key")
