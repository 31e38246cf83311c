"""Database layer: Base and mixins, engine and sessions, tenancy, bulk upsert, named locks."""
