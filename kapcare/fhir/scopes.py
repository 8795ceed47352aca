"""SMART-style scopes: which interactions a token may make on which resource types.

Both SMART v1 (`system/Patient.read`, `.write`, `.*`) and v2 (`system/Patient.rs`, `.cruds`) are
read. `system/` scopes reach every record of the token's clinic; `patient/` scopes reach only the
records about the patient the token was issued for. `user/` scopes need a person signed in through
a SMART launch, which kapcare does not offer, so they are refused when a token is issued.
"""

import re
from dataclasses import dataclass

# The letter each interaction needs, in SMART v2 terms.
LETTER = {
    "read": "r",
    "vread": "r",
    "history": "r",
    "search": "s",
    "create": "c",
    "update": "u",
    "delete": "d",
    "export": "r",
}
V1 = {"read": "rs", "write": "cud", "*": "cruds"}
SCOPE = re.compile(r"^(system|patient|user)/(\*|[A-Z][A-Za-z]+)\.(read|write|\*|c?r?u?d?s?)$")


class ScopeError(ValueError):
    pass


@dataclass(frozen=True)
class Scope:
    context: str
    resource_type: str
    letters: str

    def allows(self, resource_type: str, interaction: str) -> bool:
        return self.resource_type in ("*", resource_type) and LETTER[interaction] in self.letters


def parse_scope(text: str) -> Scope:
    match = SCOPE.match(text)
    if not match or not match.group(3):
        raise ScopeError(
            f"{text!r} is not a scope: write context/Type.access, for example system/*.read, "
            "system/Patient.write or patient/*.rs."
        )
    context, resource_type, access = match.groups()
    return Scope(context, resource_type, V1.get(access, access))


def parse_scopes(text: str, *, known_types=None) -> list[Scope]:
    scopes = [parse_scope(part) for part in text.split()]
    if not scopes:
        raise ScopeError("Give at least one scope, for example system/*.read.")
    for scope in scopes:
        if scope.context == "user":
            raise ScopeError(f"{scope.context}/ scopes need a SMART launch, which kapcare does not offer.")
        if known_types is not None and scope.resource_type not in ("*", *known_types):
            raise ScopeError(f"kapcare's FHIR API does not serve {scope.resource_type}.")
    return scopes


def reach(scopes: list[Scope], resource_type: str, interaction: str) -> str | None:
    """'system' if a system scope allows it, 'patient' if only a patient scope does, else None."""
    contexts = {scope.context for scope in scopes if scope.allows(resource_type, interaction)}
    if "system" in contexts:
        return "system"
    return "patient" if "patient" in contexts else None
