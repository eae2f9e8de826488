"""The database refuses UPDATE and DELETE on the archive log, on archive entries and on signed
heads (and TRUNCATE on PostgreSQL): a trigger raising an error, on PostgreSQL a plpgsql function,
on SQLite ``RAISE(ABORT, …)``. Every entry now has its completion record.

The triggers' names start with ``archive_append_only_``: ``archive.chain.guard_lifted`` finds
them by it (``manage.py flush``, tamper tests). On SQLite, a later migration that makes Django
rebuild one of these tables (some ALTERs do) drops its triggers with the old table: such a
migration must create them again; ``archive_verify`` reports them missing.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLES = ("archive_logrecord", "archive_archiveentry", "archive_archivehead")
PREFIX = "archive_append_only_"
MESSAGE = "archive: %s on %s refused: the archive is append-only (a correction is a new record)"

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION archive_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'archive: % on % refused: the archive is append-only (a correction is a new record)',
        TG_OP, TG_TABLE_NAME;
END;
$$
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)  # its % are plpgsql's, not placeholders
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {PREFIX}{table} BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION archive_append_only()"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {PREFIX}{table}_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION archive_append_only()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            for operation in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {PREFIX}{table}_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE % (operation, table)}'); END"
                )
    else:
        raise NotImplementedError(f"the archive's append-only triggers are written for PostgreSQL and SQLite, not {vendor}")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {PREFIX}{table} ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {PREFIX}{table}_truncate ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS archive_append_only()")
    elif vendor == "sqlite":
        for table in TABLES:
            for operation in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {PREFIX}{table}_{operation}")


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0004_chain_existing_entries"),
    ]

    operations = [
        migrations.AlterField(
            model_name="archiveentry",
            name="record",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT, related_name="entry", to="archive.logrecord"
            ),
        ),
        # After the AlterField: on SQLite it rebuilds the entries' table, which would drop triggers.
        migrations.RunPython(create_triggers, drop_triggers),
    ]
