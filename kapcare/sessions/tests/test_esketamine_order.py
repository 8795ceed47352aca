"""An esketamine (Spravato) dose is ordered by its label, not by the racemic protocol: intranasal,
in whole 28 mg devices, at most 84 mg a session, and with no racemic IV-equivalent."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kapcare.sessions.models import SessionError, dose
from kapcare.sessions.tests.conftest import GOOD_ANSWERS
from kapcare.sessions.tests.test_rems import book_esketamine


@pytest.fixture
def cleared_esketamine(ready_patient, active_course, nurse):
    session = book_esketamine(active_course, nurse)
    session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
    return session


def test_an_esketamine_order_carries_the_labels_maximum_and_no_iv_equivalent(cleared_esketamine, prescriber):
    order = dose.order_dose(cleared_esketamine, by=prescriber, route="intranasal", amount_mg=Decimal("84"))
    assert order.iv_equivalent_mg is None and order.max_mg == Decimal("84.00")
    assert (
        "56 or 84 mg" in order.limit_rule["text"] and "reference/clinical.md §3" in order.limit_rule["source"]
    )


@pytest.mark.parametrize(
    "route, amount, per_kg, said",
    [
        ("intranasal", Decimal("50"), None, "not a whole number of 28 mg esketamine devices"),
        ("intranasal", Decimal("112"), None, "112 mg is above the label's highest dose per session, 84 mg"),
        ("intranasal", None, Decimal("0.8"), "in mg, a whole number of 28 mg devices, not by weight"),
        ("im", Decimal("56"), None, "is a nasal spray: order it intranasal"),
    ],
)
def test_an_esketamine_order_outside_the_label_is_refused_and_nothing_is_ordered(
    cleared_esketamine, prescriber, route, amount, per_kg, said
):
    with pytest.raises(SessionError, match=said):
        dose.order_dose(cleared_esketamine, by=prescriber, route=route, amount_mg=amount, mg_per_kg=per_kg)
    assert not cleared_esketamine.orders.exists()


def test_a_racemic_order_still_carries_its_iv_equivalent(session, nurse, prescriber):
    session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
    order = dose.order_dose(session, by=prescriber, route=session.route, amount_mg=Decimal("35"))
    assert order.iv_equivalent_mg is not None


def test_the_order_page_and_session_page_speak_of_the_label_not_an_iv_equivalent(
    signed_in, prescriber, cleared_esketamine
):
    client = signed_in(prescriber)
    page = client.get(reverse("sessions:order", args=[cleared_esketamine.pk])).content.decode()
    assert "The Spravato label's limits" in page and "at most <strong>84.00 mg</strong>" in page
    assert "IV-equivalent = dose" not in page
    response = client.post(
        reverse("sessions:order", args=[cleared_esketamine.pk]),
        {"route": "intranasal", "unit": "mg", "amount": "56"},
        follow=True,
    )
    body = response.content.decode()
    assert "Ordered 56.00 mg" in body and "IV-equivalent <strong>" not in body
    assert "maximum today 84.00 mg" in body


def test_an_esketamine_session_never_calls_its_route_racemic(signed_in, prescriber, cleared_esketamine):
    dose.order_dose(cleared_esketamine, by=prescriber, route="intranasal", amount_mg=Decimal("56"))
    page = (
        signed_in(prescriber).get(reverse("sessions:detail", args=[cleared_esketamine.pk])).content.decode()
    )
    assert "Esketamine (Spravato) · Intranasal ·" in page and "56.00 mg Intranasal by" in page
    assert "Intranasal (racemic)" not in page


def test_esketamine_above_the_label_is_not_booked(ready_patient, active_course, nurse):
    from kapcare.sessions.tests.conftest import schedule

    with pytest.raises(SessionError, match="112 mg is above the label's highest dose per session, 84 mg"):
        schedule(
            active_course,
            nurse,
            route="intranasal",
            medication="esketamine",
            planned_mg_per_kg=None,
            planned_dose_mg=Decimal("112"),
        )
