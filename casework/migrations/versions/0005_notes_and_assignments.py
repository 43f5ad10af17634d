"""Officers' notes on an application, and the officer each application is assigned to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Two new tables, so the applications table is left as it is (SQLite would have to copy it to
add a foreign key). Both start empty.
"""

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], ondelete="RESTRICT", name=op.f("fk_notes_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_accounts.id"], ondelete="RESTRICT", name=op.f("fk_notes_staff_id_staff_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index(op.f("ix_notes_application_id"), "notes", ["application_id"], unique=False)
    op.create_table(
        "assignments",
        sa.Column("application_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], ondelete="CASCADE", name=op.f("fk_assignments_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_accounts.id"], ondelete="RESTRICT", name=op.f("fk_assignments_staff_id_staff_accounts")
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_assignments")),
    )
    op.create_index(op.f("ix_assignments_staff_id"), "assignments", ["staff_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_assignments_staff_id"), table_name="assignments")
    op.drop_table("assignments")
    op.drop_index(op.f("ix_notes_application_id"), table_name="notes")
    op.drop_table("notes")
