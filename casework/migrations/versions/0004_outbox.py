"""The outbox: every message to an applicant (acknowledgement, updates), and what became of it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Written beside the staff accounts' migration; merged second, so it is 0004, after 0003.
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STATUSES = ("pending", "sending", "sent", "recorded", "failed")
CHANNELS = ("email", "sms")


def _one_of(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("personalisation", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("template_id", sa.String(length=64), nullable=True),
        sa.Column("notify_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(_one_of("status", STATUSES), name=op.f("ck_outbox_status_known")),
        sa.CheckConstraint(_one_of("channel", CHANNELS), name=op.f("ck_outbox_channel_known")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], ondelete="CASCADE", name=op.f("fk_outbox_application_id_applications")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("application_id", "event", name=op.f("uq_outbox_application_id")),
    )
    op.create_index(op.f("ix_outbox_application_id"), "outbox", ["application_id"], unique=False)
    op.create_index(op.f("ix_outbox_status"), "outbox", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_status"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_application_id"), table_name="outbox")
    op.drop_table("outbox")
