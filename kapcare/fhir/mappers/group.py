"""Group: a site of the clinic, as the group of patients with a course of treatment there.

It exists so a registry can export one site's patients (`GET /Group/{id}/$export`). The members
are not listed inline, which would make the resource grow with the site; `quantity` counts them
and the export returns them.
"""

from django.db.models import Count, Q
from fhir.resources.R4B.group import Group as FhirGroup

from kapcare.clinics.models import Site
from kapcare.fhir.registry import Mapper, SearchParam
from kapcare.patients.models import Patient


def name_filter(value: str, modifier: str, ctx) -> Q:
    return Q(name__iexact=value) if modifier == "exact" else Q(name__icontains=value)


class GroupMapper(Mapper):
    resource_type = "Group"
    fhir_model = FhirGroup
    documentation = __doc__.split("\n\n")[0]
    search_params = (SearchParam("name", "string", "Part of the site's name.", build=name_filter),)
    sorts = {"_id": "pk", "name": "name"}

    def queryset(self, clinic_id):
        return Site.objects.filter(clinic_id=clinic_id).annotate(
            patient_count=Count("course__patient", distinct=True)
        )

    def to_resource(self, site: Site) -> dict:
        return {
            "resourceType": "Group",
            "id": str(site.pk),
            "type": "person",
            "actual": True,
            "name": f"Patients at {site.name}",
            "quantity": site.patient_count,
        }

    def members(self, site: Site):
        return Patient.objects.filter(clinic_id=site.clinic_id, courses__site=site).distinct()
