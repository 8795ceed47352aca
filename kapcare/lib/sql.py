"""Helpers for the few queries written out by hand on hot paths."""

from datetime import UTC, datetime

from django.db.models import DurationField, Func
from django.db.models.base import ModelState
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
        made.append(loaded(model, using, names, values))
    return made


def loaded(model, using: str, names: list[str], values: list):
    """An instance of a row read with all its concrete fields, as `Model.from_db` makes it but
    without running `Model.__init__` (a quarter of the time: `__init__` sends pre_init and
    post_init and walks every field to set what the row already holds). The attributes are set
    where `__init__` would set them; no kapcare model listens to pre_init or post_init."""
    made = model.__new__(model)
    made._state = ModelState()
    made._state.adding = False
    made._state.db = using
    made.__dict__.update(zip(names, values, strict=True))
    return made


def insert(model, objs: list, using: str = "default", *, skip_clashes: bool = False, returning=()) -> list:
    """Insert unsaved instances with written-out statements, each value prepared by its field as
    the ORM prepares it; `skip_clashes` skips rows a unique constraint already holds (ON CONFLICT
    DO NOTHING); `returning` names columns to give back for the rows inserted, in the order
    inserted (as Django's bulk_create relies on). For hot paths: it spares the ORM's bulk_create
    its batching machinery, and unlike it can return rows while skipping clashes."""
    from django.db import connections

    if not objs:
        return []
    connection = connections[using]
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = (" ON CONFLICT DO NOTHING" if skip_clashes else "") + (
        " RETURNING " + ", ".join(connection.ops.quote_name(name) for name in returning) if returning else ""
    )
    returned = []
    step = max(1, 30_000 // len(fields))  # within SQLite's and PostgreSQL's limits on parameters
    for start in range(0, len(objs), step):
        chunk = objs[start : start + step]
        values = [
            [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
            for obj in chunk
        ]
        if connection.vendor == "postgresql" and len(chunk) > 1:
            # A batch as one array per column, as Django's bulk_create sends it: PostgreSQL plans
            # a few arrays far faster than thousands of placeholders.
            types = [field.db_type(connection).split("(")[0] for field in fields]
            rows_sql = "SELECT * FROM UNNEST(" + ", ".join(f"(%s)::{kind}[]" for kind in types) + ")"
            params = [list(column) for column in zip(*values, strict=True)]
        else:
            rows_sql = "VALUES " + ", ".join([one] * len(chunk))
            params = [value for row in values for value in row]
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {model._meta.db_table} ({columns}) {rows_sql}{tail}", params)
            if returning:
                returned += cursor.fetchall()
    return returned


def first_and_count(queryset, limit: int) -> tuple[list, int]:
    """The first `limit` rows of an ordered queryset and how many there are in all, counted by a
    second query only when the page is full (a chart panel showing the latest few of a list)."""
    rows = list(queryset[:limit])
    return rows, queryset.count() if len(rows) == limit else len(rows)


class Minutes(Func):
    """A whole number of minutes (a column) as a duration, to add to a timestamp in a query:
    PostgreSQL multiplies an interval; SQLite keeps durations as microseconds."""

    output_field = DurationField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s * INTERVAL '1 minute')")

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s * 60000000)")
