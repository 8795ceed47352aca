"""Whether a reading could be real. These are limits of measurement in a conscious adult, not
clinical thresholds: a value outside them is almost always a fault (a slipped cuff, a probe off a
finger). Impossible values are refused outright; implausible ones are kept only when the nurse
confirms them as real. Clinical thresholds come from the protocol (rules.py).
"""

# Physically impossible whatever the patient's state.
SPO2_MAX = 100
# (field, lowest, highest, name): outside this a reading in a patient who is awake and talking is a
# measurement fault unless the nurse at the bedside says otherwise.
PLAUSIBLE = [
    ("systolic", 60, 260, "systolic blood pressure"),
    ("diastolic", 30, 160, "diastolic blood pressure"),
    ("heart_rate", 30, 220, "heart rate"),
    ("spo2", 60, 100, "SpO2"),
    ("resp_rate", 4, 50, "respiratory rate"),
]
FIELDS = ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate")


def impossible(values: dict) -> list[str]:
    """Readings that cannot be real: refused, whoever enters them."""
    problems = []
    systolic, diastolic, spo2 = values.get("systolic"), values.get("diastolic"), values.get("spo2")
    if spo2 is not None and spo2 > SPO2_MAX:
        problems.append(f"SpO2 of {spo2}% is impossible: saturation cannot exceed {SPO2_MAX}%.")
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        problems.append(
            f"A diastolic of {diastolic} at or above the systolic of {systolic} cannot be right; "
            "check the cuff and take it again."
        )
    if (systolic is None) != (diastolic is None):
        problems.append("Give blood pressure as both systolic and diastolic.")
    for field in FIELDS:
        if values.get(field) is not None and values[field] < 0:
            problems.append(f"The {field.replace('_', ' ')} cannot be negative.")
    if all(values.get(field) is None for field in FIELDS):
        problems.append("Enter at least one vital sign.")
    return problems


def implausible(values: dict) -> list[str]:
    """Readings that are very unlikely in a patient who is awake: kept only if confirmed as real."""
    problems = []
    for field, low, high, name in PLAUSIBLE:
        value = values.get(field)
        if value is not None and not low <= value <= high:
            problems.append(
                f"A {name} of {value} is outside {low}–{high}, unlikely in a patient who is awake and "
                "talking: recheck the sensor, or confirm the reading as real."
            )
    return problems
