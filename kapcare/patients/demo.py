"""Demo patients: about forty synthetic people spread over every course state; one of the active
courses is of esketamine (Spravato) for treatment-resistant depression.

Names, dates and numbers are generated; phone numbers use the 555-01xx range reserved for fiction.
"""

import random
from datetime import date, timedelta

from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.patients.models import Condition, Course, CourseState, CourseTransition, Patient, Sex

FIRST = {
    Sex.FEMALE: [
        "Ava",
        "Maya",
        "Sofia",
        "Leah",
        "Nadia",
        "Chloe",
        "Imani",
        "Elena",
        "Hana",
        "Zoe",
        "Priya",
        "Grace",
        "Lucia",
        "Aisha",
        "Naomi",
        "Ingrid",
        "Mei",
        "Rosa",
        "Tara",
        "Yara",
    ],
    Sex.MALE: [
        "Liam",
        "Noah",
        "Mateo",
        "Ethan",
        "Omar",
        "Caleb",
        "Arjun",
        "Felix",
        "Isaac",
        "Jamal",
        "Marcus",
        "Owen",
        "Rafael",
        "Samuel",
        "Theo",
        "Victor",
        "Wei",
        "Andre",
        "Diego",
        "Kofi",
    ],
}
LAST = [
    "Abernathy",
    "Bianchi",
    "Castellanos",
    "Duarte",
    "Eriksen",
    "Fairbanks",
    "Gallagher",
    "Haddad",
    "Ibarra",
    "Jablonski",
    "Kowalczyk",
    "Lindgren",
    "Mahoney",
    "Nakamura",
    "Okonkwo",
    "Pellegrini",
    "Quintero",
    "Rasmussen",
    "Sandoval",
    "Thibodeaux",
    "Underwood",
    "Valdivia",
    "Whitfield",
    "Yamada",
    "Zielinski",
    "Acosta",
    "Brennan",
    "Chowdhury",
    "Delacroix",
    "Esposito",
]
NICKNAMES = {
    "Victor": "Vic",
    "Samuel": "Sam",
    "Elena": "Ellie",
    "Isaac": "Zac",
    "Rafael": "Rafa",
    "Sofia": "Sofi",
    "Theo": "Teddy",
    "Naomi": "Nomi",
    "Marcus": "Marc",
    "Andre": "Dre",
}
CITIES = [
    ("Boston", "02118"),
    ("Cambridge", "02139"),
    ("Somerville", "02143"),
    ("Brookline", "02446"),
    ("Quincy", "02169"),
    ("Newton", "02458"),
    ("Medford", "02155"),
    ("Malden", "02148"),
]
STREETS = [
    "Elm Street",
    "Harvard Avenue",
    "Beacon Street",
    "Oak Terrace",
    "Prospect Hill Road",
    "Centre Street",
    "Washington Street",
    "Linden Avenue",
]

# How a course got to each state, and how many demo patients are there.
PATHS = {
    CourseState.EVALUATING: ([], 6),
    CourseState.NEEDS_CLEARANCE: (["needs_clearance"], 3),
    CourseState.ELIGIBLE: (["eligible"], 4),
    CourseState.INELIGIBLE: (["ineligible"], 3),
    # Eleven here, and a twelfth of esketamine (Spravato) below: spravato_course().
    CourseState.ACTIVE: (["eligible", "active"], 11),
    CourseState.PAUSED: (["eligible", "active", "paused"], 3),
    CourseState.COMPLETED: (["eligible", "active", "completed"], 6),
    CourseState.WITHDRAWN: (["eligible", "active", "withdrawn"], 3),
}
REASONS = {
    "ineligible": "Active psychotic symptoms on evaluation; referred back to the treating psychiatrist.",
    "needs_clearance": "Blood pressure 152/96 at evaluation; asked the primary care physician for clearance.",
    "paused": "Patient travelling for three weeks; course resumes on return.",
    "withdrawn": "Patient chose to stop after moving out of state.",
}
CONDITIONS = [
    Condition.TRD,
    Condition.DEPRESSION,
    Condition.PTSD,
    Condition.ANXIETY,
    Condition.OCD,
    Condition.SUD,
]


