"""Patient: kapcare.patients.Patient as a US Core Patient.

What kapcare keeps and how it maps, both ways:
- identifier: the clinic's MRN, with a system per clinic (settings.FHIR_MRN_SYSTEM). Other
  identifiers a sender gives (another hospital's MRN, SSN, licence) are not kept.
- name: the legal name as `official`; the preferred name, when there is one, as `usual`. Coming
  in, the official name (else the usual one, else the first current one) is the legal name, and a
  usual or nickname name beside an official one is the preferred name. Given names are kept as one
  string and split on spaces going out. Prefixes, suffixes and old names are not kept.
- telecom: kapcare keeps one mobile number (for texts) and one email. A phone marked home or work
  is not a mobile number and is not kept; a phone with no `use` is taken as the mobile.
- gender (administrative gender, required by US Core): kapcare does not ask for an
  administrative gender. It is derived from the gender identity the patient gave: woman/female
  -> female, man/male -> male, any other answer -> other, no answer -> unknown. It is never
  derived from sex assigned at birth. Coming in, a gender that differs from what the stored
  identity derives to is stored as the identity (Female, Male, Other; unknown clears it).
- deceased[x]: kapcare keeps no record of a death, so a patient sent as deceased is refused (422)
  rather than kept as a living patient who could be booked and texted.
- birthDate; the US Core birthsex extension from sex assigned at birth (F, M, UNK). Intersex has
  no code in the birthsex value set, so the extension is left out rather than misstated.
- address: one current address (line, city, state, postal code).
- communication: the preferred language, coded in BCP-47 where kapcare knows the code.
- contact: the emergency contact (relationship C from v2-0131, plus the relationship in words).
"""

from datetime import date

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import timezone
from fhir.resources.R4B.patient import Patient as FhirPatient

from kapcare.fhir.errors import FhirError, issue
from kapcare.fhir.registry import Mapper, SearchParam
from kapcare.patients.models import Patient, Sex

US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
BCP47 = "urn:ietf:bcp:47"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender"

BIRTHSEX_CODES = {Sex.FEMALE: "F", Sex.MALE: "M", Sex.UNKNOWN: "UNK"}
SEX_FROM_BIRTHSEX = {"F": Sex.FEMALE, "M": Sex.MALE}
FEMALE = {"female", "woman", "f", "girl", "trans woman", "transgender woman", "cis woman", "trans female"}
MALE = {"male", "man", "m", "boy", "trans man", "transgender man", "cis man", "trans male"}
IDENTITY_FOR = {"female": "Female", "male": "Male", "other": "Other", "unknown": ""}
# Languages a US clinic most often records, with their BCP-47 codes; others are kept as words.
LANGUAGES = {
    "English": "en",
    "Spanish": "es",
    "Chinese": "zh",
    "Vietnamese": "vi",
    "Tagalog": "tl",
    "Arabic": "ar",
    "French": "fr",
    "Korean": "ko",
    "Russian": "ru",
    "Portuguese": "pt",
    "German": "de",
    "Haitian Creole": "ht",
    "Italian": "it",
    "Polish": "pl",
    "Japanese": "ja",
    "Hindi": "hi",
    "Persian": "fa",
    "American Sign Language": "ase",
}
LANGUAGE_NAMES = {code: name for name, code in LANGUAGES.items()}
# Where each model field comes from, for errors that name the element.
FIELD_PATHS = {
    "legal_first_name": "Patient.name.given",
    "legal_last_name": "Patient.name.family",
    "preferred_name": "Patient.name.given",
    "date_of_birth": "Patient.birthDate",
    "phone": "Patient.telecom.value",
    "email": "Patient.telecom.value",
    "address_line": "Patient.address.line",
    "city": "Patient.address.city",
    "state": "Patient.address.state",
    "postal_code": "Patient.address.postalCode",
    "preferred_language": "Patient.communication.language",
    "gender_identity": "Patient.gender",
    "emergency_contact_name": "Patient.contact.name",
    "emergency_contact_relationship": "Patient.contact.relationship",
    "emergency_contact_phone": "Patient.contact.telecom.value",
    "mrn": "Patient.identifier.value",
}


