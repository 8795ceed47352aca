"""Demo data for the clinic itself: two sites with rooms, and staff of every role."""

from kapcare.clinics.models import Membership, Room, Site, User
from kapcare.clinics.roles import Role

SITES = [
    (
        "Back Bay",
        "220 Newbury Street, Suite 4\nBoston, MA 02116",
        "+1 617 555 0141",
        [
            ("Willow", Room.Kind.DOSING),
            ("Cedar", Room.Kind.DOSING),
            ("Birch", Room.Kind.DOSING),
            ("Therapy 1", Room.Kind.THERAPY),
            ("Exam", Room.Kind.EXAM),
        ],
    ),
    (
        "Cambridge",
        "88 Hampshire Street\nCambridge, MA 02139",
        "+1 617 555 0142",
        [
            ("Maple", Room.Kind.DOSING),
            ("Aspen", Room.Kind.DOSING),
            ("Therapy 2", Room.Kind.THERAPY),
        ],
    ),
]

# Synthetic staff: names generated for the demo, no real people.
STAFF = [
    ("prescriber", "Amara Osei", "MD", Role.PRESCRIBER),
    ("np", "Daniel Reyes", "PMHNP", Role.PRESCRIBER),
    ("nurse", "Grace Lindqvist", "RN", Role.NURSE),
    ("nurse2", "Tomas Varga", "RN", Role.NURSE),
    ("therapist", "Priya Raman", "LICSW", Role.THERAPIST),
    ("therapist2", "Jonah Feld", "PsyD", Role.THERAPIST),
    ("intake", "Rosa Delgado", "", Role.INTAKE),
    ("billing", "Kenji Mori", "", Role.BILLING),
    ("admin", "Helen Achterberg", "", Role.ADMIN),
]


def load(demo) -> None:
    clinic = demo.clinic
    for name, address, phone, rooms in SITES:
        site, _ = Site.objects.get_or_create(
            clinic=clinic,
            name=name,
            defaults={"address": address, "phone": phone, "time_zone": clinic.time_zone},
        )
        for room_name, kind in rooms:
            Room.objects.get_or_create(site=site, name=room_name, defaults={"kind": kind})
    for key, full_name, credentials, role in STAFF:
        email = f"{key}@{clinic.slug}.kapcare.example"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, demo.password, full_name=full_name, credentials=credentials
        )
        Membership.objects.get_or_create(user=user, clinic=clinic, defaults={"role": role})
        demo.staff[key] = user
    demo.say(
        f"{clinic.sites.count()} sites, {Room.objects.filter(site__clinic=clinic).count()} rooms, "
        f"{clinic.memberships.count()} staff"
    )
