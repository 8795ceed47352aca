"""One page of a search, across the parts a resource type is kept in (registry.CompositeMapper).

Each part's matching records are a Source. Parts kept in one table, one kind of reading each (the
vital signs: one row holds a blood pressure, a heart rate, ...), are fetched together as a Family:
one query for the page and the counts, instead of two per kind. Unsorted, the sources follow one
another; sorted, the first offset+count of each are merged. A count query is spared whenever the
rows fetched already tell the total.

A search on one model (the vital signs, most of all: what monitors and dashboards ask for), joined
only along its foreign keys and selecting along at most one of them, is fetched with written-out
SQL around the FROM and WHERE clauses the ORM compiles from the search's filters: the page and its
count in one statement. Anything else (reverse or outer joins, annotations, deeper
select_related) goes through the ORM. Both give the same resources and totals (tests compare them).
"""

import heapq
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Count, ForeignKey, Q
from django.db.models.sql.constants import INNER
from django.db.models.sql.datastructures import Join

from kapcare.fhir.registry import follow
from kapcare.lib.sql import records


@dataclass
class Plain:
    """A queryset written out: its FROM clause (its table, and any joins along foreign keys to
    one row each), WHERE clause with params, ORDER BY, and the one related record it selects
    along (select_related), if any."""

    model: type
    db: str
    table: str
    where: str
    params: list
    order: str
    empty: bool = False
    joins: str = ""
    join_params: list = field(default_factory=list)
    related: tuple | None = None  # (foreign key, alias of its table, join added for it or "")

    def rows(self, start: int, stop: int, conditions: list[tuple[str, list]] = ()) -> tuple[list, int | None]:
        """Rows start to stop, and the count (as `count` gives it) from the same statement; None
        for the count when no row came back to carry it (an offset past the end)."""
        if self.empty:
            return [], 0
        if stop <= start:
            return [], None
        connection, table = connections[self.db], self.quoted_table
        quote = connection.ops.quote_name
        fields = self.model._meta.concrete_fields
        columns = [f"{table}.{quote(f.column)}" for f in fields]
        selected = ""
        if self.related:
            key, alias, selected = self.related
            columns += [f"{quote(alias)}.{quote(f.column)}" for f in key.related_model._meta.concrete_fields]
        # The count as an uncorrelated subquery: run once, with its own plan (an index-only scan,
        # say), and no second round trip.
        counted, counted_params = self.counted(conditions)
        sql = (
            f"SELECT {', '.join(columns)}, (SELECT {counted} FROM {self.source}{self.where}) "
            f"FROM {self.source}{selected}{self.where} ORDER BY {self.order} LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*counted_params, *self.arguments, *self.arguments, stop - start, start])
            found = cursor.fetchall()
        total = (found[0][-1] or 0) if found else None
        made = records(self.model, fields, [row[: len(fields)] for row in found], self.db)
        if self.related:
            key, _, _ = self.related
            linked = key.related_model._meta.concrete_fields
            others = records(key.related_model, linked, [row[len(fields) : -1] for row in found], self.db)
            for obj, other in zip(made, others, strict=True):
                key.set_cached_value(obj, other if other.pk is not None else None)  # no row: a null key
        return made, total

    def count(self, conditions: list[tuple[str, list]] = ()) -> int:
        """The rows matching; with conditions, the sum over the rows of how many each meets."""
        if self.empty:
            return 0
        counted, counted_params = self.counted(conditions)
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                f"SELECT {counted} FROM {self.source}{self.where}", [*counted_params, *self.arguments]
            )
            return cursor.fetchone()[0] or 0

    @staticmethod
    def counted(conditions) -> tuple[str, list]:
        if not conditions:
            return "COUNT(*)", []
        summed = " + ".join(f"CASE WHEN {sql} THEN 1 ELSE 0 END" for sql, _ in conditions)
        return f"SUM({summed})", [param for _, params in conditions for param in params]

    @property
    def quoted_table(self) -> str:
        return connections[self.db].ops.quote_name(self.table)

    @property
    def source(self) -> str:
        return f"{self.quoted_table}{self.joins}"

    @property
    def arguments(self) -> list:
        return [*self.join_params, *self.params]

    def condition(self, q: Q) -> tuple[str, list]:
        """A Q on this table as SQL, for counting the rows it holds. The kinds of a family are the
        same few Qs on every search, so each is compiled once per process and database."""
        key = (self.model._meta.label, repr(q), connections[self.db].vendor)
        if key not in _conditions:
            query = self.model.objects.filter(q).query
            sql, params = query.get_compiler(self.db).compile(query.where)
            _conditions[key] = (sql, list(params))
        return _conditions[key]


