"""indexes that leave a push's key lookups to the unique constraints

The push looks up a batch's records by (form_id, instance_id) and its known ops by
(project_id, op_id), the keys of two unique constraints. On a table PostgreSQL has not analyzed
yet (a new server's first minute, or any bulk of new rows before autovacuum's ANALYZE), the
planner rated another index on the same first column as cheap as the unique one and read every
row of the form or project through it, once per key: 0.05 ms per key at a few hundred rows,
growing with the table.

- ix_sync_ops_device is dropped: no query reads sync_ops by device, and each pushed op paid for
  its upkeep.
- ix_submissions_form_created now covers live submissions only (deleted_at IS NULL), which is
  what every listing, export and OData page reads through it (the trash is read by form and
  sorted, a small set); a lookup by key, which must find deleted submissions too, cannot use it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_LIVE = sa.text('deleted_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('sync_ops', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_ops_device')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_form_created')
        batch_op.create_index('ix_submissions_form_created', ['form_id', 'created_at'],
                              unique=False, postgresql_where=_LIVE, sqlite_where=_LIVE)


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_form_created')
        batch_op.create_index('ix_submissions_form_created', ['form_id', 'created_at'],
                              unique=False)
    with op.batch_alter_table('sync_ops', schema=None) as batch_op:
        batch_op.create_index('ix_sync_ops_device', ['project_id', 'device_id', 'client_seq'],
                              unique=False)
