"""The protocol's rules as a dosing session reads them: each value with where it comes from.

Every threshold, schedule and limit a session applies comes from the clinic's Protocol version the
session records (kapcare/clinics/protocol.py); this module only names them, so an alert or a hold can
show the rule, the values and the source. Nothing clinical is decided here.
"""

from dataclasses import dataclass

from kapcare.clinics.protocol import setting_entry


@dataclass(frozen=True)
class Rule:
    """One protocol setting: its value, unit, source and whether the source is verified."""

    path: str
    value: object
    unit: str
    citation: str
    section: str
    unverified: bool
    set_at: str = ""  # where the protocol holds the value, when not at `path`

    @property
    def source(self) -> str:
        flag = " (unverified: the clinic sets this value)" if self.unverified else ""
        return f"{self.citation} (reference/clinical.md §{self.section}){flag}"

    @property
    def setting_label(self) -> str:
        """Where the clinic's protocol page lists the setting: `routes: lozenge · minimum_…`."""
        parts = (self.set_at or self.path).split(".")
        if parts[0] == "routes" and len(parts) == 3:
            return f"routes: {parts[1]} · {parts[2]}"
        return " · ".join(parts)


def rule(rules: dict, path: str) -> Rule:
    """The setting at a dotted path (`vitals.hold_systolic_above`), with its source. The protocol
    module finds it (and gives the shipped default for a setting newer than the version).

    A protocol version never changes once saved, and sessions on one version share one copy of
    its rules (share_protocols), so each setting is looked up once per copy: a live board reads
    some twenty settings for each of its sessions every five seconds."""
    if isinstance(rules, RuleBook):
        return rules(path)
    key = (id(rules), path)
    found = _read.get(key)
    if found is not None and found[0] is rules:  # holding `rules` keeps its id from being reused
        return found[1]
    if len(_read) > 4096:
        _read.clear()
    made = read_rule(rules, path)
    _read[key] = (rules, made)
    return made


_read: dict = {}


def read_rule(rules: dict, path: str) -> Rule:
    node = setting_entry(rules, path)
    source = node.get("source", {})
    return Rule(
        path=path,
        value=node["value"],
        unit=node.get("unit") or "",
        citation=source.get("citation", ""),
        section=str(source.get("section", "")),
        unverified=bool(node.get("unverified")),
        set_at=node.get("set_at", ""),
    )


class RuleBook:
    """A protocol version's rules, each read once: for judging many readings against one version
    (a batch of device readings) without looking every setting up again for each."""

    def __init__(self, rules: dict):
        self.rules, self.seen = rules, {}

    def __call__(self, path: str) -> Rule:
        if path not in self.seen:
            self.seen[path] = read_rule(self.rules, path)
        return self.seen[path]


def book(rules) -> RuleBook:
    return rules if isinstance(rules, RuleBook) else RuleBook(rules)


def value(rules: dict, path: str):
    return rule(rules, path).value


def minimum_monitoring(rules: dict, route: str, medication: str) -> Rule:
    """The least time from the dose to readiness to leave. Esketamine's is the Spravato label and
    REMS minimum of 2 hours (reference/clinical.md §3, §4.8); the reference verifies none for
    racemic ketamine, so each route's is the clinic's own setting, marked unverified."""
    if medication == "esketamine":
        return rule(rules, "discharge.minimum_minutes")
    return rule(rules, f"routes.{route}.minimum_monitoring_minutes")


def route_label(rules: dict, route: str) -> str:
    return rules.get("routes", {}).get(route, {}).get("label", route)


def route_choices(rules: dict) -> list[tuple[str, str]]:
    return [(key, entry.get("label", key)) for key, entry in rules.get("routes", {}).items()]


def vitals_due_minutes(rules: dict, until: int) -> list[int]:
    """Minutes after the dose at which vital signs are due: the protocol's interval and its fixed
    blood-pressure times (for example 40 minutes), up to `until`."""
    every = value(rules, "monitoring.vitals_every_minutes")
    fixed = value(rules, "monitoring.blood_pressure_at_minutes")
    times = set(range(0, until + 1, int(every))) | {int(m) for m in fixed if m <= until}
    return sorted(times)


def ratings_due_minutes(rules: dict) -> list[int]:
    return sorted(int(m) for m in value(rules, "ratings.at_minutes"))