_conditions: dict = {}


def written(queryset) -> Plain | None:
    """The queryset as a Plain if it reads whole rows of its model in a plain order, joined only
    along foreign keys (one row each, so the join adds no rows), selecting along at most one of
    them; else None."""
    query = queryset.query
    opts, connection = queryset.model._meta, connections[queryset.db]
    # Aliases in use: a join a filter made and the ORM then trimmed away is not.
    used = [alias for alias in query.alias_map if query.alias_refcount[alias]]
    joins = [query.alias_map[alias] for alias in used[1:]]
    if (
        not used
        or used[0] != opts.db_table
        or any(not to_one(join) for join in joins)
        or query.annotations
        or query.extra
        or query.distinct
        or query.select
        or query.values_select
        or query.combinator
        or query.is_sliced
        or query.deferred_loading != (frozenset(), True)
        or (not query.order_by and query.default_ordering and opts.ordering)
    ):
        return None  # including a queryset ordered by its model's default: the ORM knows that order
    related = None
    if query.select_related:
        related = selected_along(query, opts, joins, connection)
        if related is None:
            return None
    order = []
    for name in query.order_by:
        if not isinstance(name, str) or name == "?":
            return None
        descending, name = name.startswith("-"), name.lstrip("-")
        field = opts.pk if name == "pk" else next((f for f in opts.concrete_fields if f.name == name), None)
        if field is None:
            return None
        order.append(f"{connection.ops.quote_name(opts.db_table)}.{connection.ops.quote_name(field.column)}")
        order[-1] += " DESC" if descending else " ASC"
    plain = Plain(
        queryset.model, queryset.db, opts.db_table, "", [], ", ".join(order) or "1", related=related
    )
    compiler = query.get_compiler(queryset.db)
    if joins:
        clauses, params = compiler.get_from_clause()
        plain.joins, plain.join_params = " " + " ".join(clauses[1:]), list(params)
    try:
        where, params = compiler.compile(query.where)
        plain.where, plain.params = f" WHERE {where}", list(params)
    except FullResultSet:
        pass
    except EmptyResultSet:
        plain.empty = True
    return plain


def to_one(join) -> bool:
    """An inner join along a foreign key from its holder: one row of the other table each."""
    return (
        isinstance(join, Join)
        and join.join_type == INNER
        and join.filtered_relation is None
        and isinstance(join.join_field, ForeignKey)
    )


def selected_along(query, opts, joins, connection) -> tuple | None:
    """(foreign key, alias of its table, join to add or "") when the query selects along one
    foreign key of its model, joined already by a filter or joined here as the ORM would;
    else None (the ORM knows what to do)."""
    if query.select_related is True or len(query.select_related) != 1:
        return None
    ((name, deeper),) = query.select_related.items()
    key = next((f for f in opts.concrete_fields if f.name == name), None)
    if deeper or not isinstance(key, ForeignKey) or key.one_to_one:
        return None
    join = next(
        (
            j
            for j in query.alias_map.values()
            if isinstance(j, Join) and j.parent_alias == opts.db_table and j.join_field is key
        ),
        None,
    )
    if join is not None and join in joins:
        return key, join.table_alias, ""  # a filter joins it already
    alias = key.related_model._meta.db_table if join is None else join.table_alias
    if join is None and alias in query.alias_map:
        return None  # the table is joined otherwise already; leave the aliases to the ORM
    quote = connection.ops.quote_name
    kind = "LEFT OUTER JOIN" if key.null else "INNER JOIN"
    table = key.related_model._meta.db_table
    named = "" if alias == table else f" {quote(alias)}"
    on = f"{quote(opts.db_table)}.{quote(key.column)} = {quote(alias)}.{quote(key.target_field.column)}"
    return key, alias, f" {kind} {quote(table)}{named} ON ({on})"


