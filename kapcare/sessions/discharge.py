"""Readiness to leave: the protocol's discharge score and the conditions that must hold.

The two scales are from reference/instruments.md §6 (modified Aldrete 1995; modified PADSS,
Marshall & Chung); the protocol names which one the clinic uses and its minimum, if any.
"""

from kapcare.sessions.rules import rule

# Each scale: (item, label, {score: anchor}).
SCALES = {
    "modified_aldrete": (
        "Modified Aldrete",
        [
            ("activity", "Activity", {2: "Moves 4 extremities", 1: "Moves 2 extremities", 0: "Moves none"}),
            (
                "respiration",
                "Respiration",
                {2: "Breathes deeply, coughs freely", 1: "Dyspnoea or shallow breathing", 0: "Apnoeic"},
            ),
            (
                "circulation",
                "Circulation (BP against pre-dose)",
                {2: "Within ±20 mmHg", 1: "±20–50 mmHg", 0: "Beyond ±50 mmHg"},
            ),
            (
                "consciousness",
                "Consciousness",
                {2: "Fully awake", 1: "Arousable on calling", 0: "Not responding"},
            ),
            (
                "spo2",
                "SpO2",
                {2: "Above 92% on room air", 1: "Needs O2 to stay above 90%", 0: "Below 90% even with O2"},
            ),
        ],
    ),
    "padss": (
        "Modified PADSS",
        [
            (
                "vital_signs",
                "Vital signs",
                {2: "Within 20% of pre-dose", 1: "20–40% of pre-dose", 0: "More than 40%"},
            ),
            ("ambulation", "Ambulation", {2: "Steady gait", 1: "With help", 0: "None, or dizzy"}),
            ("nausea", "Nausea and vomiting", {2: "Minimal", 1: "Moderate, treated", 0: "Severe"}),
            ("pain", "Pain", {2: "Minimal", 1: "Moderate, treated", 0: "Severe"}),
            ("bleeding", "Bleeding", {2: "Minimal", 1: "Moderate", 0: "Severe"}),
        ],
    ),
}
SCALE_SOURCE = "reference/instruments.md §6 (modified Aldrete; modified PADSS, Marshall & Chung)"


def scale_for(rules: dict) -> tuple[str, str, list]:
    key = rule(rules, "discharge.score_scale").value
    label, items = SCALES[key]
    return key, label, items


def score(rules: dict, items: dict) -> dict:
    """The readiness score from item scores, refusing any item missing or out of range."""
    key, label, scale_items = scale_for(rules)
    scores = {}
    for name, item_label, anchors in scale_items:
        value = items.get(name)
        if value is None or int(value) not in anchors:
            raise ValueError(f"Score {item_label.lower()} (0, 1 or 2).")
        scores[name] = int(value)
    return {"scale": key, "label": label, "items": scores, "total": sum(scores.values())}


def readiness_problems(session, result: dict, *, now) -> list[str]:
    """Why the patient may not yet be ready to leave; [] when every condition holds."""
    from kapcare.sessions.monitor import latest_vitals, vitals_out_of_limits

    rules = session.rules
    problems = []
    if session.state != "monitoring":
        problems.append("The session is not in monitoring.")
    minimum = session.minimum_monitoring
    elapsed = session.minutes_since_dose(now)
    if elapsed is None or elapsed < minimum.value:
        where = f"; set in the clinic's protocol as {minimum.setting_label}" if minimum.unverified else ""
        problems.append(
            f"Monitoring has lasted {elapsed or 0} minutes; the protocol asks for at least {minimum.value} "
            f"({minimum.source}{where})."
        )
    threshold = rule(rules, "discharge.score_minimum")
    if threshold.value is not None and result["total"] < threshold.value:
        problems.append(
            f"{result['label']} is {result['total']}; the protocol asks for at least {threshold.value}."
        )
    latest = latest_vitals(session)
    if latest is None:
        problems.append("No vital signs are recorded after the dose.")
    else:
        problems += [
            f"Latest vital signs not back within limits: {text}."
            for text in vitals_out_of_limits(rules, latest)
        ]
    if session.alerts.filter(acknowledged_at__isnull=True).exists():
        problems.append("Acknowledge every open alert first.")
    return problems
