from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from crowndesk.config import sync_database_url
from crowndesk.db.migrate import head_revision, is_up_to_date, upgrade
from crowndesk.models import Base


def test_upgrade_head_on_an_empty_database_matches_the_models(databases) -> None:  # type: ignore[no-untyped-def]
    url = databases.new("migrations")
    assert not is_up_to_date(url)
    upgrade(url)
    assert is_up_to_date(url)
    engine = create_engine(sync_database_url(url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_there_is_one_head() -> None:
    assert head_revision() is not None