def mrn_system(clinic) -> str:
    return settings.FHIR_MRN_SYSTEM.format(clinic=clinic.slug)


def administrative_gender(identity: str) -> str:
    words = " ".join(identity.lower().replace("-", " ").split())
    if not words:
        return "unknown"
    if words in FEMALE:
        return "female"
    return "male" if words in MALE else "other"


def current(elements: list[dict], path: str) -> list[tuple[str, dict]]:
    """Elements still in use (not `old`, period not ended), each with its FHIRPath."""
    today = timezone.now().date().isoformat()
    return [
        (f"{path}[{index}]", element)
        for index, element in enumerate(elements or [])
        if element.get("use") != "old" and (element.get("period") or {}).get("end", "9999") >= today
    ]


def identifier_filter(value: str, modifier: str, ctx) -> Q:
    system, _, code = value.rpartition("|")
    if "|" in value and system and system != mrn_system(ctx.clinic):
        return Q(pk__in=[])
    return Q(mrn=code)


def identity_pattern(words: set[str]) -> str:
    """A regular expression matching the identities `administrative_gender` reads as one of
    `words`: any case, words apart by spaces or hyphens, spaces or hyphens around."""
    alternatives = "|".join(sorted(r"[\s-]+".join(word.split()) for word in words))
    return rf"^[\s-]*({alternatives})[\s-]*$"


def gender_filter(value: str, modifier: str, ctx) -> Q:
    """Patients whose administrative gender, as derived from their gender identity, is `value`."""
    female = Q(gender_identity__iregex=identity_pattern(FEMALE))
    male = Q(gender_identity__iregex=identity_pattern(MALE))
    unknown = Q(gender_identity__regex=r"^[\s-]*$")
    queries = {"female": female, "male": male, "unknown": unknown, "other": ~female & ~male & ~unknown}
    system, bar, code = value.rpartition("|")
    if code not in queries or (bar and system and system != GENDER_SYSTEM):
        raise FhirError(
            400,
            f"gender={value!r}: the administrative genders are male, female, other and unknown.",
            code="value",
        )
    return queries[code]


def name_filter(value: str, modifier: str, ctx) -> Q:
    fields = ("legal_first_name", "legal_last_name", "preferred_name")
    lookup = {"exact": "exact", "contains": "icontains"}.get(modifier, "istartswith")
    query = Q()
    for field in fields:
        query |= Q(**{f"{field}__{lookup}": value})
    # A given name with several words matches from any of them, as a client would expect.
    if lookup == "istartswith":
        query |= Q(legal_first_name__icontains=" " + value)
    return query


