"""An OpenAPI 3 description of the API, generated from the registered mappers.

It describes what a client can send and what comes back; FHIR's own definitions (the resource
structures) are referred to, not repeated: request bodies are FHIR JSON objects of the named type,
with an example of a valid one for each type clients may write.
"""

from kapcare.fhir.registry import registry
from kapcare.fhir.search import supported

FHIR_JSON = "application/fhir+json"
ID_PATTERN = r"^[A-Za-z0-9\-\.]{1,64}$"


def openapi(base: str) -> dict:
    paths = {
        "/metadata": {"get": operation("The CapabilityStatement", "CapabilityStatement", public=True)},
        "/": {"post": operation("A transaction or batch Bundle", "Bundle", body="Bundle")},
        "/$import-bundle": {
            "post": operation(
                "Load a Bundle's supported entries; report what was skipped",
                "OperationOutcome",
                body="Bundle",
            )
        },
        "/$export": {"get": export_operation("Bulk export of every type")},
    }
    for mapper in registry().mappers.values():
        paths |= type_paths(mapper)
    paths["/Patient/$export"] = {"get": export_operation("Bulk export of the resources about patients")}
    paths["/Group/{id}/$export"] = {
        "get": export_operation("Bulk export of one group's patients", id_param=True)
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "kapcare FHIR R4 API",
            "version": "4.0.1",
            "description": "FHIR R4 JSON. Errors are OperationOutcome resources. GET /metadata says "
            "what each type supports.",
        },
        "servers": [{"url": base}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `kapcare apitoken`.",
                }
            },
            "schemas": schemas(),
        },
    }


def type_paths(mapper) -> dict:
    kind = mapper.resource_type
    search = operation(f"Search {kind}", "Bundle", params=search_params(mapper))
    instance = {"get": operation(f"Read {kind}", kind, id_param=True)}
    paths = {
        f"/{kind}": {"get": search},
        f"/{kind}/{{id}}": instance,
        f"/{kind}/_history": {
            "get": operation(f"History of every {kind}", "Bundle", params=history_params())
        },
        f"/{kind}/{{id}}/_history": {
            "get": operation(f"History of one {kind}", "Bundle", id_param=True, params=history_params())
        },
        f"/{kind}/{{id}}/_history/{{vid}}": {
            "get": operation(f"Read one version of a {kind}", kind, id_param=True, params=[path_param("vid")])
        },
    }
    if mapper.creatable:
        paths[f"/{kind}"]["post"] = operation(
            f"Create a {kind}", kind, body=kind, status="201", params=[prefer_return()]
        )
    if mapper.updatable:
        instance["put"] = operation(
            f"Update a {kind}",
            kind,
            id_param=True,
            body=kind,
            params=[header("If-Match", 'The version you read, as W/"n".'), prefer_return()],
        )
    return paths


def prefer_return() -> dict:
    return header(
        "Prefer",
        "What to answer with: the resource as kept (return=representation, the default), nothing "
        "(return=minimal), or an OperationOutcome saying what was done and naming each element "
        "sent that kapcare did not keep (return=OperationOutcome).",
        enum=["return=representation", "return=minimal", "return=OperationOutcome"],
    )


def operation(summary, returns, *, params=(), id_param=False, body=None, status="200", public=False) -> dict:
    parameters = ([path_param("id")] if id_param else []) + list(params)
    op = {
        "summary": summary,
        "parameters": parameters,
        "responses": {status: resource_response(returns), "default": resource_response("OperationOutcome")},
    }
    if body:
        op["requestBody"] = {"required": True, "content": {FHIR_JSON: {"schema": ref(body)}}}
        example = example_for(body)
        if example:
            op["requestBody"]["content"][FHIR_JSON]["example"] = example
    if public:
        op["security"] = []
    return op


def export_operation(summary, *, id_param=False) -> dict:
    op = operation(
        summary,
        "OperationOutcome",
        id_param=id_param,
        params=[
            header("Prefer", "respond-async (required)", required=True, enum=["respond-async"]),
            query("_type", "Resource types, separated by commas."),
            query("_since", "Only resources changed after this instant."),
        ],
    )
    op["responses"] = {
        "202": {"description": "Accepted; poll Content-Location."},
        "default": resource_response("OperationOutcome"),
    }
    return op


def search_params(mapper) -> list[dict]:
    params = [query(name, describe(mapper, name)) for name in supported(mapper)]
    params += [
        query("_count", "Results per page.", integer=True),
        query("_offset", "Results to skip.", integer=True),
        query("_sort", "Sort keys, separated by commas; '-' for descending: " + ", ".join(mapper.sorts)),
        query("_summary", "count: the total alone, no resources.", enum=["count", "false"]),
    ]
    if mapper.includes:
        params.append(query("_include", "Resources to include."))
    return params


def describe(mapper, name: str) -> str:
    param = mapper.param(name)
    return (
        param.description
        if param
        else {"_id": "Resource ids.", "_lastUpdated": "When it last changed."}[name]
    )


def history_params() -> list[dict]:
    return [
        query("_count", "Versions per page.", integer=True),
        query("_offset", "Versions to skip.", integer=True),
        query("_since", "Versions written at or after this instant."),
    ]


def path_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": ID_PATTERN}}


def query(name: str, description: str, *, integer: bool = False, enum=None) -> dict:
    schema = (
        {"type": "integer", "minimum": 0}
        if integer
        else {"type": "string", **({"enum": enum} if enum else {})}
    )
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def header(name: str, description: str, *, required: bool = False, enum=None) -> dict:
    schema = {"type": "string", **({"enum": enum} if enum else {})}
    return {"name": name, "in": "header", "required": required, "description": description, "schema": schema}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def resource_response(name: str) -> dict:
    return {"description": name, "content": {FHIR_JSON: {"schema": ref(name)}}}


def resource_schema(kind: str) -> dict:
    return {
        "type": "object",
        "required": ["resourceType"],
        "additionalProperties": True,
        "properties": {"resourceType": {"type": "string", "enum": [kind]}, "id": {"type": "string"}},
        "externalDocs": {"url": f"https://hl7.org/fhir/R4/{kind.lower()}.html"},
    }


def schemas() -> dict:
    kinds = set(registry().mappers) | {"Bundle", "OperationOutcome", "CapabilityStatement"}
    return {kind: resource_schema(kind) for kind in sorted(kinds)}


def example_for(kind: str) -> dict | None:
    mapper = registry().get(kind)
    return getattr(mapper, "example", None) if mapper else None
