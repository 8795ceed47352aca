"""The protocol's settings are looked up once per copy of a version's rules (rules.rule)."""

import copy

from kapcare.clinics.protocol import default_rules
from kapcare.sessions.rules import rule


def test_a_setting_is_read_once_per_copy_of_the_rules_and_each_copy_keeps_its_own_value():
    first = default_rules()
    second = copy.deepcopy(first)
    second["vitals"]["hold_systolic_above"]["value"] = 150
    path = "vitals.hold_systolic_above"
    assert rule(first, path) is rule(first, path)
    assert rule(second, path).value == 150
    assert rule(first, path).value != 150