class PatientMapper(Mapper):
    resource_type = "Patient"
    fhir_model = FhirPatient
    profile = US_CORE_PATIENT
    documentation = __doc__.split("\n\n")[0]
    creatable = updatable = True
    last_updated_field = "updated_at"
    patient_field = "pk"
    search_params = (
        SearchParam(
            "identifier", "token", "The clinic's MRN: system|value or value.", build=identifier_filter
        ),
        SearchParam("name", "string", "Any part of the legal or preferred name.", build=name_filter),
        SearchParam("family", "string", "Family (last) name.", fields=("legal_last_name",)),
        SearchParam(
            "given", "string", "Given or preferred name.", fields=("legal_first_name", "preferred_name")
        ),
        SearchParam(
            "gender",
            "token",
            "Administrative gender (male, female, other, unknown), as derived from the gender identity.",
            build=gender_filter,
        ),
        SearchParam(
            "birthdate",
            "date",
            "Date of birth, the whole day, with prefixes eq ne lt gt le ge sa eb.",
            fields=("date_of_birth",),
        ),
    )
    # A valid resource to create, for the OpenAPI description.
    example = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Rivera", "given": ["Alex"]}],
        "birthDate": "1988-04-12",
        "gender": "other",
        "telecom": [{"system": "phone", "value": "+16175550142", "use": "mobile"}],
    }
    sorts = {
        "_id": "pk",
        "_lastUpdated": "updated_at",
        "family": "legal_last_name",
        "given": "legal_first_name",
        "birthdate": "date_of_birth",
    }

    def queryset(self, clinic_id):
        return Patient.objects.filter(clinic_id=clinic_id).select_related("clinic")

    def to_resource(self, patient: Patient) -> dict:
        resource = {
            "resourceType": "Patient",
            "id": str(patient.pk),
            "meta": {"profile": [US_CORE_PATIENT]},
            "extension": [],
            "identifier": [
                {
                    "use": "usual",
                    "type": {
                        "coding": [{"system": V2_0203, "code": "MR", "display": "Medical record number"}]
                    },
                    "system": mrn_system(patient.clinic),
                    "value": patient.mrn,
                }
            ],
            "active": True,
            "name": [
                {
                    "use": "official",
                    "family": patient.legal_last_name,
                    "given": patient.legal_first_name.split(),
                }
            ],
            "telecom": [],
            "gender": administrative_gender(patient.gender_identity),
            "birthDate": patient.date_of_birth.isoformat(),
        }
        if patient.sex_at_birth in BIRTHSEX_CODES:
            resource["extension"].append({"url": BIRTHSEX, "valueCode": BIRTHSEX_CODES[patient.sex_at_birth]})
        if patient.preferred_name:
            resource["name"].append(
                {"use": "usual", "family": patient.legal_last_name, "given": patient.preferred_name.split()}
            )
        if patient.phone:
            resource["telecom"].append({"system": "phone", "value": str(patient.phone), "use": "mobile"})
        if patient.email:
            resource["telecom"].append({"system": "email", "value": patient.email})
        address = {
            "line": [patient.address_line] if patient.address_line else [],
            "city": patient.city,
            "state": patient.state,
            "postalCode": patient.postal_code,
        }
        if any(address.values()):
            resource["address"] = [{key: value for key, value in address.items() if value}]
        if patient.preferred_language:
            resource["communication"] = [
                {"language": language(patient.preferred_language), "preferred": True}
            ]
        if patient.emergency_contact_name or patient.emergency_contact_phone:
            resource["contact"] = [emergency_contact(patient)]
        return {key: value for key, value in resource.items() if value != []}

    def from_resource(self, resource: dict, *, clinic, current_obj=None) -> Patient:
        patient = current_obj or Patient(clinic=clinic)
        problems: list[dict] = []
        read_identifier(patient, resource, clinic, problems)
        read_names(patient, resource, problems)
        read_telecom(patient, resource, problems)
        read_birth(patient, resource, problems)
        read_deceased(resource, problems)
        read_gender(patient, resource, problems)
        read_address(patient, resource)
        read_language(patient, resource)
        read_contact(patient, resource, problems)
        problems += model_problems(patient)
        if problems:
            raise FhirError(422, problems[0]["diagnostics"], issues=problems)
        return patient


def language(name: str) -> dict:
    code = LANGUAGES.get(name)
    if code is None:
        return {"text": name}
    return {"coding": [{"system": BCP47, "code": code, "display": name}], "text": name}


def emergency_contact(patient: Patient) -> dict:
    relationship = [{"coding": [{"system": V2_0131, "code": "C", "display": "Emergency Contact"}]}]
    if patient.emergency_contact_relationship:
        relationship.append({"text": patient.emergency_contact_relationship})
    contact = {"relationship": relationship}
    if patient.emergency_contact_name:
        contact["name"] = {"text": patient.emergency_contact_name}
    if patient.emergency_contact_phone:
        contact["telecom"] = [{"system": "phone", "value": str(patient.emergency_contact_phone)}]
    return contact


