"""The resource types the API serves: one mapper per type, listed in mappers/__init__.py.

A mapper says how one kapcare model looks as a FHIR resource (`to_resource`), how an incoming
resource becomes that model (`from_resource`, only for types clients may write), and which search
parameters, sort keys and includes it supports. Everything else (interactions, versions, audit,
search, bundles, bulk export, the CapabilityStatement and the OpenAPI description) is generic
and reads the mapper.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db.models import Q
from django.db.models.lookups import GreaterThan


def patient_filter(field: str) -> Callable:
    """A patient reference search (Patient/{id} or {id}) on the record's field that holds the
    patient; anything but a number matches nothing."""

    def build(value: str, modifier: str, ctx) -> Q:
        target = value.removeprefix("Patient/")
        return Q(**{field: target}) if target.isdigit() else Q(pk__in=[])

    return build


@dataclass(frozen=True)
class SearchParam:
    """One search parameter. `fields` for the generic types; `build` for anything more."""

    name: str
    type: str  # string | token | date | reference
    description: str
    fields: tuple[str, ...] = ()
    build: Callable[..., Q] | None = None  # build(value, modifier, ctx) -> Q
    # A date parameter whose stored value is not one plain date or date-time field: how it reads
    # as a range (a kapcare.fhir.search DateTarget).
    target: Any = None


@dataclass(frozen=True)
class Include:
    """`_include=Source:name` brings in the resource this field refers to."""

    name: str
    target: str
    field: str  # "" where this part of a composite type has nothing to include by that name
    prefix: str = ""  # put before the field's value to make the target's resource id


class Mapper:
    resource_type: ClassVar[str]
    fhir_model: ClassVar[type]
    profile: ClassVar[str] = ""
    documentation: ClassVar[str] = ""
    # Which writes clients may make; kapcare makes the rest of its records itself.
    creatable: ClassVar[bool] = False
    updatable: ClassVar[bool] = False
    # Whether a create may give back a record kept before, replaced (an import of the same name).
    create_replaces: ClassVar[bool] = False
    # Whether creates go through the app's own ingest (kapcare.fhir.ingest) rather than `create`.
    ingests: ClassVar[bool] = False
    # Other resource types an import keeps as this one (a MedicationRequest as a medication
    # recorded elsewhere), each with the model that validates it; `create` is given them as sent.
    converts: ClassVar[dict[str, type]] = {}
    # The model field that says when the record last changed, for _lastUpdated and _since; or an
    # expression over fields, with `last_updated` giving the same for a record.
    last_updated_field: ClassVar[Any] = None
    # How the record points at its patient, for patient/ scopes and Patient-level export.
    patient_field: ClassVar[str | None] = None
    search_params: ClassVar[tuple[SearchParam, ...]] = ()
    sorts: ClassVar[dict[str, str]] = {}
    includes: ClassVar[tuple[Include, ...]] = ()
    common_params: ClassVar[tuple[str, ...]] = ("_id",)

    def queryset(self, clinic_id: int):
        raise NotImplementedError

    def to_resource(self, obj) -> dict[str, Any]:
        raise NotImplementedError

    def from_resource(self, resource: dict, *, clinic, current_obj=None):
        """An unsaved model instance from a validated resource; raises FhirError (422) otherwise."""
        raise NotImplementedError

    def save(self, obj) -> None:
        obj.save()

    def not_kept(self, sent: dict, stored: dict) -> list[dict]:
        """What of the resource sent was not kept (kept.py), as OperationOutcome issues."""
        from kapcare.fhir import kept

        return kept.warnings(sent, stored)

    def created_notes(self, obj) -> list[dict]:
        """Warnings about a record just created that the client should know of (OperationOutcome
        issues), beyond what of it was not kept (kept.py)."""
        return []

    def create(self, resource: dict, *, caller):
        """Store a new record from a validated resource; a mapper whose app has its own way in
        (importing a questionnaire, scoring a response) overrides this to call it."""
        obj = self.from_resource(resource, clinic=caller.clinic)
        self.save(obj)
        return obj

    def id_for(self, pk) -> str:
        """The resource id of the record with this primary key."""
        return str(pk)

    def pk_of(self, resource_id: str) -> str | None:
        """The primary key a resource id stands for, or None if it cannot be one of ours."""
        return resource_id if resource_id.isdigit() else None

    def id_expression(self):
        """`id_for` in SQL: the resource id of each record, for queries that match ids in the
        database (the type-level history). Every id here is the primary key between fixed text."""
        from django.db.models import CharField, Value
        from django.db.models.functions import Cast, Concat

        prefix, _, suffix = self.id_for("\x00").partition("\x00")
        return Concat(Value(prefix), Cast("pk", CharField()), Value(suffix), output_field=CharField())

    def patient_id(self, obj) -> int | None:
        return follow(obj, self.patient_field) if self.patient_field else None

    def last_updated(self, obj):
        return follow(obj, self.last_updated_field) if self.last_updated_field else None

    def updated_after(self, moment) -> Q:
        """The records changed after the moment (bulk export's _since)."""
        field = self.last_updated_field
        return Q(**{f"{field}__gt": moment}) if isinstance(field, str) else Q(GreaterThan(field, moment))

    def interactions(self) -> list[str]:
        kinds = ["read", "vread", "history-instance", "history-type", "search-type"]
        return kinds + ["create"] * self.creatable + ["update"] * self.updatable

    def param(self, name: str) -> SearchParam | None:
        return next((param for param in self.search_params if param.name == name), None)

    def parts(self) -> list["Mapper"]:
        """The mappers that hold this type's records: itself, or a composite's parts."""
        return [self]

    def part_for(self, resource_id: str) -> "Mapper | None":
        """The mapper whose records this resource id can name, or None."""
        return self if self.pk_of(resource_id) is not None else None


class CompositeMapper(Mapper):
    """One resource type kept in several kapcare models, each served by one part (a Mapper whose
    ids carry a prefix no other part uses). Reads go to the part the id names; searches, history
    and export walk the parts in order. The composite's own search parameters, sorts and includes
    are those every part understands."""

    members: ClassVar[tuple[Mapper, ...]] = ()

    def parts(self) -> list[Mapper]:
        return list(self.members)

    def part_for(self, resource_id: str) -> Mapper | None:
        return next((part for part in self.members if part.pk_of(resource_id) is not None), None)

    def queryset(self, clinic_id: int):
        raise TypeError(f"{self.resource_type} is kept in several models; use its parts().")

    def pk_of(self, resource_id: str) -> str | None:
        part = self.part_for(resource_id)
        return part.pk_of(resource_id) if part else None


class CompositeWithWrites(CompositeMapper):
    """A composite type clients may create records of: those its part `writes` keeps (conditions
    or medications recorded elsewhere, beside the evaluation's own). A create, If-None-Exist
    before it, and what is said of one record go to that part; searches still walk every part."""

    creatable = True
    writes: ClassVar[Mapper]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.search_params, cls.sorts, cls.includes = (
            cls.writes.search_params,
            cls.writes.sorts,
            cls.writes.includes,
        )

    def queryset(self, clinic_id):
        return self.writes.queryset(clinic_id)

    def create(self, resource: dict, *, caller):
        return self.writes.create(resource, caller=caller)

    def to_resource(self, obj) -> dict:
        return self.writes.to_resource(obj)

    def id_for(self, pk) -> str:
        return self.writes.id_for(pk)

    def patient_id(self, obj):
        return self.writes.patient_id(obj)

    def last_updated(self, obj):
        return self.writes.last_updated(obj)


def follow(obj, path: str):
    """The value at a query path such as evaluation__patient_id, read from the object."""
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


@dataclass
class Registry:
    mappers: dict[str, Mapper] = field(default_factory=dict)

    def register(self, mapper: Mapper) -> Mapper:
        self.mappers[mapper.resource_type] = mapper
        return mapper

    def get(self, resource_type: str) -> Mapper | None:
        return self.mappers.get(resource_type)

    def types(self) -> list[str]:
        return sorted(self.mappers)


def registry() -> Registry:
    from kapcare.fhir.mappers import REGISTRY

    return REGISTRY
