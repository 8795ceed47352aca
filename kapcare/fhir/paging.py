"""One page of a search, across the parts a resource type is kept in (registry.CompositeMapper).

Each part's matching records are a Source. Parts kept in one table, one kind of reading each (the
vital signs: one row holds a blood pressure, a heart rate, ...), are fetched together as a Family:
one query for the page and one for the counts, instead of one of each per kind. Unsorted, the
sources follow one another; sorted, the first offset+count of each are merged. A count query is
spared whenever the rows fetched already tell the total.
"""

import heapq

from django.db.models import Count, Q

from kapcare.fhir.registry import follow


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

    def count(self) -> int:
        return self.queryset.count()

    def slice(self, start: int, stop: int) -> list:
        return [(self.part, obj) for obj in self.queryset[start:stop]]


class Family(Source):
    """Parts that read different kinds from the same rows, searched with the same filters."""

    def __init__(self, members: list[Source], queryset):
        super().__init__(members[0].part, queryset, members[0].parsed)
        self.parts = [member.part for member in members]

    def count(self) -> int:
        counts = self.queryset.aggregate(
            **{str(n): Count("pk", filter=p.kind_q()) for n, p in enumerate(self.parts)}
        )
        return sum(counts.values())

    def slice(self, start: int, stop: int) -> list:
        # Each row holds at least one of the kinds, so `stop` rows hold at least `stop` readings.
        rows = self.queryset[:stop]
        return [(part, row) for row in rows for part in self.parts if part.has(row)][start:stop]


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
        found = source.slice(skip, skip + want)
        page += found
        if counted is None:
            counted = skip + len(found) if len(found) < want else source.count()
        total += counted
    return total, page


def merged(sources: list[Source], parsed) -> tuple[int, list]:
    stop = parsed.offset + parsed.count
    total, runs = 0, []
    for source in sources:
        found = source.slice(0, stop) if stop else []
        total += len(found) if len(found) < stop else source.count()
        keys = source.parsed.order[:-1]
        runs.append([(sort_key(obj, keys), part, obj) for part, obj in found])
    # Each run is already in order; descending keys are compared reversed.
    descending = parsed.order[0].startswith("-")
    ordered = list(heapq.merge(*runs, key=lambda item: item[0], reverse=descending))
    return total, [(part, obj) for _, part, obj in ordered[parsed.offset : stop]]


def sort_key(obj, keys: list[str]) -> tuple:
    return tuple(follow(obj, key.lstrip("-")) for key in keys)
