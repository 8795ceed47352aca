"""The one place resource types are registered. A new type is one mapper module and one line here."""

from kapcare.fhir.mappers.administration import MedicationAdministrationMapper
from kapcare.fhir.mappers.adverse_event import AdverseEventMapper
from kapcare.fhir.mappers.condition import ConditionMapper
from kapcare.fhir.mappers.consent import ConsentMapper
from kapcare.fhir.mappers.coverage import CoverageMapper
from kapcare.fhir.mappers.encounter import AppointmentMapper, EncounterMapper
from kapcare.fhir.mappers.group import GroupMapper
from kapcare.fhir.mappers.medication_statement import MedicationStatementMapper
from kapcare.fhir.mappers.observation import ObservationMapper
from kapcare.fhir.mappers.patient import PatientMapper
from kapcare.fhir.mappers.practitioner import PractitionerMapper
from kapcare.fhir.mappers.questionnaire import QuestionnaireMapper
from kapcare.fhir.mappers.questionnaire_response import QuestionnaireResponseMapper
from kapcare.fhir.registry import Registry

REGISTRY = Registry()
REGISTRY.register(PatientMapper())
REGISTRY.register(PractitionerMapper())
REGISTRY.register(GroupMapper())
REGISTRY.register(QuestionnaireMapper())
REGISTRY.register(QuestionnaireResponseMapper())
REGISTRY.register(ConsentMapper())
REGISTRY.register(ObservationMapper())
REGISTRY.register(CoverageMapper())
REGISTRY.register(ConditionMapper())
REGISTRY.register(MedicationStatementMapper())
REGISTRY.register(EncounterMapper())
REGISTRY.register(AppointmentMapper())
REGISTRY.register(MedicationAdministrationMapper())
REGISTRY.register(AdverseEventMapper())