def load(demo) -> None:
    clinic = demo.clinic
    if Patient.objects.filter(clinic=clinic).exists():
        return
    rng, staff = demo.rng, demo.staff
    sites = list(clinic.sites.order_by("name"))
    prescribers = [staff["prescriber"], staff["np"]]
    therapists = [staff["therapist"], staff["therapist2"]]
    now = timezone.now()
    number = 0
    for state, (path, count) in PATHS.items():
        for _ in range(count):
            number += 1
            patient = make_patient(clinic, rng, number)
            opened = now - timedelta(days=rng.randint(10 + 12 * len(path), 30 + 25 * len(path)))
            if state == CourseState.COMPLETED:
                # Long enough ago for a whole course of weekly sessions before it was completed.
                opened = now - timedelta(days=rng.randint(80, 130))
            course = Course.objects.create(
                clinic=clinic,
                patient=patient,
                site=rng.choice(sites),
                condition=rng.choice(CONDITIONS),
                state=state,
                prescriber=rng.choice(prescribers),
                therapist=rng.choice(therapists),
                opened_at=opened,
                opened_by=staff["intake"],
                state_changed_at=opened,
            )
            add_history(course, path, opened, now, rng)
    number += 1
    spravato_course(clinic, sites[0], staff, number, now)
    record(None, "create", clinic=clinic, actor="kapcare demo", detail={"demo patients": number})
    demo.say(f"{number} patients with courses in every state, one of them of esketamine (Spravato)")


# The course of esketamine (Spravato): evaluation/demo.py signs it an esketamine plan and
# sessions/demo.py gives it its sessions; they know it by the reason it was started for.
SPRAVATO_START_REASON = (
    "Esketamine (Spravato) nasal spray for treatment-resistant depression; the patient is enrolled "
    "in the SPRAVATO REMS."
)


def spravato_course(clinic, site, staff, number: int, now) -> Course:
    """Started four days ago, so its first session was three days ago (sessions/demo.py). The
    patient is drawn from a random source of its own, so the other demo patients stay as they were."""
    patient = make_patient(clinic, random.Random("spravato"), number)
    opened = now - timedelta(days=30)
    course = Course.objects.create(
        clinic=clinic,
        patient=patient,
        site=site,
        condition=Condition.TRD,
        state=CourseState.ACTIVE,
        prescriber=staff["prescriber"],
        therapist=staff["therapist"],
        opened_at=opened,
        opened_by=staff["intake"],
        state_changed_at=opened,
    )
    eligible, started = now - timedelta(days=16), now - timedelta(days=4)
    CourseTransition.objects.bulk_create(
        [
            CourseTransition(
                course=course,
                from_state=CourseState.EVALUATING,
                to_state=CourseState.ELIGIBLE,
                by=staff["prescriber"],
                at=eligible,
            ),
            CourseTransition(
                course=course,
                from_state=CourseState.ELIGIBLE,
                to_state=CourseState.ACTIVE,
                by=staff["prescriber"],
                at=started,
                reason=SPRAVATO_START_REASON,
            ),
        ]
    )
    Course.objects.filter(pk=course.pk).update(state_changed_at=started)
    return course


def make_patient(clinic, rng, number: int) -> Patient:
    sex = rng.choice([Sex.FEMALE, Sex.MALE, Sex.FEMALE])
    first, last = rng.choice(FIRST[sex]), rng.choice(LAST)
    city, postal = rng.choice(CITIES)
    born = date(1958, 1, 1) + timedelta(days=rng.randint(0, 365 * 45))
    gender, pronouns = ("Woman", "she/her") if sex == Sex.FEMALE else ("Man", "he/him")
    if number % 13 == 0:
        gender, pronouns = "Non-binary", "they/them"
    return Patient.objects.create(
        clinic=clinic,
        legal_first_name=first,
        legal_last_name=last,
        preferred_name=NICKNAMES.get(first, "") if number % 4 == 0 else "",
        date_of_birth=born,
        sex_at_birth=sex,
        gender_identity=gender,
        pronouns=pronouns,
        phone=f"+1617555{100 + number % 100:04d}",
        email=f"{first}.{last}{number}@example.com".lower(),
        address_line=f"{rng.randint(3, 480)} {rng.choice(STREETS)}",
        city=city,
        state="MA",
        postal_code=postal,
        preferred_language="Spanish" if number % 11 == 0 else "English",
        emergency_contact_name=f"{rng.choice(FIRST[Sex.FEMALE] + FIRST[Sex.MALE])} {last}",
        emergency_contact_relationship=rng.choice(["Spouse", "Partner", "Parent", "Sibling", "Friend"]),
        emergency_contact_phone=f"+1508555{100 + number % 100:04d}",
    )


def add_history(course, path, opened, now, rng) -> None:
    at, previous = opened, CourseState.EVALUATING
    by = course.prescriber
    for to in path:
        # A course is completed once its sessions are done: six weeks of weekly ones, or less.
        days = rng.randint(40, 50) if to == CourseState.COMPLETED else rng.randint(7, 21)
        at = min(at + timedelta(days=days), now - timedelta(hours=1))
        CourseTransition.objects.create(
            course=course,
            from_state=previous,
            to_state=to,
            by=by,
            at=at,
            reason=REASONS.get(to, ""),
        )
        previous = to
    Course.objects.filter(pk=course.pk).update(state_changed_at=at)
