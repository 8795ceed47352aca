from kapcare.audit.trail import record
from kapcare.clinics.access import get_object_for_user
from kapcare.patients.models import Course, Patient


def get_patient_for_user(request, pk) -> Patient:
    """The patient, if in the member's clinic (else 404) and the role allows (else 403); audited."""
    patient = get_object_for_user(request, Patient.objects.select_related("clinic"), pk=pk)
    if request.method == "GET":
        record(request, "view", patient, patient=patient)
    return patient


def get_course_for_user(request, pk) -> Course:
    course = get_object_for_user(request, Course.objects.select_related("patient"), pk=pk)
    if request.method == "GET":
        record(request, "view", course)
    return course