def read_identifier(patient, resource, clinic, problems):
    system = mrn_system(clinic)
    for index, identifier in enumerate(resource.get("identifier") or []):
        if identifier.get("system") == system and identifier.get("value"):
            value = identifier["value"]
            clash = Patient.objects.filter(clinic=clinic, mrn=value).exclude(pk=patient.pk).exists()
            if clash:
                problems.append(
                    issue(
                        f"MRN {value} belongs to another patient of this clinic.",
                        code="duplicate",
                        expression=f"Patient.identifier[{index}].value",
                    )
                )
            patient.mrn = value


def read_names(patient, resource, problems):
    names = current(resource.get("name"), "Patient.name")
    official = next((item for item in names if item[1].get("use") == "official"), None)
    usual = next((item for item in names if item[1].get("use") in ("usual", "nickname")), None)
    legal = official or usual or (names[0] if names else None)
    if legal is None:
        problems.append(
            issue(
                "Patient.name: kapcare needs the patient's current name, with family and given names.",
                code="required",
                expression="Patient.name",
            )
        )
        return
    path, name = legal
    patient.legal_last_name = (name.get("family") or "").strip()
    patient.legal_first_name = " ".join(name.get("given") or []).strip()
    for field, element in (("legal_last_name", "family"), ("legal_first_name", "given")):
        if not getattr(patient, field):
            problems.append(
                issue(
                    f"{path}.{element}: kapcare needs the {element} name.",
                    code="required",
                    expression=f"{path}.{element}",
                )
            )
    preferred = usual if official and usual else None
    patient.preferred_name = " ".join(preferred[1].get("given") or []).strip() if preferred else ""
    given = " ".join(name.get("given") or [])
    if patient.preferred_name == given:
        patient.preferred_name = ""


