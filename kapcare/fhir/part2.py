"""42 CFR Part 2: records of substance-use treatment leave the clinic only where consent allows.

kapcare has no Part 2 flag on any record yet (design.md: "Records of substance-use treatment carry
a 42 CFR Part 2 flag"; it arrives with the evaluation and consent apps). Every resource the API
gives out (read, vread, history, search, includes, bulk export) passes through `releasable`, so
when the flag exists this one function decides: a flagged record is released to a client only if
the patient's Part 2 consent names that recipient and purpose. Until then nothing is flagged.

`releasable_q` is the same rule as a filter on the mapper's records, for the ways out that decide
for many records in one query (the type-level history); the two must always agree.
"""

from django.db.models import Q


def releasable(mapper, obj, caller) -> bool:
    return True


def releasable_q(mapper, caller) -> Q:
    """The records of this mapper that may be released to this client, as a filter."""
    return Q()
