"""The CapabilityStatement: what this server does, read from the registered mappers."""

from importlib.metadata import version

from django.utils import timezone

from kapcare.fhir.registry import registry
from kapcare.fhir.search import supported

BULK_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
EXPORT_LEVELS = {"Patient": "patient-export", "Group": "group-export"}


def capability_statement(base: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "kapcare",
        "kind": "instance",
        "software": {"name": "kapcare", "version": version("kapcare")},
        "implementation": {"description": "kapcare FHIR R4 API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "JSON only (application/fhir+json). Errors are OperationOutcomes. "
                "Search paging uses _count and _offset; _summary=count gives the total alone.",
                "security": {
                    "cors": False,
                    "description": "Bearer tokens a clinic issues with `kapcare apitoken`, one clinic each, "
                    "with SMART scopes (system/ and patient/, v1 read/write or v2 cruds). There is no "
                    "OAuth authorization endpoint or SMART launch.",
                },
                "resource": [resource(mapper) for mapper in registry().mappers.values()],
                "interaction": [
                    {"code": "transaction", "documentation": "Atomic: all entries or none."},
                    {"code": "batch", "documentation": "Each entry on its own."},
                ],
                "operation": [
                    {"name": "export", "definition": BULK_EXPORT},
                    {
                        "name": "import-bundle",
                        "definition": f"{base}/OperationDefinition/import-bundle",
                        "documentation": "POST a transaction or batch Bundle (for example a Synthea record): "
                        "loads the types kapcare keeps, atomically, and reports what it skipped, by type.",
                    },
                ],
            }
        ],
    }


def resource(mapper) -> dict:
    entry = {
        "type": mapper.resource_type,
        "documentation": " ".join(mapper.documentation.split()),
        "interaction": [{"code": code} for code in mapper.interactions()],
        "versioning": "versioned",
        "readHistory": True,
        "updateCreate": False,
        # Readings that go through ingest are kept once per identifier instead of If-None-Exist.
        "conditionalCreate": mapper.creatable and not mapper.ingests,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchInclude": [f"{mapper.resource_type}:{include.name}" for include in mapper.includes],
        "searchParam": [search_param(mapper, name) for name in supported(mapper)],
    }
    profiles = list(dict.fromkeys(part.profile for part in mapper.parts() if part.profile))
    if profiles:
        entry["supportedProfile"] = profiles
    if mapper.resource_type in EXPORT_LEVELS:
        entry["operation"] = [{"name": "export", "definition": BULK_EXPORT}]
    return {key: value for key, value in entry.items() if value != []}


def search_param(mapper, name: str) -> dict:
    if name == "_id":
        return {"name": "_id", "type": "token", "documentation": "The resource id."}
    if name == "_lastUpdated":
        return {"name": "_lastUpdated", "type": "date", "documentation": "When the record last changed."}
    param = mapper.param(name)
    return {"name": param.name, "type": param.type, "documentation": param.description}
