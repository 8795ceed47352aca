"""Practitioner: a member of staff with a clinical role (prescriber, nurse, therapist), read-only.

Staff accounts are made in kapcare (`kapcare createstaff`, the team page), not through the API.
kapcare keeps one full name; `name.text` carries it whole, and `family` is its last word (US Core
asks for a family name). Credentials (MD, NP, LCSW) become a qualification in words. The
identifier is the clinician's individual NPI, which the clinic's admin gives on the team page; a
member with none (US Core asks for one) has no identifier until then.
"""

from django.db.models import Q
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner

from kapcare.clinics.models import User
from kapcare.clinics.roles import CLINICAL
from kapcare.fhir.registry import Mapper, SearchParam
from kapcare.lib.npi import SYSTEM as NPI_SYSTEM

US_CORE_PRACTITIONER = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner"


def name_filter(value: str, modifier: str, ctx) -> Q:
    if modifier == "exact":
        return Q(full_name__exact=value)
    if modifier == "contains":
        return Q(full_name__icontains=value)
    return Q(full_name__istartswith=value) | Q(full_name__icontains=" " + value)


def identifier_filter(value: str, modifier: str, ctx) -> Q:
    system, bar, code = value.rpartition("|")
    if bar and system and system != NPI_SYSTEM:
        return Q(pk__in=[])  # kapcare knows its clinicians by NPI only
    return Q(npi=code) if code else ~Q(npi="")  # system| alone: any clinician with an NPI


class PractitionerMapper(Mapper):
    resource_type = "Practitioner"
    fhir_model = FhirPractitioner
    profile = US_CORE_PRACTITIONER
    documentation = __doc__.split("\n\n")[0]
    search_params = (
        SearchParam("name", "string", "Any part of the full name.", build=name_filter),
        SearchParam("identifier", "token", f"The NPI: {NPI_SYSTEM}|value or value.", build=identifier_filter),
    )
    sorts = {"_id": "pk", "name": "full_name"}

    def queryset(self, clinic_id):
        return User.objects.filter(
            memberships__clinic_id=clinic_id,
            memberships__role__in=sorted(CLINICAL),
            memberships__is_active=True,
            is_active=True,
        )

    def to_resource(self, user: User) -> dict:
        words = user.full_name.split()
        name = {"text": user.full_name, "family": words[-1] if words else user.full_name}
        if len(words) > 1:
            name["given"] = words[:-1]
        resource = {
            "resourceType": "Practitioner",
            "id": str(user.pk),
            "meta": {"profile": [US_CORE_PRACTITIONER]},
            "active": True,
            "name": [name],
            "telecom": [{"system": "email", "value": user.email, "use": "work"}],
        }
        if user.npi:
            resource["identifier"] = [{"system": NPI_SYSTEM, "value": user.npi}]
        if user.credentials:
            resource["qualification"] = [{"code": {"text": user.credentials}}]
        return resource
