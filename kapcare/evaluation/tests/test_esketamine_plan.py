"""A treatment plan for esketamine (Spravato): named as such, held to its label and REMS
(intranasal, whole 28 mg devices, never at home), and shown in devices and mg with no racemic
IV-equivalent."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from kapcare.audit.models import AuditEvent
from kapcare.evaluation.models import Diagnosis, TreatmentPlan
from kapcare.evaluation.signing import PreparationError, sign_decision, sign_plan
from kapcare.evaluation.tests.factories import make_evaluation, signed_esketamine_plan, signed_plan
from kapcare.evaluation.tests.test_plan import plan_data, plan_url


@pytest.fixture
def eligible(prescriber, course):
    evaluation = make_evaluation(course)
    Diagnosis.objects.create(evaluation=evaluation, code="F33.2", description="MDD, recurrent severe")
    sign_decision(course, outcome="eligible", rationale="Suitable.", by=prescriber)
    return course


def esketamine(**changes):
    return plan_data(medication="esketamine", route="intranasal", dose_amount="56", dose_unit="mg") | changes


def panel(client, course):
    return client.get(reverse("evaluation:panel", kwargs={"pk": course.patient_id})).content.decode()


def test_a_plan_is_for_racemic_ketamine_unless_it_names_esketamine(signed_in, prescriber, eligible):
    assert signed_in(prescriber).post(plan_url(eligible), plan_data()).status_code == 302
    plan = TreatmentPlan.objects.get()
    assert plan.medication == "ketamine" and plan.iv_equivalent_mg == Decimal("64.0")


def test_a_prescriber_signs_an_esketamine_plan_in_devices_with_no_iv_equivalent(
    signed_in, prescriber, eligible
):
    response = signed_in(prescriber).post(plan_url(eligible), esketamine(dose_amount="84"))
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get()
    assert (plan.medication, plan.route, plan.dose_mg, plan.devices) == ("esketamine", "intranasal", 84, 3)
    assert (plan.bioavailability, plan.iv_equivalent_mg, plan.iv_equivalent_mg_per_kg) == (None, None, None)
    assert not plan.at_home_allowed
    signed = AuditEvent.objects.get(action="sign", object_type="TreatmentPlan")
    assert signed.detail["medication"] == "esketamine" and signed.detail["dose_mg"] == "84"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"route": "im"}, "route", "nasal spray; it cannot be planned as Intramuscular (IM)"),
        ({"route": "lozenge"}, "route", "cannot be planned as Lozenge or sublingual"),
        ({"dose_amount": "0.8", "dose_unit": "mg/kg"}, "dose_unit", "in mg, by devices of 28 mg each"),
        ({"dose_amount": "60"}, "dose_amount", "whole number of 28 mg devices, 56 or 84 mg"),
        ({"dose_amount": "70"}, "dose_amount", "70 mg is not"),
        (
            {"dose_amount": "112"},
            "dose_amount",
            "112 mg is above the label's highest dose per session, 84 mg",
        ),
        (
            {"at_home_allowed": "on", "at_home_after_sessions": "2"},
            "at_home_allowed",
            "never dispensed for home use",
        ),
    ],
    ids=["route-im", "route-lozenge", "by-weight", "60-mg", "70-mg", "112-mg", "at-home"],
)
def test_an_esketamine_plan_off_its_label_is_refused_on_the_field_and_nothing_is_signed(
    signed_in, prescriber, eligible, changes, field, message
):
    response = signed_in(prescriber).post(plan_url(eligible), esketamine(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert "reference/clinical.md §3" in errors[field][0]
    assert not TreatmentPlan.objects.exists()
    assert not AuditEvent.objects.filter(action="sign", object_type="TreatmentPlan").exists()


def test_the_same_plan_for_racemic_ketamine_is_signed_by_the_protocol(signed_in, prescriber, eligible):
    response = signed_in(prescriber).post(
        plan_url(eligible), plan_data(route="im", dose_amount="0.5", dose_unit="mg/kg")
    )
    assert response.status_code == 302
    assert TreatmentPlan.objects.get().medication == "ketamine"


def test_signing_refuses_an_esketamine_plan_off_its_label_without_the_form(prescriber, eligible):
    data = {
        "target_conditions": ["F33.2"],
        "target_measures": ["phq-9"],
        "measures_schedule": "weekly",
        "medication": "esketamine",
        "route": "iv",
        "dose_amount": Decimal("56"),
        "dose_unit": "mg",
        "weight_kg": Decimal("70"),
        "dosing_sessions": 8,
        "cadence_days": 3,
        "integration_sessions_after_each": 1,
        "integration_within_hours": 48,
        "at_home_allowed": False,
        "at_home_after_sessions": None,
        "notes": "",
    }
    with pytest.raises(PreparationError, match="nasal spray") as refused:
        sign_plan(eligible, data, by=prescriber)
    assert refused.value.field == "route"
    assert not TreatmentPlan.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"route": "iv"},
        {"dose_unit": "mg/kg"},
        {"at_home_allowed": True, "at_home_after_sessions": 2},
        {
            "iv_equivalent_mg": Decimal("25.2"),
            "iv_equivalent_mg_per_kg": Decimal("0.36"),
            "bioavailability": 1,
        },
    ],
    ids=["iv", "by-weight", "at-home", "racemic-iv-equivalent"],
)
def test_the_database_refuses_an_esketamine_plan_off_its_label(eligible, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        signed_esketamine_plan(eligible, **fields)
    assert not TreatmentPlan.objects.exists()


def test_the_database_refuses_a_racemic_plan_without_its_iv_equivalent(eligible):
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentPlan.objects.create(**plan_fields(eligible, medication="ketamine", route="iv"))
    assert not TreatmentPlan.objects.exists()


def plan_fields(course, **changes):
    from kapcare.clinics.models import Protocol

    protocol = Protocol.active_for(course.clinic)
    return {
        "clinic_id": course.clinic_id,
        "course": course,
        "patient_id": course.patient_id,
        "protocol": protocol,
        "protocol_version": protocol.version,
        "signed_by": course.prescriber,
        "target_conditions": ["F33.2"],
        "target_measures": ["phq-9"],
        "measures_schedule": "weekly",
        "dose_amount": Decimal("56"),
        "dose_unit": "mg",
        "weight_kg": Decimal("70.0"),
        "dose_mg": Decimal("56"),
        "dosing_sessions": 8,
        "cadence_days": 3,
        "integration_sessions_after_each": 1,
        "integration_within_hours": 48,
    } | changes


def test_the_plan_form_shows_an_esketamine_dose_in_devices_as_it_is_typed(signed_in, prescriber, eligible):
    client = signed_in(prescriber)
    body = client.post(plan_url(eligible), esketamine(), headers={"HX-Request": "true"}).content.decode()
    assert "56 mg: 2 devices" in body
    assert "None: esketamine is another molecule" in body
    assert "Bioavailability" not in body and "mg/kg" not in body
    body = client.post(
        plan_url(eligible), esketamine(dose_amount="28"), headers={"HX-Request": "true"}
    ).content.decode()
    assert "28 mg: 1 device" in body and "28 mg is outside it" in body
    body = client.post(
        plan_url(eligible), esketamine(route="iv"), headers={"HX-Request": "true"}
    ).content.decode()
    assert "cannot be planned as Intravenous (IV)" in body
    assert not TreatmentPlan.objects.exists()


def test_the_plan_form_offers_esketamine_beside_racemic_ketamine(signed_in, prescriber, eligible):
    body = signed_in(prescriber).get(plan_url(eligible)).content.decode()
    assert '<option value="ketamine" selected>Ketamine (racemic)</option>' in body
    assert '<option value="esketamine">Esketamine (Spravato)</option>' in body


def test_the_chart_shows_an_esketamine_plan_in_devices_and_no_racemic_iv_equivalent(
    signed_in, prescriber, eligible
):
    signed_esketamine_plan(eligible)
    body = panel(signed_in(prescriber), eligible)
    assert "Esketamine (Spravato), intranasal, 56 mg (2 devices of 28 mg)" in body
    assert (
        "None: esketamine is dosed by its label in devices, not by a racemic ketamine IV-equivalent" in body
    )
    assert "No: esketamine is never dispensed for home use (SPRAVATO REMS)" in body
    assert " mg/kg" not in body


def test_the_chart_names_racemic_ketamine_and_its_iv_equivalent(signed_in, prescriber, eligible):
    signed_plan(eligible)
    body = panel(signed_in(prescriber), eligible)
    assert "Ketamine (racemic), Intramuscular (IM), 35.0 mg (0.50 mg/kg × 70.0 kg)" in body
    assert "32.6 mg · 0.465 mg/kg" in body


def test_an_esketamine_plan_is_signed_without_a_weight(signed_in, prescriber, eligible):
    # Its dose is not by weight: a weight typed only to get past the form would be a false record.
    response = signed_in(prescriber).post(plan_url(eligible), esketamine(weight_kg=""))
    assert response.status_code == 302
    assert TreatmentPlan.objects.get().weight_kg is None


def test_a_racemic_plan_still_needs_the_weight_its_dose_is_checked_against(signed_in, prescriber, eligible):
    response = signed_in(prescriber).post(plan_url(eligible), plan_data(weight_kg=""))
    assert response.status_code == 200
    assert "Enter today&#x27;s weight" in response.content.decode()
    assert not TreatmentPlan.objects.exists()


def test_the_database_refuses_a_racemic_plan_without_a_weight(eligible):
    fields = plan_fields(
        eligible,
        medication="ketamine",
        route="iv",
        weight_kg=None,
        bioavailability=1,
        iv_equivalent_mg=Decimal("56"),
        iv_equivalent_mg_per_kg=Decimal("0.8"),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentPlan.objects.create(**fields)
    assert not TreatmentPlan.objects.exists()


def test_the_database_itself_still_refuses_to_change_a_signed_plan(eligible):
    # On SQLite, migrating the plan's table rebuilds it; the trigger that freezes it must come back.
    from django.db import DatabaseError, connection

    plan = signed_esketamine_plan(eligible)
    with pytest.raises(DatabaseError, match="signed records cannot be changed"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE evaluation_treatmentplan SET notes = %s WHERE id = %s", ["Rewritten", plan.pk]
            )
    assert TreatmentPlan.objects.get().notes == plan.notes
