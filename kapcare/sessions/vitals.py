"""Whether a reading could be real. These are limits of measurement in a conscious adult, not
clinical thresholds: a value outside them is almost always a fault (a slipped cuff, a probe off a
finger). Impossible values are refused outright; implausible ones are kept only when the nurse
confirms them as real. Clinical thresholds come from the protocol (rules.py).

The reference gives no measurement limits for any vital sign, so each plausible range is a setting
of the clinic's protocol (`vitals.<sign>_plausible_low` and `_high`; for SpO2 only the low end, as
above 100% is impossible), shipped marked unverified with the numbers kapcare used before, and judged
only where the session, and so its protocol, is known.
"""

from decimal import ROUND_HALF_UP, Decimal

# Physically impossible whatever the patient's state.
SPO2_MAX = 100
BOILING = 100  # °C: no body is this hot (and kapcare keeps temperatures below it)
# (field, name, unit as shown): each judged against the protocol's `vitals.<field>_plausible_low`
# and `_high` (temperature has its own wording, in the unit taken). Outside them a reading in a
# patient who is awake and talking is a measurement fault unless the nurse at the bedside says
# otherwise.
PLAUSIBLE = [
    ("systolic", "systolic blood pressure", "mmHg"),
    ("diastolic", "diastolic blood pressure", "mmHg"),
    ("heart_rate", "heart rate", "/min"),
    ("spo2", "SpO2", "%"),
    ("resp_rate", "respiratory rate", "/min"),
]
FIELDS = ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate", "temperature_c")
CELSIUS, FAHRENHEIT = "Cel", "[degF]"
# Kept to a hundredth of a degree Celsius; given back in °F to a tenth (a thermometer's step).
HUNDREDTH, TENTH = Decimal("0.01"), Decimal("0.1")


def to_celsius(value, unit: str) -> Decimal:
    """A body temperature in UCUM Cel or [degF], in °C to a hundredth."""
    number = Decimal(str(value))
    if unit == FAHRENHEIT:
        number = (number - 32) * 5 / 9
    elif unit != CELSIUS:
        raise ValueError(f"A body temperature is in Cel or [degF], not {unit!r}.")
    return number.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def temperature_in(celsius: Decimal, unit: str) -> Decimal:
    """A kept temperature in the unit it was taken in: °C as kept, °F to a tenth."""
    if unit == FAHRENHEIT:
        return (Decimal(celsius) * 9 / 5 + 32).quantize(TENTH, rounding=ROUND_HALF_UP)
    return Decimal(celsius)


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
    temperature = values.get("temperature_c")
    if temperature is not None and temperature >= BOILING:
        problems.append(f"A body temperature of {temperature} °C cannot be real; check the unit.")
    for field in FIELDS:
        if values.get(field) is not None and values[field] < 0:
            problems.append(f"The {field.replace('_', ' ')} cannot be negative.")
    if all(values.get(field) is None for field in FIELDS):
        problems.append("Enter at least one vital sign.")
    return problems


def implausible(values: dict, rules: dict) -> list[str]:
    """Readings that are very unlikely in a patient who is awake: kept only if confirmed as real.
    `rules` is the session's protocol, which holds the plausible range of each sign."""
    problems = implausible_temperature(values.get("temperature_c"), rules)
    for field, name, unit in PLAUSIBLE:
        value = values.get(field)
        if value is None:
            continue
        low, high = plausible_range(rules, field)
        if low["value"] <= value <= high["value"]:
            continue
        paths = f"vitals.{field}_plausible_low" + (" and _high" if high is not SPO2_CEILING else "")
        flag = ", marked unverified" if low.get("unverified") or high.get("unverified") else ""
        problems.append(
            f"A {name} of {value} is outside {low['value']}–{high['value']} {unit}, the plausible range "
            f"the clinic's protocol sets ({paths}{flag}): unlikely in a patient who is awake and "
            "talking. Recheck the sensor, or confirm the reading as real."
        )
    return problems


# SpO2 has no protocol setting for its top: above 100% is impossible, refused by `impossible`.
SPO2_CEILING = {"value": SPO2_MAX, "unverified": False}


def plausible_range(rules: dict, field: str) -> tuple[dict, dict]:
    from kapcare.clinics.protocol import setting_entry

    low = setting_entry(rules, f"vitals.{field}_plausible_low")
    high = SPO2_CEILING if field == "spo2" else setting_entry(rules, f"vitals.{field}_plausible_high")
    return low, high


def implausible_temperature(celsius, rules: dict) -> list[str]:
    from kapcare.clinics.protocol import setting_entry

    if celsius is None:
        return []
    low = setting_entry(rules, "vitals.temperature_plausible_low")
    high = setting_entry(rules, "vitals.temperature_plausible_high")
    if low["value"] <= celsius <= high["value"]:
        return []
    unverified = " (the protocol's range, marked unverified)" if low.get("unverified") else ""
    return [
        f"A body temperature of {celsius} °C is outside {low['value']}–{high['value']} °C{unverified}, "
        "unlikely in a patient who is awake and talking: recheck the thermometer, or confirm the "
        "reading as real."
    ]
