"""The coverage panel on the chart, the coverage form, running a check and the payer directory."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AuditEvent
from kapcare.coverage.eligibility import check_coverage
from kapcare.coverage.models import Coverage, CoverageSettings, EligibilityCheck, Payer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def form_data(payer, **changes):
    data = {
        "payer": payer.pk,
        "plan_type": "ppo",
        "member_id": "KCA100001",
        "group_number": "0012345",
        "priority": "primary",
        "is_active": "on",
        "relationship": "self",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# The panel on the chart.


def test_the_panel_shows_the_latest_result_in_plain_words(signed_in, intake, avery_coverage):
    check_coverage(avery_coverage, by=intake)
    response = signed_in(intake).get(
        reverse("coverage:panel", args=[avery_coverage.patient_id]), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # the partial alone for HTMX
    assert "Is the coverage active?" in body and "Yes, since 1 January" in body
    assert "Yes: the clinic is in network with Aetna PPO plans." in body
    assert "$30.00 copay in network (office)" in body
    assert "$300.00 of $1,500.00 met" in body
    assert "Run check" in body


def test_the_panel_without_htmx_is_a_whole_page(signed_in, intake, avery_coverage):
    response = signed_in(intake).get(reverse("coverage:panel", args=[avery_coverage.patient_id]))
    assert "<html" in response.content.decode()
    assert "No eligibility check has been run for this coverage yet." in response.content.decode()


def test_the_panel_warns_when_the_last_check_is_older_than_the_clinics_limit(
    signed_in, intake, avery_coverage, coverage_settings
):
    check = check_coverage(avery_coverage, by=intake)
    EligibilityCheck.objects.filter(pk=check.pk).update(ran_at=timezone.now() - timedelta(days=31))
    body = signed_in(intake).get(reverse("coverage:panel", args=[avery_coverage.patient_id])).content.decode()
    assert "more than 30 days old" in body
    coverage_settings.recheck_after_days = 60
    coverage_settings.save()
    body = signed_in(intake).get(reverse("coverage:panel", args=[avery_coverage.patient_id])).content.decode()
    assert "days old" not in body


def test_the_panel_warns_when_the_coverage_changed_after_the_last_check(signed_in, intake, avery_coverage):
    check_coverage(avery_coverage, by=intake)
    Coverage.objects.filter(pk=avery_coverage.pk).update(changed_at=timezone.now() + timedelta(seconds=5))
    body = signed_in(intake).get(reverse("coverage:panel", args=[avery_coverage.patient_id])).content.decode()
    assert "The coverage changed after the last check" in body


def test_the_panel_is_audited_as_a_view_of_the_patient(signed_in, intake, avery_coverage):
    signed_in(intake).get(reverse("coverage:panel", args=[avery_coverage.patient_id]))
    assert AuditEvent.objects.filter(action="view", patient_id=avery_coverage.patient_id).exists()


def test_the_panel_query_count_does_not_grow_with_the_history(signed_in, intake, avery_coverage, aetna):
    client = signed_in(intake)
    url = reverse("coverage:panel", args=[avery_coverage.patient_id])
    check_coverage(avery_coverage, by=intake)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(4):
        check_coverage(avery_coverage, by=intake)
    Coverage.objects.create(
        clinic=avery_coverage.clinic,
        patient=avery_coverage.patient,
        payer=aetna,
        plan_type="ppo",
        member_id="KCA100001",
        priority="secondary",
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count("Run check") == 2
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]
    assert len(few) <= 20


def test_nurses_may_not_see_insurance(signed_in, nurse, avery_coverage):
    response = signed_in(nurse).get(reverse("coverage:panel", args=[avery_coverage.patient_id]))
    assert response.status_code == 403


def test_another_clinic_gets_not_found_for_every_coverage_page(signed_in, outsider, intake, avery_coverage):
    check = check_coverage(avery_coverage, by=intake)
    client = signed_in(outsider)
    for url in (
        reverse("coverage:panel", args=[avery_coverage.patient_id]),
        reverse("coverage:edit", args=[avery_coverage.pk]),
        reverse("coverage:card", args=[avery_coverage.pk, "front"]),
        reverse("coverage:check_detail", args=[check.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("coverage:check", args=[avery_coverage.pk])).status_code == 404
    assert EligibilityCheck.objects.count() == 1


# Adding and changing coverage.


@pytest.mark.django_db(transaction=True)
def test_adding_coverage_checks_eligibility_in_the_background(
    signed_in, intake, avery, aetna, coverage_settings
):
    response = signed_in(intake).post(reverse("coverage:new", args=[avery.pk]), form_data(aetna))
    assert response.status_code == 302
    coverage = Coverage.objects.get()
    check = EligibilityCheck.objects.get()
    assert (check.coverage, check.automatic, check.ran_by, check.status) == (coverage, True, intake, "active")


def test_the_background_check_waits_for_the_commit(
    signed_in, intake, avery, aetna, coverage_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        signed_in(intake).post(reverse("coverage:new", args=[avery.pk]), form_data(aetna))
    assert not EligibilityCheck.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert EligibilityCheck.objects.get().automatic


def test_editing_the_member_id_checks_again_but_editing_dates_does_not(
    signed_in, intake, avery_coverage, aetna, django_capture_on_commit_callbacks
):
    client = signed_in(intake)
    url = reverse("coverage:edit", args=[avery_coverage.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, form_data(aetna, effective_from="2026-01-01"))
    assert EligibilityCheck.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, form_data(aetna, member_id="KCA100002", effective_from="2026-01-01"))
    check = EligibilityCheck.objects.get()
    assert (check.status, check.automatic) == ("rejected", True)  # KCA100002 is someone born in 1979
    assert "birth" in check.result["answers"][0]["answer"]


def test_a_dependant_needs_the_subscribers_name_and_birth_date(signed_in, intake, avery, aetna):
    response = signed_in(intake).post(
        reverse("coverage:new", args=[avery.pk]), form_data(aetna, relationship="child")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"subscriber_first_name", "subscriber_last_name", "subscriber_date_of_birth"}
    assert not Coverage.objects.exists()


def test_a_member_id_with_odd_characters_is_refused(signed_in, intake, avery, aetna):
    response = signed_in(intake).post(
        reverse("coverage:new", args=[avery.pk]), form_data(aetna, member_id="KCA*1~")
    )
    assert "letters and digits as printed on the card" in response.content.decode()
    assert not Coverage.objects.exists()


def test_coverage_cannot_end_before_it_begins(signed_in, intake, avery, aetna):
    response = signed_in(intake).post(
        reverse("coverage:new", args=[avery.pk]),
        form_data(aetna, effective_from="2026-05-01", effective_to="2026-04-01"),
    )
    assert response.context["form"].errors["effective_to"] == ["The coverage cannot end before it begins."]


def test_a_second_current_primary_coverage_is_refused(signed_in, intake, avery_coverage, aetna):
    response = signed_in(intake).post(
        reverse("coverage:new", args=[avery_coverage.patient_id]), form_data(aetna)
    )
    assert "already has a current primary coverage" in response.content.decode()
    assert Coverage.objects.count() == 1


def test_a_payer_from_another_clinic_cannot_be_chosen(signed_in, intake, avery, other_clinic):
    theirs = Payer.objects.create(clinic=other_clinic, name="Aetna", payer_id="SBX-AETNA")
    response = signed_in(intake).post(reverse("coverage:new", args=[avery.pk]), form_data(theirs))
    assert "payer" in response.context["form"].errors
    assert not Coverage.objects.exists()


def test_card_images_are_kept_and_shown_only_through_the_chart(
    signed_in, intake, avery, aetna, coverage_settings, django_capture_on_commit_callbacks
):
    client = signed_in(intake)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("coverage:new", args=[avery.pk]),
            form_data(
                aetna,
                card_front=SimpleUploadedFile("front.jpg", JPEG, "image/jpeg"),
                card_back=SimpleUploadedFile("back.png", PNG, "image/png"),
            ),
        )
    coverage = Coverage.objects.get()
    assert "KCA100001" not in coverage.card_front.name and "Sample" not in coverage.card_front.name
    response = client.get(reverse("coverage:card", args=[coverage.pk, "back"]))
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="view", object_type="Coverage", detail__card="back").exists()


def test_a_card_that_is_not_an_image_is_refused_whatever_its_name(signed_in, intake, avery, aetna):
    response = signed_in(intake).post(
        reverse("coverage:new", args=[avery.pk]),
        form_data(aetna, card_front=SimpleUploadedFile("card.jpg", b"%PDF-1.7 not a photo", "image/jpeg")),
    )
    assert response.context["form"].errors["card_front"] == [
        "This is not a JPEG, PNG or WebP photo of the card."
    ]
    assert not Coverage.objects.exists()


def test_a_card_image_over_the_size_limit_is_refused(signed_in, intake, avery, aetna, settings):
    settings.COVERAGE_CARD_MAX_BYTES = 1024
    response = signed_in(intake).post(
        reverse("coverage:new", args=[avery.pk]),
        form_data(aetna, card_back=SimpleUploadedFile("back.jpg", JPEG + b"\x00" * 2000, "image/jpeg")),
    )
    assert "may be at most" in response.context["form"].errors["card_back"][0]
    assert not Coverage.objects.exists()


def test_billing_may_add_coverage_but_a_prescriber_may_not(signed_in, billing, prescriber, avery):
    assert signed_in(billing).get(reverse("coverage:new", args=[avery.pk])).status_code == 200
    assert signed_in(prescriber).get(reverse("coverage:new", args=[avery.pk])).status_code == 403


# Running a check by hand.


def test_run_check_stores_a_result_and_shows_it(signed_in, prescriber, avery_coverage):
    response = signed_in(prescriber).post(
        reverse("coverage:check", args=[avery_coverage.pk]), {"service_type": "A6"}, follow=True
    )
    check = EligibilityCheck.objects.get()
    assert (check.service_type, check.ran_by, check.automatic) == ("A6", prescriber, False)
    assert "Eligibility checked: active." in response.content.decode()


def test_run_check_with_htmx_returns_the_panel_with_the_result(signed_in, intake, avery_coverage):
    response = signed_in(intake).post(
        reverse("coverage:check", args=[avery_coverage.pk]),
        {"service_type": "MH"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert 'id="coverage-panel"' in body and "<html" not in body
    assert "Yes, since 1 January" in body


def test_run_check_refuses_a_service_type_outside_behavioural_health(signed_in, intake, avery_coverage):
    response = signed_in(intake).post(
        reverse("coverage:check", args=[avery_coverage.pk]), {"service_type": "35"}, follow=True
    )
    assert "Choose one of the behavioural-health service types" in response.content.decode()
    assert not EligibilityCheck.objects.exists()


def test_run_check_that_fails_says_why_and_stores_nothing(
    signed_in, intake, avery_coverage, coverage_settings
):
    coverage_settings.billing_npi = ""
    coverage_settings.save()
    response = signed_in(intake).post(
        reverse("coverage:check", args=[avery_coverage.pk]), {"service_type": "MH"}, follow=True
    )
    assert "Set the clinic&#x27;s billing NPI" in response.content.decode()
    assert not EligibilityCheck.objects.exists()


def test_the_check_page_shows_the_raw_x12(signed_in, billing, intake, avery_coverage):
    check = check_coverage(avery_coverage, by=intake)
    body = signed_in(billing).get(reverse("coverage:check_detail", args=[check.pk])).content.decode()
    assert "ST*270*" in body and "ST*271*" in body
    assert "AETNA OPEN ACCESS PPO" in body


# The payer directory and settings.


def test_the_payer_directory_lists_network_status(signed_in, intake, aetna):
    body = signed_in(intake).get(reverse("coverage:payers")).content.decode()
    assert "Aetna" in body and "SBX-AETNA" in body and "In network" in body
    assert "Add a payer" not in body


def test_billing_adds_a_payer_with_a_carve_out(signed_in, billing, carelon):
    response = signed_in(billing).post(
        reverse("coverage:payer_new"),
        {
            "name": "Anthem",
            "payer_id": "SBX-ANTHEM",
            "in_network": "on",
            "network_plan_types": ["ppo", "hmo"],
            "carve_out": carelon.pk,
            "notes": "",
        },
    )
    assert response.status_code == 302
    anthem = Payer.objects.get(name="Anthem")
    assert (anthem.network_plan_types, anthem.carve_out) == (["ppo", "hmo"], carelon)


def test_an_in_network_payer_needs_its_plan_types(signed_in, billing):
    response = signed_in(billing).post(
        reverse("coverage:payer_new"), {"name": "Anthem", "payer_id": "SBX-ANTHEM", "in_network": "on"}
    )
    assert "Say for which plan types" in response.content.decode()
    assert not Payer.objects.exists()


def test_a_payer_name_is_unique_in_the_clinic(signed_in, billing, aetna):
    response = signed_in(billing).post(
        reverse("coverage:payer_new"), {"name": "aetna", "payer_id": "SBX-AETNA"}
    )
    errors = response.context["form"].errors
    assert errors["name"] == ["The directory already has a payer with this name."]
    assert errors["payer_id"] == ["Another payer in the directory has this payer ID."]
    assert Payer.objects.count() == 1


def test_the_admin_sets_the_billing_npi_and_a_bad_one_is_refused(signed_in, admin, clinic):
    client = signed_in(admin)
    response = client.post(
        reverse("coverage:settings"),
        {"billing_npi": "1234567890", "recheck_after_days": 30, "service_type": "MH", "billing_name": ""},
    )
    assert "correct check digit" in response.content.decode()
    client.post(
        reverse("coverage:settings"),
        {
            "billing_npi": "1234567893",
            "recheck_after_days": 14,
            "service_type": "A6",
            "billing_name": "Riverside KAP",
        },
    )
    options = CoverageSettings.objects.get(clinic=clinic)
    assert (options.billing_npi, options.recheck_after_days, options.service_type) == ("1234567893", 14, "A6")


def test_coverage_changed_at_marks_the_change(signed_in, intake, avery_coverage, aetna):
    before = avery_coverage.changed_at
    signed_in(intake).post(
        reverse("coverage:edit", args=[avery_coverage.pk]), form_data(aetna, member_id="KCA100002")
    )
    avery_coverage.refresh_from_db()
    assert avery_coverage.changed_at > before
    assert avery_coverage.member_id == "KCA100002"
    assert date.today().year >= 2026


def test_with_the_database_worker_saving_coverage_queues_a_check_for_later(
    signed_in, intake, avery, aetna, coverage_settings, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(intake).post(reverse("coverage:new", args=[avery.pk]), form_data(aetna))
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "kapcare.coverage.tasks.recheck_coverage"
    assert queued.args_kwargs["args"] == [Coverage.objects.get().pk, intake.pk]
    assert not EligibilityCheck.objects.exists()
    # What the worker does with it.
    from kapcare.coverage.tasks import recheck_coverage

    assert recheck_coverage.call(*queued.args_kwargs["args"]) == "active"
    assert EligibilityCheck.objects.get().automatic


def test_an_automatic_check_that_fails_is_shown_on_the_chart_until_a_check_completes(
    signed_in, intake, avery_coverage, coverage_settings
):
    from kapcare.coverage.tasks import recheck_coverage

    coverage_settings.billing_npi = ""
    coverage_settings.save()
    assert "billing NPI" in recheck_coverage.call(avery_coverage.pk, intake.pk)
    assert not EligibilityCheck.objects.exists()
    client = signed_in(intake)
    panel = client.get(reverse("coverage:panel", args=[avery_coverage.patient_id])).content.decode()
    assert "The automatic check after the last change could not be completed" in panel
    assert "billing NPI" in panel
    coverage_settings.billing_npi = "1234567893"
    coverage_settings.save()
    check_coverage(avery_coverage, by=intake)
    panel = client.get(reverse("coverage:panel", args=[avery_coverage.patient_id])).content.decode()
    assert "could not be completed" not in panel
