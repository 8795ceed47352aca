"""Helpers for the few queries written out by hand on hot paths."""

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime


def aware(value) -> datetime | None:
    """A timestamp as a written-out query gives it back, as an aware datetime: PostgreSQL gives
    one already; SQLite gives text or a naive datetime in UTC, as Django stores it there."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def records(model, fields, rows, using: str = "default") -> list:
    """Model instances from rows of a written-out query that selected `fields` (concrete fields
    of `model`, in order), each value through its field's converters as the ORM does (SQLite
    gives timestamps naive, booleans as integers, ...). Leaner than `raw()`, which describes the
    cursor and matches columns by name on every call."""
    from django.db import connections

    connection = connections[using]
    table = model._meta.db_table
    cols = [field.get_col(table) for field in fields]
    converters = [
        (n, col, found)
        for n, col in enumerate(cols)
        if (found := connection.ops.get_db_converters(col) + col.get_db_converters(connection))
    ]
    names = [field.attname for field in fields]
    made = []
    for row in rows:
        values = list(row)
        for n, col, functions in converters:
            for convert in functions:
                values[n] = convert(values[n], col, connection)
        made.append(model.from_db(using, names, values))
    return made


def insert(model, objs: list, using: str = "default", *, skip_clashes: bool = False) -> None:
    """Insert unsaved instances in one written-out statement, each value prepared by its field as
    the ORM prepares it; `skip_clashes` skips rows a unique constraint already holds (ON CONFLICT
    DO NOTHING). For hot paths that need no pk back: it spares the ORM's bulk_create its
    batching and returning machinery."""
    from django.db import connections

    if not objs:
        return
    connection = connections[using]
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    step = max(1, 30_000 // len(fields))  # within SQLite's and PostgreSQL's limits on parameters
    for start in range(0, len(objs), step):
        chunk = objs[start : start + step]
        values = [
            field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in chunk for field in fields
        ]
        sql = f"INSERT INTO {model._meta.db_table} ({columns}) VALUES {', '.join([one] * len(chunk))}"
        with connection.cursor() as cursor:
            cursor.execute(sql + (" ON CONFLICT DO NOTHING" if skip_clashes else ""), values)
