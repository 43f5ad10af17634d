"""The council's published figures for the years before the service.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Only the table: it starts empty, and `asbcr stats import-published` fills it.
"""

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COUNTS = (
    "applications_received",
    "threshold_not_met",
    "reviews_carried_out",
    "reviews_with_recommendations",
    "appeals_received",
)


def upgrade() -> None:
    op.create_table(
        "published_figures",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        *[sa.CheckConstraint(f"{name} >= 0", name=op.f(f"ck_published_figures_{name}_not_negative")) for name in COUNTS],
        sa.PrimaryKeyConstraint("year", name=op.f("pk_published_figures")),
    )


def downgrade() -> None:
    op.drop_table("published_figures")
