"""The dose: the prescriber's order within the protocol's maximum, the IV-equivalent, the nurse's
administration with a second person's verification, and a controlled-substance log that balances."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kapcare.sessions.models import LedgerEntry, SessionError, Stock, dose
from kapcare.sessions.tests.conftest import PRODUCT, give


def test_an_order_in_mg_per_kg_is_worked_out_from_todays_weight(cleared, prescriber):
    order = dose.order_dose(cleared, by=prescriber, route="iv", mg_per_kg=Decimal("0.5"))
    assert order.amount_mg == Decimal("35.00")  # 0.5 mg/kg × 70 kg
    assert order.iv_equivalent_mg == Decimal("35.00")  # IV bioavailability 1.0


def test_the_iv_equivalent_follows_the_routes_bioavailability(cleared, prescriber):
    order = dose.order_dose(cleared, by=prescriber, route="im", amount_mg=Decimal("40"))
    assert order.iv_equivalent_mg == Decimal("37.20")  # 40 × 0.93 (protocol routes.im.bioavailability)


def test_an_order_above_the_protocols_maximum_is_refused_and_nothing_is_saved(cleared, prescriber):
    # IV maximum: 2.0 mg/kg IV-equivalent × 70 kg ÷ 1.0 = 140 mg.
    with pytest.raises(SessionError, match="above the protocol's maximum of 140.00 mg"):
        dose.order_dose(cleared, by=prescriber, route="iv", amount_mg=Decimal("140.01"))
    assert cleared.orders.count() == 0


def test_an_order_at_exactly_the_protocols_maximum_is_accepted(cleared, prescriber):
    order = dose.order_dose(cleared, by=prescriber, route="iv", amount_mg=Decimal("140"))
    assert order.max_mg == Decimal("140.00")
    assert "Kolp" in order.limit_rule["source"]


def test_a_routes_absolute_maximum_applies_when_lower_than_the_weight_limit(cleared, prescriber):
    # Lozenge: 2.0 × 70 ÷ 0.32 = 437.5 mg by weight, but the route's maximum is 450 mg; at 100 kg
    # the weight limit (625 mg) is above it and 450 mg holds.
    type(cleared).objects.filter(pk=cleared.pk).update(weight_kg=Decimal("100"))
    cleared.refresh_from_db()
    with pytest.raises(SessionError, match="maximum of 450.00 mg"):
        dose.order_dose(cleared, by=prescriber, route="lozenge", amount_mg=Decimal("451"))


def test_only_a_prescriber_orders_a_dose(cleared, nurse):
    with pytest.raises(SessionError, match="Only a prescriber"):
        dose.order_dose(cleared, by=nurse, route="iv", amount_mg=Decimal("30"))


def test_an_order_needs_the_amount_in_one_unit(cleared, prescriber):
    with pytest.raises(SessionError, match="either in mg or in mg/kg"):
        dose.order_dose(cleared, by=prescriber, route="iv", amount_mg=30, mg_per_kg=Decimal("0.4"))


def test_the_database_refuses_an_order_above_its_recorded_maximum(cleared, prescriber):
    order = dose.order_dose(cleared, by=prescriber, route="iv", amount_mg=Decimal("35"))
    with pytest.raises(IntegrityError), transaction.atomic():
        type(order).objects.filter(pk=order.pk).update(amount_mg=Decimal("500"))


def test_administration_records_the_dose_takes_it_from_the_log_and_doses_the_session(ordered, nurse, nurse2):
    given = give(ordered, nurse, nurse2)
    ordered.refresh_from_db()
    assert ordered.state == "dosed"
    assert ordered.dosed_at == given.given_at
    assert (given.lot, given.verified_by) == ("K2026A", nurse2)
    assert Stock.objects.get(site=ordered.site, product=PRODUCT).on_hand_mg == Decimal("465.00")


def test_administration_without_a_second_person_is_refused(ordered, nurse):
    dose.receive(ordered.site, PRODUCT, 500, by=nurse, lot="K2026A")
    with pytest.raises(SessionError, match="second member of staff"):
        dose.administer(
            ordered,
            by=nurse,
            verified_by=nurse,
            given_at=timezone.now(),
            route="iv",
            amount_mg=Decimal("35"),
            product=PRODUCT,
            lot="K2026A",
        )
    ordered.refresh_from_db()
    assert ordered.state == "cleared"
    assert LedgerEntry.objects.filter(kind="administered").count() == 0


def test_administration_of_another_amount_than_ordered_is_refused(ordered, nurse, nurse2):
    dose.receive(ordered.site, PRODUCT, 500, by=nurse, lot="K2026A")
    with pytest.raises(SessionError, match="The order is for 35.00 mg"):
        dose.administer(
            ordered,
            by=nurse,
            verified_by=nurse2,
            given_at=timezone.now(),
            route="iv",
            amount_mg=Decimal("40"),
            product=PRODUCT,
            lot="K2026A",
        )


def test_administration_needs_a_lot_number(ordered, nurse, nurse2):
    dose.receive(ordered.site, PRODUCT, 500, by=nurse, lot="K2026A")
    with pytest.raises(SessionError, match="lot number"):
        dose.administer(
            ordered,
            by=nurse,
            verified_by=nurse2,
            given_at=timezone.now(),
            route="iv",
            amount_mg=Decimal("35"),
            product=PRODUCT,
            lot=" ",
        )


def test_administration_beyond_the_stock_on_hand_is_refused_and_changes_nothing(ordered, nurse, nurse2):
    dose.receive(ordered.site, PRODUCT, 20, by=nurse, lot="K2026A")
    with pytest.raises(SessionError, match="20.00 mg on hand"):
        dose.administer(
            ordered,
            by=nurse,
            verified_by=nurse2,
            given_at=timezone.now() - timedelta(minutes=1),
            route="iv",
            amount_mg=Decimal("35"),
            product=PRODUCT,
            lot="K2026A",
        )
    ordered.refresh_from_db()
    assert ordered.state == "cleared" and ordered.administrations.count() == 0
    assert Stock.objects.get(product=PRODUCT).on_hand_mg == Decimal("20.00")


def test_waste_needs_a_witness_other_than_the_person_wasting(dosed, nurse):
    with pytest.raises(SessionError, match="witness"):
        dose.waste(dosed, PRODUCT, 15, by=nurse, witness=nurse)


def test_the_log_balances_received_minus_administered_minus_wasted(dosed, nurse, nurse2):
    dose.waste(dosed, PRODUCT, 15, by=nurse, witness=nurse2, note="Remainder of the vial")
    [row] = dose.balances(dosed.site)
    assert (row["received"], row["administered"], row["wasted"]) == (
        Decimal("500.00"),
        Decimal("35.00"),
        Decimal("15.00"),
    )
    assert row["on_hand"] == Decimal("450.00")
    assert row["balances"] is True
    entries = list(LedgerEntry.objects.filter(site=dosed.site).order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3]
    assert all(e.balance_after_mg == e.balance_before_mg + e.change_mg for e in entries)
    assert all(b.balance_before_mg == a.balance_after_mg for a, b in zip(entries, entries[1:], strict=False))


def test_the_database_refuses_a_ledger_row_that_does_not_balance(dosed, nurse):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            site=dosed.site,
            product=PRODUCT,
            seq=99,
            kind="received",
            change_mg=10,
            balance_before_mg=465,
            balance_after_mg=480,
            by=nurse,
        )


def test_the_database_refuses_unwitnessed_waste(dosed, nurse):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            site=dosed.site,
            product=PRODUCT,
            seq=99,
            kind="wasted",
            change_mg=-5,
            balance_before_mg=465,
            balance_after_mg=460,
            by=nurse,
        )


def test_the_database_refuses_stock_below_zero(dosed):
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(site=dosed.site).update(on_hand_mg=-1)


def test_a_log_altered_behind_its_back_no_longer_balances(dosed):
    Stock.objects.filter(site=dosed.site).update(on_hand_mg=400)
    [row] = dose.balances(dosed.site)
    assert row["balances"] is False
