"""Search parameters: parsing a query string into filters, sort order and paging for one type.

String parameters match the start of a word, ignoring case (`:exact` and `:contains` modify
that); tokens match exactly; dates take the prefixes eq ne lt gt le ge sa eb, at the precision
given (year, month, day or time), and compare the range the search value stands for with the
range the stored value stands for (a moment, a day, a partial date such as "2009"), by the
rules of FHIR R4 search (see date_filter). A date and time without a zone is read as UTC. Values
separated by commas are alternatives; a parameter repeated must hold each time.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import DateTimeField, Q
from django.db.models.lookups import GreaterThanOrEqual, LessThan

from kapcare.fhir.errors import FhirError
from kapcare.lib import partial_dates

PREFIX = re.compile(r"^(eq|ne|lt|gt|le|ge|sa|eb|ap)?")
# Parameters every search understands, beside the type's own.
RESULT_PARAMS = {"_count", "_offset", "_sort", "_include", "_total", "_summary", "_format", "_pretty"}


@dataclass
class Search:
    filters: list[Q] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    count: int = 20
    offset: int = 0
    includes: list = field(default_factory=list)
    echo: list[tuple[str, str]] = field(default_factory=list)


def parse(mapper, pairs: list[tuple[str, str]], ctx, *, lenient: bool = False) -> Search:
    search = Search(count=settings.FHIR_DEFAULT_COUNT)
    for name, value in pairs:
        base, _, modifier = name.partition(":")
        if base in RESULT_PARAMS:
            result_param(search, mapper, base, value)
            if base not in ("_format", "_pretty"):
                search.echo.append((name, value))
            continue
        query = criterion(mapper, base, modifier, value, ctx)
        if query is None:
            if lenient:
                continue
            raise FhirError(
                400,
                f"{mapper.resource_type} has no search parameter {name!r}. It supports: "
                + ", ".join(supported(mapper))
                + ".",
                code="not-supported",
                expression=f"{mapper.resource_type}.{base}" if base.isidentifier() else None,
            )
        search.filters.append(query)
        search.echo.append((name, value))
    if ("_summary", "count") in pairs:
        search.count = 0  # the total alone, whatever _count says
    search.order = search.order or ["pk"]
    if search.order[-1] not in ("pk", "-pk"):
        search.order.append("pk")
    return search


def supported(mapper) -> list[str]:
    names = ["_id"] + (["_lastUpdated"] if mapper.last_updated_field else [])
    return names + [param.name for param in mapper.search_params]


def result_param(search: Search, mapper, name: str, value: str) -> None:
    if name in ("_count", "_offset"):
        if not value.isdigit():
            raise FhirError(400, f"{name} must be a whole number, not {value!r}.", code="value")
        number = int(value)
        if name == "_count":
            search.count = min(number, settings.FHIR_MAX_COUNT)
        else:
            search.offset = number
    elif name == "_sort":
        for key in value.split(","):
            descending = key.startswith("-")
            field_name = mapper.sorts.get(key.lstrip("-"))
            if field_name is None:
                raise FhirError(
                    400,
                    f"{mapper.resource_type} cannot be sorted by {key.lstrip('-')!r}; it sorts by "
                    + ", ".join(mapper.sorts)
                    + ".",
                    code="not-supported",
                )
            search.order.append(("-" if descending else "") + field_name)
    elif name == "_include":
        source, _, target_name = value.partition(":")
        include = next((inc for inc in mapper.includes if inc.name == target_name.split(":")[0]), None)
        if source != mapper.resource_type or include is None:
            known = ", ".join(f"{mapper.resource_type}:{inc.name}" for inc in mapper.includes) or "none"
            raise FhirError(
                400,
                f"_include={value} is not supported here; {mapper.resource_type} includes: {known}.",
                code="not-supported",
            )
        search.includes.append(include)
    elif name == "_summary" and value not in ("count", "false"):
        raise FhirError(
            400,
            f"_summary={value} is not supported: kapcare answers _summary=count (the total alone) "
            "and _summary=false (whole resources, as without it).",
            code="not-supported",
        )
    elif name == "_total" and value not in ("none", "estimate", "accurate"):
        raise FhirError(400, "_total must be none, estimate or accurate.", code="value")


def criterion(mapper, name: str, modifier: str, value: str, ctx) -> Q | None:
    values = [part for part in split_commas(value)]
    if name == "_id":
        return Q(pk__in=[pk for pk in map(mapper.pk_of, values) if pk is not None])
    if name == "_lastUpdated" and mapper.last_updated_field:
        target = Moments(mapper.last_updated_field)
        return any_of(date_filter(v, name, target) for v in values)
    param = mapper.param(name)
    if param is None:
        return None
    if modifier and not (param.type == "string" and modifier in ("exact", "contains")):
        raise FhirError(400, f"The modifier :{modifier} is not supported on {name}.", code="not-supported")
    if any(v == "" for v in values):
        raise FhirError(400, f"{name} needs a value.", code="value")
    if param.build is not None:
        return any_of(param.build(v, modifier, ctx) for v in values)
    if param.type == "date":
        model = model_of(mapper, ctx.clinic.pk)
        targets = [param.target] if param.target else [date_target(model, f) for f in param.fields]
        return any_of(date_filter(v, name, target) for v in values for target in targets)
    lookup = {"exact": "exact", "contains": "icontains"}.get(modifier, "istartswith")
    return any_of(Q(**{f"{f}__{lookup}": v}) for v in values for f in param.fields)


def model_of(mapper, clinic_id: int):
    """The model a mapper's records are, asked once (building its queryset costs more than a lookup)."""
    model = mapper.__dict__.get("_model")
    if model is None:
        model = mapper._model = mapper.queryset(clinic_id).model
    return model


