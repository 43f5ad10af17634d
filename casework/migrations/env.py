"""Alembic environment for the applications store.

casework.db runs these migrations on the connection it passes in `attributes`; run
by hand (`alembic -c casework/migrations/alembic.ini upgrade head`) it opens the
configured store itself.
"""

from alembic import context

from casework.models import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from casework.db import _build_engine, database_url

    engine = _build_engine(database_url())
    with engine.connect() as connection:
        connection.execution_options(casework_write=True)
        with connection.begin():
            _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("casework migrations run online only (asbcr applications migrate)")
run_migrations()
