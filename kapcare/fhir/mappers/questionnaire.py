"""Questionnaire: an instrument the clinic has installed (kapcare.measures.Instrument).

The Questionnaire is served as the clinic stored it, with kapcare's id; instruments whose licence
allows no item text have no Questionnaire and are not listed. POST imports one exactly as
`kapcare import-questionnaire` does (kapcare.measures.importing): bound to kapcare's scoring of
the same instrument where it recognises it, and replacing an earlier import of the same name.
One it does not recognise is kept, with a warning that responses to it will be refused.
"""

from django.db.models import Q
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire

from kapcare.fhir.errors import FhirError, issue
from kapcare.fhir.registry import Mapper, SearchParam
from kapcare.measures.importing import import_questionnaire
from kapcare.measures.models import Instrument
from kapcare.measures.questionnaires import QuestionnaireError


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
    creatable = True
    # An import replaces the clinic's earlier import of the same name (kapcare.measures.importing).
    create_replaces = True
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

    def create(self, resource: dict, *, caller):
        try:
            imported = import_questionnaire(caller.clinic, resource, actor=caller.actor)
        except QuestionnaireError as error:
            raise FhirError(
                422, f"Questionnaire: {error}", code="invalid", expression="Questionnaire"
            ) from None
        return imported.instrument

    def created_notes(self, instrument) -> list[dict]:
        """kapcare keeps responses only scored: a Questionnaire it does not recognise as an
        instrument it scores is kept, but a QuestionnaireResponse to it will be refused. Said at
        once, rather than when the first response comes in."""
        if instrument.can_score:
            return []
        return [
            issue(
                "This Questionnaire is kept, but kapcare does not score it, and keeps responses only "
                "scored: a QuestionnaireResponse to it will be refused. kapcare scores the instruments "
                "it recognises by their LOINC panel code in Questionnaire.code ("
                + ", ".join(f"{code} {title}" for code, title in scored_panels())
                + ").",
                severity="warning",
                code="not-supported",
                expression="Questionnaire.code",
            )
        ]


def scored_panels() -> list[tuple[str, str]]:
    """(LOINC panel code, short name) of each instrument kapcare can score."""
    from kapcare.measures.scoring import shipped_definition, shipped_instruments

    panels = []
    for name in shipped_instruments():
        code = shipped_definition(name).data.get("loinc", {}).get("panel", {}).get("code")
        if code:
            panels.append((code, name.upper()))
    return panels
