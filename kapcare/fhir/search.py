"""Search parameters: parsing a query string into filters, sort order and paging for one type.

String parameters match the start of a word, ignoring case (`:exact` and `:contains` modify
that); tokens match exactly; dates take the prefixes eq ne lt gt le ge sa eb, at the precision
given (year, month, day or time). A date and time without a zone is read as UTC. Values
separated by commas are alternatives; a parameter repeated must hold each time.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import DateTimeField, Q

from kapcare.fhir.errors import FhirError

DATE = re.compile(
    r"^(?P<prefix>eq|ne|lt|gt|le|ge|sa|eb|ap)?(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(T(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
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
        return any_of(date_filter(mapper.last_updated_field, v, name, moment=True) for v in values)
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
        return any_of(
            date_filter(f, v, name, moment=is_moment(model, f)) for v in values for f in param.fields
        )
    lookup = {"exact": "exact", "contains": "icontains"}.get(modifier, "istartswith")
    return any_of(Q(**{f"{f}__{lookup}": v}) for v in values for f in param.fields)


def model_of(mapper, clinic_id: int):
    """The model a mapper's records are, asked once (building its queryset costs more than a lookup)."""
    model = mapper.__dict__.get("_model")
    if model is None:
        model = mapper._model = mapper.queryset(clinic_id).model
    return model


def is_moment(model, path: str) -> bool:
    """Whether the field at this query path (evaluation__evaluated_on) holds a date and time."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return isinstance(model._meta.get_field(name), DateTimeField)


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
    match = DATE.match(value)
    if not match:
        raise FhirError(
            400,
            f"{name}={value!r} is not a date: write an optional prefix (eq, ne, lt, gt, le, ge, "
            "sa, eb) then YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a zone.",
            code="value",
        )
    parts = match.groupdict()
    prefix = parts["prefix"] or "eq"
    if prefix == "ap":
        raise FhirError(400, f"{name}: the prefix ap (approximately) is not supported.", code="not-supported")
    try:
        if parts["hour"] is None:
            year, month, day = int(parts["year"]), int(parts["month"] or 1), int(parts["day"] or 1)
            start = datetime(year, month, day, tzinfo=UTC)
            if parts["day"]:
                end = start + timedelta(days=1)
            elif parts["month"]:
                end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            else:
                end = datetime(year + 1, 1, 1, tzinfo=UTC)
        else:
            text = value[len(parts["prefix"] or "") :].replace("Z", "+00:00")
            start = datetime.fromisoformat(text)
            start = start if start.tzinfo else start.replace(tzinfo=UTC)
            end = start + (timedelta(seconds=1) if parts["second"] else timedelta(minutes=1))
    except ValueError:
        raise FhirError(400, f"{name}={value!r} is not a real date.", code="value") from None
    return prefix, start, end


def date_filter(field_name: str, value: str, name: str, *, moment: bool = False) -> Q:
    prefix, start, end = date_range(value, name)
    if not moment:
        start, end = as_dates(start, end)
    inside = Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
    return {
        "eq": inside,
        "ne": ~inside,
        "lt": Q(**{f"{field_name}__lt": start}),
        "eb": Q(**{f"{field_name}__lt": start}),
        "le": Q(**{f"{field_name}__lt": end}),
        "gt": Q(**{f"{field_name}__gte": end}),
        "sa": Q(**{f"{field_name}__gte": end}),
        "ge": Q(**{f"{field_name}__gte": start}),
    }[prefix]


def as_dates(start: datetime, end: datetime) -> tuple[date, date]:
    # A time given for a date-only element (a birth date) stands for the day it falls on.
    if end - start < timedelta(days=1):
        return start.date(), start.date() + timedelta(days=1)
    return start.date(), end.date()
