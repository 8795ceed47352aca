"""Signed decisions, plans and addenda refuse UPDATE in the database itself, so code that
bypasses the ORM cannot quietly rewrite what a prescriber signed. On PostgreSQL they also refuse
DELETE (TRUNCATE, which empties test databases, stays possible for the owner); on SQLite only
UPDATE, because Django empties SQLite test databases row by row."""

from django.db import migrations

TABLES = ["evaluation_eligibilitydecision", "evaluation_treatmentplan", "evaluation_addendum"]
MESSAGE = "signed records cannot be changed; add an addendum"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION evaluation_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql;
"""


def statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [POSTGRES_FUNCTION] + [
            f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION evaluation_refuse_change();"
            for table in TABLES
        ]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {table}_frozen BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
            for table in TABLES
        ]
    return []


def create(apps, schema_editor):
    for statement in statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_frozen" + (
            f" ON {table}" if schema_editor.connection.vendor == "postgresql" else ""
        ))
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS evaluation_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
