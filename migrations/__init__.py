"""Alembic migrations: the only source of Kenesh's database schema."""
