"""Consent documents are versioned; a patient signs the version shown with their typed name, in the
portal or in clinic; a PDF copy is kept; a newer version asks again; signatures are frozen."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from kapcare.audit.models import AuditEvent
from kapcare.patients.consent import Channel, ConsentDocument, ConsentSignature, Frozen, consent_status
from kapcare.portal.tests.conftest import KAP_BODY


def sign_form(document, name="Marguerite Quillfeather", **changes):
    return {
        "agree": "on",
        "typed_name": name,
        "version": document.version,
        "sha256": document.sha256,
    } | changes


def post_sign(client, document, **changes):
    return client.post(reverse("portal:consent", args=[document.kind]), sign_form(document, **changes))


def test_the_hash_is_the_sha256_of_the_exact_text_shown(kap_consent):
    shown = f"Informed consent for KAP\n\n{KAP_BODY}"
    assert kap_consent.sha256 == hashlib.sha256(shown.encode()).hexdigest()


def test_a_patient_signs_the_kap_consent_in_the_portal(portal, patient, kap_consent):
    page = portal.get(reverse("portal:consent", args=["kap"])).content.decode()
    assert "Ketamine can cause dissociation." in page and "Sign version 1" in page
    response = post_sign(portal, kap_consent, typed_name="  marguerite   QUILLFEATHER ")
    assert response.status_code == 302
    signature = ConsentSignature.objects.get()
    assert (signature.patient, signature.version, signature.kind) == (patient, 1, "kap")
    assert signature.typed_name == "marguerite QUILLFEATHER"
    assert signature.text_sha256 == kap_consent.sha256
    assert signature.channel == Channel.PORTAL and signature.address == "127.0.0.1"
    event = AuditEvent.objects.get(action="sign")
    assert event.patient_id == patient.pk and event.role == "patient" and event.detail["version"] == 1


def test_a_pdf_copy_is_kept_with_the_text_and_the_signature(portal, patient, kap_consent):
    post_sign(portal, kap_consent)
    signature = ConsentSignature.objects.get()
    pdf = bytes(signature.pdf)
    assert pdf.startswith(b"%PDF") and signature.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "dissociation" in text and "Marguerite Quillfeather" in text and kap_consent.sha256[:16] in text


def test_the_patient_downloads_their_own_signed_copy(portal, patient, kap_consent):
    post_sign(portal, kap_consent)
    signature = ConsentSignature.objects.get()
    response = portal.get(reverse("portal:consent_pdf", args=[signature.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content == bytes(signature.pdf)
    assert AuditEvent.objects.filter(action="export", object_id=str(signature.pk), role="patient").exists()


def test_a_patient_cannot_open_another_patients_signed_copy(client, patient, clinic, kap_consent):
    from datetime import date

    from kapcare.patients.models import Patient
    from kapcare.portal.tests.conftest import portal_sign_in

    signature = kap_consent.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=1,
        shown_sha256=kap_consent.sha256,
        channel="clinic",
    )
    other = Patient.objects.create(
        clinic=clinic,
        legal_first_name="Ansel",
        legal_last_name="Brook",
        date_of_birth=date(1970, 1, 2),
        sex_at_birth="male",
    )
    portal_sign_in(client, other)
    assert client.get(reverse("portal:consent_pdf", args=[signature.pk])).status_code == 404


def test_a_name_that_does_not_match_is_refused_and_nothing_is_saved(portal, kap_consent):
    response = post_sign(portal, kap_consent, typed_name="Daisy Quillfeather")
    assert response.status_code == 200
    assert "The name does not match the record" in response.content.decode()
    assert not ConsentSignature.objects.exists() and not AuditEvent.objects.filter(action="sign").exists()


def test_signing_without_agreeing_is_refused(portal, kap_consent):
    response = post_sign(portal, kap_consent, agree="")
    assert "Tick this box" in response.content.decode()
    assert not ConsentSignature.objects.exists()


def test_a_consent_signed_for_another_version_than_the_one_shown_is_refused(portal, clinic, kap_consent):
    newer = ConsentDocument.publish(
        clinic, "kap", "Informed consent for KAP", KAP_BODY + "\n\nNew paragraph."
    )
    response = post_sign(portal, kap_consent)  # the patient read version 1; version 2 is now current
    page = response.content.decode()
    assert response.status_code == 200
    assert "you were shown version 1, and version 2 is now the one to sign" in page
    assert "New paragraph." in page and f'value="{newer.sha256}"' in page
    assert not ConsentSignature.objects.exists()


def test_a_text_that_differs_from_the_version_is_refused(portal, kap_consent):
    response = post_sign(portal, kap_consent, sha256="0" * 64)
    assert "not the text of this version" in response.content.decode()
    assert not ConsentSignature.objects.exists()


def test_the_same_version_cannot_be_signed_twice(patient, kap_consent):
    args = {
        "typed_name": patient.legal_name,
        "shown_version": 1,
        "shown_sha256": kap_consent.sha256,
        "channel": "portal",
    }
    kap_consent.sign(patient, **args)
    with pytest.raises(ValidationError, match="already signed"):
        kap_consent.sign(patient, **args)
    assert ConsentSignature.objects.count() == 1


def test_a_newer_version_asks_the_patient_to_sign_again(portal, patient, clinic, kap_consent):
    post_sign(portal, kap_consent)
    assert [row["due"] for row in consent_status(patient)] == [False]
    ConsentDocument.publish(clinic, "kap", "Informed consent for KAP", KAP_BODY + "\n\nUpdated.")
    (row,) = consent_status(patient)
    assert row["due"] and row["outdated"] and row["signature"].version == 1
    assert "Updated: please sign again" in portal.get(reverse("portal:home")).content.decode()


def test_a_published_document_and_a_signature_are_frozen(patient, kap_consent):
    signature = kap_consent.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=1,
        shown_sha256=kap_consent.sha256,
        channel="portal",
    )
    kap_consent.body = "Changed after signing."
    with pytest.raises(Frozen):
        kap_consent.save()
    signature.typed_name = "Someone Else"
    with pytest.raises(Frozen):
        signature.save()
    with pytest.raises(Frozen):
        signature.delete()


def test_versions_count_up_per_clinic_and_kind(clinic, other_clinic, kap_consent):
    assert ConsentDocument.publish(clinic, "kap", "t", "b").version == 2
    assert ConsentDocument.publish(clinic, "telehealth", "t", "b").version == 1
    assert ConsentDocument.publish(other_clinic, "kap", "t", "b").version == 1


def test_signing_the_part_2_consent_sets_the_patients_part_2_flag(portal, patient, part2_consent):
    assert not patient.part2_consent
    post_sign(portal, part2_consent)
    patient.refresh_from_db()
    assert patient.part2_consent


def test_another_clinics_document_cannot_be_signed(patient, other_clinic):
    document = ConsentDocument.publish(other_clinic, "kap", "t", "b")
    with pytest.raises(ValidationError, match="another clinic"):
        document.sign(
            patient,
            typed_name=patient.legal_name,
            shown_version=1,
            shown_sha256=document.sha256,
            channel="portal",
        )


def test_a_document_the_clinic_has_not_published_is_not_found(portal, other_clinic):
    ConsentDocument.publish(other_clinic, "kap", "t", "b")
    assert portal.get(reverse("portal:consent", args=["kap"])).status_code == 404
    assert portal.get(reverse("portal:consent", args=["nonsense"])).status_code == 404


# Staff side.


def test_staff_see_consent_status_on_the_chart_panel(
    client, nurse, patient, kap_consent, part2_consent, signed_in
):
    kap_consent.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=1,
        shown_sha256=kap_consent.sha256,
        channel="portal",
    )
    signed_in(nurse)
    page = client.get(reverse("patients:consent_panel", args=[patient.pk])).content.decode()
    assert "v1, " in page and "(in the patient portal)" in page
    assert "Not signed" in page and "Part 2 disclosure consent: <strong>not given</strong>" in page


def test_a_patient_signs_in_clinic_with_staff_as_witness(client, nurse, patient, kap_consent, signed_in):
    signed_in(nurse)
    url = reverse("patients:consent_sign", args=[patient.pk, "kap"])
    assert "Ketamine can cause dissociation." in client.get(url).content.decode()
    response = client.post(url, sign_form(kap_consent))
    assert response["Location"] == reverse("patients:chart", args=[patient.pk])
    signature = ConsentSignature.objects.get()
    assert signature.channel == Channel.CLINIC and signature.witnessed_by == nurse
    assert AuditEvent.objects.get(action="sign").actor == nurse.email


def test_in_clinic_signing_refuses_a_wrong_name(client, nurse, patient, kap_consent, signed_in):
    signed_in(nurse)
    response = client.post(
        reverse("patients:consent_sign", args=[patient.pk, "kap"]), sign_form(kap_consent, name="M Q")
    )
    assert response.status_code == 200 and "does not match" in response.content.decode()
    assert not ConsentSignature.objects.exists()


def test_staff_open_the_signed_pdf_and_it_is_audited(client, therapist, patient, kap_consent, signed_in):
    signature = kap_consent.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=1,
        shown_sha256=kap_consent.sha256,
        channel="portal",
    )
    signed_in(therapist)
    response = client.get(reverse("patients:consent_pdf", args=[signature.pk]))
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="export", actor=therapist.email, patient_id=patient.pk).exists()


def test_billing_may_not_open_a_consent_and_an_outsider_finds_nothing(
    client, billing, outsider, patient, kap_consent, signed_in
):
    signature = kap_consent.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=1,
        shown_sha256=kap_consent.sha256,
        channel="portal",
    )
    signed_in(billing)
    assert client.get(reverse("patients:consent_pdf", args=[signature.pk])).status_code == 403
    signed_in(outsider)
    assert client.get(reverse("patients:consent_pdf", args=[signature.pk])).status_code == 404
    assert client.get(reverse("patients:consent_panel", args=[patient.pk])).status_code == 404


def test_an_admin_publishes_a_new_version_and_patients_are_asked_again(
    client, admin, patient, kap_consent, signed_in
):
    kap_consent.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=1,
        shown_sha256=kap_consent.sha256,
        channel="portal",
    )
    signed_in(admin)
    url = reverse("patients:consent_publish") + "?kind=kap"
    assert "Ketamine can cause dissociation." in client.get(url).content.decode()
    response = client.post(
        url, {"title": "Informed consent for KAP", "body": KAP_BODY + "\n\nA new paragraph."}
    )
    assert response["Location"] == reverse("patients:consent_documents")
    newest = ConsentDocument.objects.get(kind="kap", version=2)
    assert newest.published_by == admin and newest.body.endswith("A new paragraph.")
    assert consent_status(patient)[0]["outdated"]
    page = client.get(reverse("patients:consent_documents")).content.decode()
    assert "v2" in page and "1 patient" in page
    assert AuditEvent.objects.filter(
        action="create", object_type="ConsentDocument", actor=admin.email
    ).exists()


def test_publishing_the_same_text_again_is_refused(client, admin, kap_consent, signed_in):
    signed_in(admin)
    response = client.post(
        reverse("patients:consent_publish") + "?kind=kap",
        {"title": kap_consent.title, "body": KAP_BODY + "\r\n"},
    )
    assert "This is the text of version 1 already" in response.content.decode()
    assert ConsentDocument.objects.count() == 1


def test_an_empty_text_is_refused(client, admin, signed_in):
    signed_in(admin)
    response = client.post(
        reverse("patients:consent_publish") + "?kind=telehealth", {"title": "Telehealth", "body": ""}
    )
    assert "This field is required" in response.content.decode()
    assert not ConsentDocument.objects.exists()


def test_only_admins_publish_consent_documents(client, prescriber, signed_in):
    signed_in(prescriber)
    assert client.get(reverse("patients:consent_publish") + "?kind=kap").status_code == 403
    assert client.get(reverse("patients:consent_documents")).status_code == 403


# Withdrawing a consent.


def test_a_patient_withdraws_their_part_2_consent_in_the_portal(portal, patient, part2_consent):
    post_sign(portal, part2_consent)
    response = portal.post(reverse("portal:consent_withdraw", args=["part2"]), {"confirm": "yes"})
    assert response["Location"] == reverse("portal:home")
    patient.refresh_from_db()
    assert not patient.part2_consent
    signature = ConsentSignature.objects.get()
    assert signature.withdrawal.channel == "portal" and not signature.in_force
    (row,) = consent_status(patient)
    assert row["due"] and row["withdrawn"]
    event = AuditEvent.objects.get(action="update", object_type="ConsentWithdrawal")
    assert event.role == "patient" and event.detail["withdrawn"] == "part2"


def test_withdrawing_without_confirming_changes_nothing(portal, patient, part2_consent):
    post_sign(portal, part2_consent)
    portal.post(reverse("portal:consent_withdraw", args=["part2"]))
    patient.refresh_from_db()
    assert patient.part2_consent and ConsentSignature.objects.get().in_force


def test_a_withdrawn_consent_can_be_signed_again(portal, patient, part2_consent):
    post_sign(portal, part2_consent)
    portal.post(reverse("portal:consent_withdraw", args=["part2"]), {"confirm": "yes"})
    assert post_sign(portal, part2_consent).status_code == 302
    patient.refresh_from_db()
    assert patient.part2_consent and ConsentSignature.objects.count() == 2


def test_staff_record_a_written_withdrawal(client, intake, patient, kap_consent, signed_in):
    signature = kap_consent.sign(
        patient,
        typed_name=patient.legal_name,
        shown_version=1,
        shown_sha256=kap_consent.sha256,
        channel="portal",
    )
    signed_in(intake)
    url = reverse("patients:consent_withdraw", args=[signature.pk])
    assert "Say how the withdrawal reached the clinic" in client.post(url, {"note": ""}).content.decode()
    assert ConsentSignature.objects.get().in_force
    client.post(url, {"note": "Letter dated Nov 20, received Nov 24."})
    withdrawal = ConsentSignature.objects.get().withdrawal
    assert withdrawal.recorded_by == intake and withdrawal.channel == "clinic"
    page = client.get(reverse("patients:consent_panel", args=[patient.pk])).content.decode()
    assert "Withdrawn" in page
    assert "already been withdrawn" in client.post(url, {"note": "again"}).content.decode()