def date_target(model, path: str) -> "DateTarget":
    """How a date search reads the field at this query path (evaluation__evaluated_on): a date
    and time as a moment, a date as its day."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return Moments(path) if isinstance(model._meta.get_field(name), DateTimeField) else Days(path)


def split_commas(value: str) -> list[str]:
    # A comma escaped with a backslash is part of the value.
    return [part.replace("\\,", ",") for part in re.split(r"(?<!\\),", value)]


NOTHING = Q(pk__in=[])


def any_of(queries) -> Q:
    combined = NOTHING
    for query in queries:
        if not query:
            return Q()  # an alternative that matches everything (Q() | x would drop it)
        if query != NOTHING:
            combined = query if combined == NOTHING else combined | query
    return combined


def matches_nothing(filters: list[Q]) -> bool:
    """Whether these filters can be seen to match nothing without asking the database."""
    return any(query == NOTHING for query in filters)


def date_range(value: str, name: str):
    """The prefix and the half-open range [start, end) a date search value stands for."""
    prefix = PREFIX.match(value).group(0)
    try:
        start, end = partial_dates.span(value[len(prefix) :])
    except ValueError:
        if partial_dates.DATE_TIME.match(value[len(prefix) :]):
            raise FhirError(400, f"{name}={value!r} is not a real date.", code="value") from None
        raise FhirError(
            400,
            f"{name}={value!r} is not a date: write an optional prefix (eq, ne, lt, gt, le, ge, "
            "sa, eb) then YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a zone.",
            code="value",
        ) from None
    if prefix == "ap":
        raise FhirError(400, f"{name}: the prefix ap (approximately) is not supported.", code="not-supported")
    return prefix or "eq", start, end


def date_filter(value: str, name: str, target: "DateTarget") -> Q:
    """The records whose date matches the search value, by the rules of FHIR R4 search (search.html,
    prefixes): the search value's range [start, end) against the range the stored value stands for.

    eq  the search range contains the stored one        ne  it does not
    gt  the stored range reaches past the search range  lt  it begins before the search range
    ge  gt or eq                                        le  lt or eq
    sa  the stored range begins after the search range  eb  it ends before the search range begins

    A stored moment is a point: there ge is "at or after start" and le "before end", as one would
    expect. A stored day, or a partial date such as "2009", is a range: `ge2009-06` finds an onset
    of "2009", since that year runs past June.
    """
    prefix, start, end = date_range(value, name)
    contained = target.starts_from(start) & target.ends_by(end)
    if prefix in ("ge", "le") and target.points_within(start, end):
        # For a point, "gt or eq" is simply "from the start", and "lt or eq" "before the end".
        return target.starts_from(start) if prefix == "ge" else target.ends_by(end)
    return {
        "eq": contained,
        "ne": target.present() & ~contained,
        "gt": target.ends_after(end),
        "lt": target.starts_before(start),
        "ge": target.starts_from(start) | target.ends_after(end),
        "le": target.starts_before(start) | target.ends_by(end),
        "sa": target.starts_from(end),
        "eb": target.ends_by(start),
    }[prefix]


class DateTarget:
    """How a date search parameter reads the stored value, as lookups on its columns: where the
    value's range starts and ends, compared with a moment (an aware datetime in UTC). The range
    is half-open: it ends before `end`."""

    point = False

    def points_within(self, start: datetime, end: datetime) -> bool:
        """Whether, against a search range from start to end, every stored value behaves as a point."""
        return self.point

    def present(self) -> Q:
        raise NotImplementedError

    def starts_from(self, moment: datetime) -> Q:
        raise NotImplementedError

    def starts_before(self, moment: datetime) -> Q:
        return self.present() & ~self.starts_from(moment)

    def ends_after(self, moment: datetime) -> Q:
        raise NotImplementedError

    def ends_by(self, moment: datetime) -> Q:
        return self.present() & ~self.ends_after(moment)


@dataclass(frozen=True)
class Moments(DateTarget):
    """A date and time kept to the second (or finer): a point in time. Its field, or an expression
    over fields (the later of two: Coalesce("error_at", "recorded_at"))."""

    field: Any
    point = True

    def present(self) -> Q:
        return Q(**{f"{self.field}__isnull": False}) if isinstance(self.field, str) else Q()

    def starts_from(self, moment):
        if isinstance(self.field, str):
            return Q(**{f"{self.field}__gte": moment})
        return Q(GreaterThanOrEqual(self.field, moment))

    def starts_before(self, moment):
        if isinstance(self.field, str):
            return Q(**{f"{self.field}__lt": moment})
        return Q(LessThan(self.field, moment))

    ends_after = starts_from
    ends_by = starts_before


@dataclass(frozen=True)
class Days(DateTarget):
    """A date without a time (a birth date): the whole UTC day. Compared through the dates, so
    the column's own index serves."""

    field: str

    def present(self) -> Q:
        return Q(**{f"{self.field}__isnull": False})

    def starts_from(self, moment):
        return Q(**{f"{self.field}__gte": first_day_from(moment)})

    def starts_before(self, moment):
        return Q(**{f"{self.field}__lt": first_day_from(moment)})

    def ends_after(self, moment):
        # The day ends after the moment if it begins after the moment a day earlier.
        return Q(**{f"{self.field}__gt": (moment - DAY).date()})

    def ends_by(self, moment):
        return Q(**{f"{self.field}__lte": (moment - DAY).date()})


