"""The role matrix: which staff role may do what. One table, in code, tested by walking every URL.

A permission names an action on a kind of record. A view declares the permission it needs
(`@staff_view("patients.view")`); nothing else decides who may see what.
"""

from django.db import models


class Role(models.TextChoices):
    INTAKE = "intake", "Intake coordinator"
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    THERAPIST = "therapist", "Therapist"
    BILLING = "billing", "Billing"
    ADMIN = "admin", "Clinic admin"


ALL = frozenset(Role)
CLINICAL = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})

MATRIX: dict[str, frozenset[Role]] = {
    # The patient list and chart: everyone on the care and front-office team.
    "patients.view": ALL,
    "patients.create": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.ADMIN}),
    "patients.edit": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.NURSE, Role.ADMIN}),
    # Opening a course and moving it through its states is a clinical decision.
    "courses.open": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.ADMIN}),
    "courses.manage": frozenset({Role.PRESCRIBER}),
    # The lead inbox (leads app): the front office and prescribers answer and convert enquiries.
    "leads.view": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.ADMIN}),
    "leads.manage": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.ADMIN}),
    "leads.convert": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.ADMIN}),
    "leads.settings": frozenset({Role.ADMIN}),
    # The public website's text, FAQs, contact details and guide (website app).
    "website.edit": frozenset({Role.ADMIN}),
    # Outcome measures (measures app): the care team and intake see and collect them; billing and
    # admins do not need questionnaire answers. Closing a safety alert is a clinician's act.
    "measures.view": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "measures.assign": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "measures.enter": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "alerts.manage": frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    # The clinic's instruments: importing a licensed Questionnaire's text, the clinic's own alert
    # rules and the reference SD for reliable change are clinical settings (prescribers) that the
    # admin keeps with them; no patient's answers are shown there.
    "measures.configure": frozenset({Role.PRESCRIBER, Role.ADMIN}),
    # Consent and the preparation checklist (patients app, signed in the portal or in clinic).
    "consents.view": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.ADMIN}),
    "consents.witness": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "consents.publish": frozenset({Role.ADMIN}),
    "preparation.view": frozenset({Role.INTAKE, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    # Insurance (coverage app): the front office, billing and prescribers see coverage and run
    # eligibility checks; the front office and billing keep coverage up to date; billing and the
    # admin keep the payer directory and the clinic's billing NPI.
    "coverage.view": frozenset({Role.INTAKE, Role.BILLING, Role.PRESCRIBER, Role.ADMIN}),
    "coverage.check": frozenset({Role.INTAKE, Role.BILLING, Role.PRESCRIBER, Role.ADMIN}),
    "coverage.edit": frozenset({Role.INTAKE, Role.BILLING, Role.ADMIN}),
    "coverage.manage": frozenset({Role.BILLING, Role.ADMIN}),
    # Integration (integration app): the clinical team reads progress notes, goals and the overdue
    # queue; therapists write and sign notes and rate goals; therapists and the front office book
    # sessions. Psychotherapy notes need integration.write and, on top, being their author.
    "integration.view": CLINICAL,
    "integration.write": frozenset({Role.THERAPIST}),
    "integration.schedule": frozenset({Role.THERAPIST, Role.INTAKE}),
    "integration.settings": frozenset({Role.ADMIN}),
    # FHIR API tokens (fhir app): which other systems may read and write the clinic's records.
    "api.manage": frozenset({Role.ADMIN}),
    # Evaluation, safety screening, eligibility decision and treatment plan (evaluation app).
    "evaluation.view": CLINICAL,
    "evaluation.edit": frozenset({Role.PRESCRIBER, Role.NURSE}),
    "evaluation.decide": frozenset({Role.PRESCRIBER}),
    # The clinic's protocol: the clinical team reads it; admins put a new version in force.
    "protocol.view": CLINICAL | {Role.ADMIN},
    "protocol.manage": frozenset({Role.ADMIN}),
    # Dosing sessions (sessions app): the clinical team sees them and the live board; nurses chart
    # check-in, vitals, ratings and discharge; prescribers order doses and override holds (and may
    # chart, supervising the session); nurses and prescribers sign the record.
    "sessions.view": frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}),
    "sessions.chart": frozenset({Role.NURSE, Role.PRESCRIBER}),
    "sessions.order": frozenset({Role.PRESCRIBER}),
    "sessions.sign": frozenset({Role.NURSE, Role.PRESCRIBER}),
    "sessions.schedule": frozenset({Role.PRESCRIBER, Role.NURSE, Role.INTAKE}),
    "sessions.stock": frozenset({Role.NURSE, Role.PRESCRIBER, Role.ADMIN}),
    # Running the clinic.
    "staff.manage": frozenset({Role.ADMIN}),
    "clinic.manage": frozenset({Role.ADMIN}),
    "audit.view": frozenset({Role.ADMIN}),
}


def allows(role: str | None, permission: str) -> bool:
    """Whether a member with this role may do this. Unknown permissions allow nobody."""
    return role is not None and role in MATRIX.get(permission, frozenset())


def roles_for(permission: str) -> frozenset[Role]:
    return MATRIX[permission]
