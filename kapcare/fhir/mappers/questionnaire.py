"""Questionnaire: an instrument the clinic has installed (kapcare.measures.Instrument), read-only.

The Questionnaire is served as the clinic stored it, with kapcare's id; instruments whose licence
allows no item text have no Questionnaire and are not listed. Instruments are installed and
imported in kapcare (`kapcare import-questionnaire`), not through the API.
"""

from django.db.models import Q
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire

from kapcare.fhir.registry import Mapper, SearchParam
from kapcare.measures.models import Instrument


def url_filter(value: str, modifier: str, ctx) -> Q:
    url, _, version = value.partition("|")
    query = Q(questionnaire__url=url)
    return query & Q(questionnaire__version=version) if version else query


def name_filter(value: str, modifier: str, ctx) -> Q:
    if modifier == "exact":
        return Q(name__exact=value) | Q(title__exact=value)
    lookup = "icontains" if modifier == "contains" else "istartswith"
    return Q(**{f"name__{lookup}": value}) | Q(**{f"title__{lookup}": value})


class QuestionnaireMapper(Mapper):
    resource_type = "Questionnaire"
    fhir_model = FhirQuestionnaire
    documentation = __doc__.split("\n\n")[0]
    last_updated_field = "installed_at"
    search_params = (
        SearchParam(
            "url", "uri", "The questionnaire's canonical URL, optionally |version.", build=url_filter
        ),
        SearchParam("name", "string", "The instrument's short name or title.", build=name_filter),
    )
    sorts = {"_id": "pk", "name": "name", "_lastUpdated": "installed_at"}

    def queryset(self, clinic_id):
        return Instrument.objects.filter(clinic_id=clinic_id, questionnaire__isnull=False)

    def to_resource(self, instrument: Instrument) -> dict:
        stored = {
            k: v for k, v in instrument.questionnaire.items() if k not in ("id", "meta", "resourceType")
        }
        resource = {"resourceType": "Questionnaire", "id": str(instrument.pk), **stored}
        profiles = (instrument.questionnaire.get("meta") or {}).get("profile")
        if profiles:
            resource["meta"] = {"profile": profiles}
        return resource