def phone_number(value: str, path: str, problems) -> str:
    try:
        number = phonenumbers.parse(value, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        problems.append(
            issue(f"{path}: {value!r} is not a valid phone number.", code="value", expression=path)
        )
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def read_telecom(patient, resource, problems):
    telecom = current(resource.get("telecom"), "Patient.telecom")
    phones = [item for item in telecom if item[1].get("system") == "phone" and item[1].get("value")]
    mobile = next((item for item in phones if item[1].get("use") == "mobile"), None)
    mobile = mobile or next((item for item in phones if not item[1].get("use")), None)
    patient.phone = phone_number(mobile[1]["value"], f"{mobile[0]}.value", problems) if mobile else ""
    email = next(
        (item for item in telecom if item[1].get("system") == "email" and item[1].get("value")), None
    )
    patient.email = ""
    if email:
        try:
            validate_email(email[1]["value"])
            patient.email = email[1]["value"]
        except ValidationError:
            problems.append(
                issue(
                    f"{email[0]}.value: {email[1]['value']!r} is not an email address.",
                    code="value",
                    expression=f"{email[0]}.value",
                )
            )


def read_birth(patient, resource, problems):
    born = resource.get("birthDate")
    if not born or len(born) != 10:
        problems.append(
            issue(
                "Patient.birthDate: kapcare needs the full date of birth (YYYY-MM-DD).",
                code="required",
                expression="Patient.birthDate",
            )
        )
    else:
        patient.date_of_birth = date.fromisoformat(born)
    code = next(
        (ext.get("valueCode") for ext in resource.get("extension") or [] if ext.get("url") == BIRTHSEX), None
    )
    if code in SEX_FROM_BIRTHSEX:
        patient.sex_at_birth = SEX_FROM_BIRTHSEX[code]
    elif patient.sex_at_birth != Sex.INTERSEX or code is not None:
        # Intersex has no birthsex code, so a resource we gave out without one leaves it as it is.
        patient.sex_at_birth = Sex.UNKNOWN


def read_deceased(resource, problems):
    """kapcare has no record of a death: every patient it holds can be booked, texted and sent
    surveys. A patient sent as deceased is refused rather than kept as a living one."""
    if resource.get("deceasedBoolean") is True or resource.get("deceasedDateTime"):
        element = "deceasedBoolean" if "deceasedBoolean" in resource else "deceasedDateTime"
        problems.append(
            issue(
                f"Patient.{element}: this patient has died. kapcare keeps no record of a death and would "
                "list them as a living patient who can be booked, texted and sent surveys, so it "
                "does not take them.",
                code="business-rule",
                expression=f"Patient.{element}",
            )
        )


def read_gender(patient, resource, problems):
    gender = resource.get("gender") or "unknown"
    if gender not in IDENTITY_FOR:
        # fhir.resources checks the type of a code, not its value set: the binding is ours to check.
        problems.append(
            issue(
                f"Patient.gender: {gender!r} is not an administrative gender (male, female, other, unknown).",
                code="code-invalid",
                expression="Patient.gender",
            )
        )
        return
    if administrative_gender(patient.gender_identity) != gender:
        patient.gender_identity = IDENTITY_FOR[gender]


def read_address(patient, resource):
    addresses = current(resource.get("address"), "Patient.address")
    addresses = [item for item in addresses if item[1].get("use") != "billing"]
    home = next((item for item in addresses if item[1].get("use") == "home"), None)
    chosen = (home or (addresses[0] if addresses else (None, {})))[1]
    patient.address_line = ", ".join(chosen.get("line") or [])
    patient.city = chosen.get("city") or ""
    patient.state = chosen.get("state") or ""
    patient.postal_code = chosen.get("postalCode") or ""


def read_language(patient, resource):
    spoken = resource.get("communication") or []
    chosen = next((item for item in spoken if item.get("preferred")), spoken[0] if spoken else None)
    if chosen is None:
        patient.preferred_language = ""
        return
    concept = chosen.get("language") or {}
    codings = concept.get("coding") or []
    coded = next(
        (
            LANGUAGE_NAMES[c["code"].split("-")[0]]
            for c in codings
            if c.get("code") and c["code"].split("-")[0] in LANGUAGE_NAMES
        ),
        None,
    )
    shown = next(
        (c.get("display") or c.get("code") for c in codings if c.get("display") or c.get("code")), ""
    )
    patient.preferred_language = coded or concept.get("text") or shown


def read_contact(patient, resource, problems):
    contacts = list(enumerate(resource.get("contact") or []))

    def is_emergency(contact):
        return any(
            c.get("code") == "C" for r in contact.get("relationship") or [] for c in r.get("coding") or []
        )

    index, contact = next(
        ((i, c) for i, c in contacts if is_emergency(c)), contacts[0] if contacts else (0, {})
    )
    name = contact.get("name") or {}
    patient.emergency_contact_name = (
        name.get("text") or " ".join([*(name.get("given") or []), name.get("family") or ""]).strip()
    )
    words = [
        r.get("text") or next((c.get("display") for c in r.get("coding") or [] if c.get("code") != "C"), "")
        for r in contact.get("relationship") or []
    ]
    patient.emergency_contact_relationship = next((word for word in words if word), "")
    phone = next(
        (
            (i, t)
            for i, t in enumerate(contact.get("telecom") or [])
            if t.get("system") == "phone" and t.get("value")
        ),
        None,
    )
    path = f"Patient.contact[{index}].telecom[{phone[0]}].value" if phone else ""
    patient.emergency_contact_phone = phone_number(phone[1]["value"], path, problems) if phone else ""


def model_problems(patient: Patient) -> list[dict]:
    """kapcare's own rules for a patient (lengths, dates), each placed on its FHIR element."""
    # Blank fields the model would refuse are blank because the sender did not say: kept blank.
    exclude = ["clinic"] + [field for field in ("mrn", "preferred_language") if not getattr(patient, field)]
    try:
        patient.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [
            issue(
                f"{FIELD_PATHS.get(field, 'Patient')}: {message}",
                code="value",
                expression=FIELD_PATHS.get(field, "Patient"),
            )
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return []