class Source:
    """The records of one part that match a search, in the search's order."""

    def __init__(self, part, queryset, parsed):
        # `queryset` may be a function that makes it, so a part joined into a Family never builds its own.
        self.part, self._queryset, self.parsed = part, queryset, parsed

    @property
    def queryset(self):
        if callable(self._queryset):
            self._queryset = self._queryset()
        return self._queryset

    @property
    def plain(self) -> Plain | None:
        if not hasattr(self, "_plain"):
            self._plain = written(self.queryset)
        return self._plain

    def count(self) -> int:
        return self.queryset.count() if self.plain is None else self.plain.count()

    def slice(self, start: int, stop: int) -> tuple[list, int | None]:
        """This part's (part, record) pairs from start to stop, and its count when the same query
        told it (written out), else None."""
        if self.plain is None:
            return [(self.part, obj) for obj in self.queryset[start:stop]], None
        rows, total = self.plain.rows(start, stop)
        return [(self.part, obj) for obj in rows], total


class Family(Source):
    """Parts that read different kinds from the same rows, searched with the same filters."""

    def __init__(self, members: list[Source], queryset):
        super().__init__(members[0].part, queryset, members[0].parsed)
        self.parts = [member.part for member in members]

    def count(self) -> int:
        if self.plain is None:
            counts = self.queryset.aggregate(
                **{str(n): Count("pk", filter=p.kind_q()) for n, p in enumerate(self.parts)}
            )
            return sum(counts.values())
        return self.plain.count(self.kinds())

    def slice(self, start: int, stop: int) -> tuple[list, int | None]:
        # Each row holds at least one of the kinds, so `stop` rows hold at least `stop` readings.
        total = None
        if self.plain is None:
            rows = self.queryset[:stop]
        else:
            rows, total = self.plain.rows(0, stop, self.kinds())
        return [(part, row) for row in rows for part in self.parts if part.has(row)][start:stop], total

    def kinds(self) -> list[tuple[str, list]]:
        return [self.plain.condition(part.kind_q()) for part in self.parts]


def families(sources: list[Source], base, reach) -> list[Source]:
    """The sources, with those of one family (same table, same filters) joined into one."""
    out, grouped = [], {}
    for source in sources:
        family = getattr(source.part, "family", None)
        key = (family, repr(source.parsed.filters), tuple(source.parsed.order))
        if family is None:
            out.append(source)
        elif key in grouped:
            grouped[key].append(source)
        else:
            grouped[key] = [source]
            out.append(key)
    result = []
    for item in out:
        if isinstance(item, Source):
            result.append(item)
        elif len(grouped[item]) == 1:
            result.append(grouped[item][0])
        else:
            members = grouped[item]
            kinds = Q()
            for member in members:
                kinds |= member.part.kind_q()
            first = members[0]
            queryset = base(first.part).filter(reach(first.part), *first.parsed.filters).filter(kinds)
            result.append(Family(members, queryset.order_by(*first.parsed.order)))
    return result


def paged(sources: list[Source], parsed) -> tuple[int, list]:
    """The total and this page's (part, record) pairs."""
    start, size = parsed.offset, parsed.count
    if len(sources) > 1 and parsed.order[:-1]:
        return merged(sources, parsed)
    total, page = 0, []
    for source in sources:
        skip, counted = max(start - total, 0), None
        if skip:
            counted = source.count()
            if counted <= skip:
                total += counted
                continue
        want = size - len(page)
        if want <= 0:
            total += source.count()
            continue
        found, told = source.slice(skip, skip + want)
        page += found
        if counted is None:
            counted = told if told is not None else skip + len(found) if len(found) < want else source.count()
        total += counted
    return total, page


def merged(sources: list[Source], parsed) -> tuple[int, list]:
    stop = parsed.offset + parsed.count
    total, runs = 0, []
    for source in sources:
        found, told = source.slice(0, stop) if stop else ([], None)
        total += told if told is not None else len(found) if len(found) < stop else source.count()
        keys = source.parsed.order[:-1]
        runs.append([(sort_key(obj, keys), part, obj) for part, obj in found])
    # Each run is already in order; descending keys are compared reversed.
    descending = parsed.order[0].startswith("-")
    ordered = list(heapq.merge(*runs, key=lambda item: item[0], reverse=descending))
    return total, [(part, obj) for _, part, obj in ordered[parsed.offset : stop]]


def sort_key(obj, keys: list[str]) -> tuple:
    return tuple(follow(obj, key.lstrip("-")) for key in keys)