@dataclass(frozen=True)
class Spans(DateTarget):
    """A value kept as the columns of its range (a partial date as sent, "2009"): its first
    moment and the moment after its last."""

    start: str
    end: str

    def present(self) -> Q:
        return Q(**{f"{self.start}__isnull": False})

    def starts_from(self, moment):
        return Q(**{f"{self.start}__gte": moment})

    def starts_before(self, moment):
        return Q(**{f"{self.start}__lt": moment})

    def ends_after(self, moment):
        return Q(**{f"{self.end}__gt": moment})

    def ends_by(self, moment):
        return Q(**{f"{self.end}__lte": moment})


@dataclass(frozen=True)
class MomentsOrDays(DateTarget):
    """A moment, or a day where the row says it is dated by its day only (the moment column then
    holds that day's midnight UTC). Every lookup is on the moment column, so its index serves."""

    field: str
    day_only: str

    def present(self) -> Q:
        return Q(**{f"{self.field}__isnull": False})

    def starts_from(self, moment):
        return Q(**{f"{self.field}__gte": moment})

    def starts_before(self, moment):
        return Q(**{f"{self.field}__lt": moment})

    def points_within(self, start, end) -> bool:
        # Against a range of whole UTC days (a search by day, month or year), a day compares as
        # its midnight does: the lookups need not tell the two kinds apart.
        return at_midnight(start) and at_midnight(end)

    def ends_after(self, moment):
        if at_midnight(moment):
            return Q(**{f"{self.field}__gte": moment})
        # A moment at or after it; a day that begins less than a day before it.
        return Q(**{f"{self.field}__gte": moment}) | Q(
            **{self.day_only: True, f"{self.field}__gt": moment - DAY}
        )

    def ends_by(self, moment):
        if at_midnight(moment):
            return Q(**{f"{self.field}__lt": moment})
        return Q(**{f"{self.field}__lte": moment - DAY}) | Q(
            **{self.day_only: False, f"{self.field}__lt": moment}
        )


def at_midnight(moment: datetime) -> bool:
    return moment.astimezone(UTC).time() == time(0)


@dataclass(frozen=True)
class Periods(DateTarget):
    """A period between two moments (an Encounter's), its end open where it has none: a missing
    end is after any date (FHIR R4 search, "date"). It starts at the first of `starts` that is
    set; it ends at `end` (a field, or an expression where `ended` says which rows have one)."""

    starts: tuple[str, ...]
    end: Any
    ended: Q | None = None

    def present(self) -> Q:
        return Q()

    def start_is(self, lookup: str, moment) -> Q:
        query = Q(**{f"{self.starts[0]}__{lookup}": moment})
        for n, field_name in enumerate(self.starts[1:], 1):
            unset = {f"{earlier}__isnull": True for earlier in self.starts[:n]}
            query |= Q(**unset, **{f"{field_name}__{lookup}": moment})
        return query

    def end_is(self, lookup: str, moment) -> Q:
        if isinstance(self.end, str):
            return Q(**{f"{self.end}__{lookup}": moment})
        return Q({"gte": GreaterThanOrEqual, "lt": LessThan}[lookup](self.end, moment))

    def has_end(self) -> Q:
        return self.ended if self.ended is not None else Q(**{f"{self.end}__isnull": False})

    def starts_from(self, moment):
        return self.start_is("gte", moment)

    def starts_before(self, moment):
        return self.start_is("lt", moment)

    def ends_after(self, moment):
        # The end is a moment: the period reaches the moment if it ends at it or later.
        return ~self.has_end() | self.end_is("gte", moment)

    def ends_by(self, moment):
        return self.has_end() & self.end_is("lt", moment)


DAY = timedelta(days=1)


def first_day_from(moment: datetime) -> date:
    """The first date whose midnight (UTC) is at or after the moment."""
    moment = moment.astimezone(UTC)
    day = moment.date()
    return day if moment == datetime(day.year, day.month, day.day, tzinfo=UTC) else day + DAY
