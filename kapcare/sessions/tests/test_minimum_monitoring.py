"""The minimum monitoring time before a patient may leave: the Spravato 2-hour rule for esketamine,
and for racemic ketamine by each route the clinic's own protocol setting, marked unverified
(reference/clinical.md §3 and §4.8 verify the 2 hours for esketamine only). A session keeps the
minimum of the protocol version it runs under."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kapcare.clinics.models import Protocol
from kapcare.clinics.protocol import default_rules, settings_table, validate_rules
from kapcare.sessions.models import RemsForm, SessionError, dose
from kapcare.sessions.models.rems import rems_missing
from kapcare.sessions.monitor import record_vitals
from kapcare.sessions.tests.conftest import GOOD_ANSWERS, give, schedule
from kapcare.sessions.tests.test_alerts import use_rules
from kapcare.sessions.tests.test_discharge import ALDRETE_10
from kapcare.sessions.tests.test_rems import COMPLETE, book_esketamine


@pytest.fixture
def lozenge(ready_patient, active_course, nurse, nurse2, prescriber):
    session = schedule(
        active_course, nurse, route="lozenge", planned_mg_per_kg=None, planned_dose_mg=Decimal("200")
    )
    session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
    dose.order_dose(session, by=prescriber, route="lozenge", amount_mg=Decimal("200"))
    return session


def monitored_for(session, nurse, nurse2, minutes):
    give(session, nurse, nurse2, minutes_ago=minutes)
    record_vitals(session, by=nurse, taken_at=timezone.now(), values={"systolic": 122, "diastolic": 80})
    session.refresh_from_db()


def test_a_lozenge_sessions_minimum_is_the_clinics_setting_not_the_spravato_rule(lozenge):
    minimum = lozenge.minimum_monitoring
    assert minimum.value == 120
    assert minimum.unverified is True
    assert minimum.path == "routes.lozenge.minimum_monitoring_minutes"
    assert "no verified minimum monitoring time for racemic ketamine" in minimum.citation


def test_an_esketamine_sessions_minimum_is_the_spravato_two_hours(active_course, ready_patient, nurse):
    session = book_esketamine(active_course, nurse)
    minimum = session.minimum_monitoring
    assert (minimum.value, minimum.unverified, minimum.path) == (120, False, "discharge.minimum_minutes")
    assert "Spravato" in minimum.source and "§4.8" in minimum.source


@pytest.mark.parametrize("route", ["iv", "im", "intranasal", "lozenge"])
def test_every_racemic_route_has_its_own_unverified_minimum_in_the_defaults(route):
    rows = [
        row
        for row in settings_table(default_rules())
        if row["section"] == f"routes: {route}" and row["name"] == "minimum_monitoring_minutes"
    ]
    assert len(rows) == 1
    assert rows[0]["value"] == 120 and rows[0]["unverified"] is True


def test_the_session_page_says_the_lozenge_minimum_is_the_clinics_setting_and_where_it_is_set(
    signed_in, nurse, nurse2, lozenge
):
    give(lozenge, nurse, nurse2, minutes_ago=30)
    page = signed_in(nurse).get(reverse("sessions:detail", args=[lozenge.pk])).content.decode()
    sentence = page.split("Discharge after at least 120 minutes")[1].split("</p>")[0]
    assert "Spravato: clinically stable" not in sentence
    assert "the clinic's protocol setting, not a sourced rule" in sentence
    assert "routes: lozenge · minimum_monitoring_minutes" in sentence
    assert reverse("evaluation:protocol") in sentence


def test_the_discharge_check_reads_the_routes_minimum(lozenge, nurse, nurse2, admin):
    use_rules(lozenge, admin, lambda r: r["routes"]["lozenge"]["minimum_monitoring_minutes"].update(value=90))
    monitored_for(lozenge, nurse, nurse2, 85)
    with pytest.raises(SessionError, match="lasted 85 minutes; the protocol asks for at least 90") as error:
        lozenge.mark_ready(by=nurse, score_items=ALDRETE_10)
    assert "routes: lozenge · minimum_monitoring_minutes" in str(error.value)
    assert "unverified" in str(error.value)
    type(lozenge).objects.filter(pk=lozenge.pk).update(dosed_at=timezone.now() - timedelta(minutes=91))
    lozenge.refresh_from_db()
    lozenge.mark_ready(by=nurse, score_items=ALDRETE_10)
    assert lozenge.state == "ready_for_discharge"


def test_the_esketamine_minimum_does_not_set_another_routes(lozenge, nurse, nurse2, admin):
    use_rules(lozenge, admin, lambda r: r["discharge"]["minimum_minutes"].update(value=60))
    monitored_for(lozenge, nurse, nurse2, 70)
    with pytest.raises(SessionError, match="asks for at least 120"):
        lozenge.mark_ready(by=nurse, score_items=ALDRETE_10)


def test_a_session_on_a_version_saved_before_the_route_setting_keeps_the_minimum_it_ran_under(
    lozenge, nurse, nurse2, admin
):
    def old_version(rules):
        for route in rules["routes"].values():
            route.pop("minimum_monitoring_minutes")
        rules["discharge"]["minimum_minutes"]["value"] = 100

    use_rules(lozenge, admin, old_version)
    minimum = lozenge.minimum_monitoring
    assert (minimum.value, minimum.unverified) == (100, True)
    assert minimum.setting_label == "discharge · minimum_minutes"
    assert "one minimum for every route" in minimum.citation
    monitored_for(lozenge, nurse, nurse2, 101)
    lozenge.mark_ready(by=nurse, score_items=ALDRETE_10)


def test_a_protocol_may_leave_the_route_minimum_out_but_not_give_a_wrong_one():
    rules = default_rules()
    rules["routes"]["iv"].pop("minimum_monitoring_minutes")
    assert validate_rules(rules) == []
    rules["routes"]["im"]["minimum_monitoring_minutes"]["value"] = "two hours"
    assert validate_rules(rules) == [
        'routes.im.minimum_monitoring_minutes.value: "two hours" is not a positive number.'
    ]


def test_a_revision_with_a_wrong_route_minimum_is_refused(clinic, admin):
    rules = default_rules()
    rules["routes"]["lozenge"]["minimum_monitoring_minutes"]["value"] = 0
    with pytest.raises(ValidationError, match="routes.lozenge.minimum_monitoring_minutes"):
        Protocol.revise(clinic, rules, by=admin)


def test_the_summary_names_the_routes_minimum_as_the_clinics_setting(signed_in, nurse, nurse2, lozenge):
    monitored_for(lozenge, nurse, nurse2, 125)
    lozenge.mark_ready(by=nurse, score_items=ALDRETE_10)
    lozenge.discharge(by=nurse, escort_present=True, escort_name="Sam", instructions_given=True)
    page = signed_in(nurse).get(reverse("sessions:summary", args=[lozenge.pk])).content.decode()
    sentence = page.split("protocol minimum 120 minutes")[1].split("</p>")[0]
    assert "not a sourced rule" in sentence and "routes: lozenge · minimum_monitoring_minutes" in sentence
    assert "Spravato: clinically stable" not in sentence


def test_the_rems_form_is_held_to_the_esketamine_minimum_whatever_the_nasal_route_setting(
    active_course, ready_patient, nurse, nurse2, prescriber, admin
):
    session = book_esketamine(active_course, nurse)
    use_rules(
        session, admin, lambda r: r["routes"]["intranasal"]["minimum_monitoring_minutes"].update(value=60)
    )
    RemsForm.objects.create(session=session, **(COMPLETE | {"total_minutes": 110}))
    assert rems_missing(session) == ["a total duration of at least 120 minutes (the form says 110)"]


def test_the_esketamine_session_page_cites_spravato(
    signed_in, nurse, nurse2, prescriber, active_course, ready_patient
):
    session = book_esketamine(active_course, nurse)
    session.check_in(by=nurse, answers=dict(GOOD_ANSWERS))
    dose.order_dose(session, by=prescriber, route="intranasal", amount_mg=Decimal("56"))
    give(session, nurse, nurse2, minutes_ago=20)
    page = signed_in(nurse).get(reverse("sessions:detail", args=[session.pk])).content.decode()
    sentence = page.split("Discharge after at least 120 minutes")[1].split("</p>")[0]
    assert "Spravato: clinically stable after at least 2 hours" in sentence
    assert "not a sourced rule" not in sentence
