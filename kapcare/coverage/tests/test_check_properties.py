"""Property test: whatever a clearinghouse answers, a check is stored whole or not at all.

A sandbox 271 is cut short, has characters swapped or removed, or segments dropped; the check
either stores one complete result or raises CheckFailed and stores nothing. It never crashes.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapcare.coverage import sandbox
from kapcare.coverage.eligibility import CheckFailed, check_coverage
from kapcare.coverage.models import EligibilityCheck


class Mangling:
    """Answers with the sandbox's 271 after `mangle` has had its way with it."""

    name = "mangling"
    sends_our_270 = True

    def __init__(self, mangle):
        self.mangle = mangle

    def exchange(self, inquiry, request_270):
        return self.mangle(sandbox.respond(request_270))


manglings = st.one_of(
    st.integers(0, 2000).map(lambda cut: lambda text: text[:cut]),
    st.tuples(st.integers(0, 2000), st.sampled_from("*~^:|X9 \n")).map(
        lambda args: lambda text: text[: args[0]] + args[1] + text[args[0] + 1 :]
    ),
    st.integers(0, 2000).map(lambda at: lambda text: text[:at] + text[at + 1 :]),
    st.integers(1, 45).map(
        lambda n: lambda text: "~".join(s for i, s in enumerate(text.split("~")) if i != n)
    ),
)


@pytest.mark.django_db
@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mangle=manglings)
def test_a_mangled_answer_is_stored_whole_or_not_at_all(avery_coverage, intake, mangle):
    before = EligibilityCheck.objects.count()
    try:
        check = check_coverage(avery_coverage, by=intake, clearinghouse=Mangling(mangle))
    except CheckFailed as failure:
        assert failure.message
        assert EligibilityCheck.objects.count() == before
    else:
        stored = EligibilityCheck.objects.get(pk=check.pk)
        assert stored.response_271 and stored.request_270 and stored.result["summary"]["lines"]
        assert EligibilityCheck.objects.count() == before + 1
