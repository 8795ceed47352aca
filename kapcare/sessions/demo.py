"""Demo dosing sessions: complete, signed records for courses under way or finished, three
sessions in progress today at the demo sites so the live board has something to show, and a
course gone home as its signed plan allows: one session in progress at home, one booked at home.

All readings are synthetic: a blood pressure that rises to a peak about 40 minutes after the dose
and settles (reference/clinical.md §3), with noise. Past records are written as the pages would
leave them; the in-progress ones are then fed by `kapcare simulate-monitor`.
"""

import math
import zoneinfo
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kapcare.audit.trail import record, record_each
from kapcare.clinics.models import Protocol
from kapcare.evaluation.models import Evaluation
from kapcare.patients.models import CourseState
from kapcare.patients.preparation import PreparationConfirmation, checklist_items
from kapcare.sessions.dissociation import SCALES
from kapcare.sessions.models import (
    CheckKind,
    DosingSession,
    PreCheck,
    Rating,
    RemsForm,
    SessionNote,
    SessionTransition,
    Source,
    State,
    VitalSign,
    dose,
)
from kapcare.sessions.models.dose import DoseOrder, iv_equivalent
from kapcare.sessions.prechecks import pregnancy_relevant
from kapcare.sessions.rules import value, vitals_due_minutes

PRODUCTS = {
    "iv": "Ketamine HCl 50 mg/mL, 10 mL vial",
    "im": "Ketamine HCl 50 mg/mL, 10 mL vial",
    "lozenge": "Ketamine 100 mg rapid-dissolve tablet",
    "intranasal": "Ketamine HCl nasal spray (compounded)",
}
SPRAVATO = "Spravato 28 mg nasal device"
PASSED = {
    CheckKind.IDENTITY: "Checked against photo ID and date of birth.",
    CheckKind.CONSENT: "KAP consent signed.",
    CheckKind.EXCLUSION: "No new condition reported since the evaluation.",
    CheckKind.MEDICATIONS: "No change since the last session.",
    CheckKind.SUICIDE_RISK: "No open suicide-risk or safety flags.",
    CheckKind.PREGNANCY: "Test negative today.",
    CheckKind.VITALS: "Within the protocol's limits.",
    CheckKind.WEIGHT: "Weighed today.",
}
AT_HOME_PASSED = {
    CheckKind.AT_HOME_CONSENT: "At-home sessions addendum signed.",
}
FINISHED = (State.DISCHARGED, State.ABORTED)
NOTES = [
    "Eyes closed, listening to the music; calm.",
    "Describes floating; reassured; settled.",
    "Brief nausea, resolved without treatment.",
    "Talking with the therapist about the experience; oriented.",
]


ENDED = [CourseState.COMPLETED, CourseState.PAUSED, CourseState.WITHDRAWN]


def load(demo) -> None:
    clinic = demo.clinic
    if DosingSession.objects.filter(clinic=clinic).exists():
        return
    from kapcare.evaluation.models import TreatmentPlan

    staff, rng = demo.staff, demo.rng
    protocol = Protocol.active_for(clinic)
    sites = list(clinic.sites.order_by("name"))
    for site in sites:
        for product in {*PRODUCTS.values(), SPRAVATO}:
            dose.receive(
                site,
                product,
                5000,
                by=staff["nurse"],
                lot=f"DEMO-{site.pk}-{len(product)}",
                note="Opening stock",
            )
    plans = list(
        TreatmentPlan.objects.filter(clinic=clinic)
        .select_related("course__patient", "course__site")
        .order_by("pk")
    )
    # The course of esketamine (Spravato) has its own example below; the rest are racemic ketamine.
    racemic = [plan for plan in plans if not plan.is_esketamine]
    now = timezone.now()
    past = 0
    for plan in racemic:
        course = plan.course
        started = course.transitions.filter(to_state=CourseState.ACTIVE).order_by("at").first()
        if started is None:
            continue
        ended = course.transitions.filter(to_state__in=ENDED, at__gt=started.at).order_by("at").last()
        # Sessions happen while the course is active: before it was completed, paused or withdrawn.
        until = ended.at - timedelta(hours=12) if ended else now - timedelta(hours=6)
        if course.state == CourseState.COMPLETED:
            count = plan.dosing_sessions
        elif course.state in (CourseState.PAUSED, CourseState.WITHDRAWN):
            count = rng.randint(1, plan.dosing_sessions - 2)  # stopped part-way through the plan
        else:
            # A course under way has at least one session of its plan still to come: today's,
            # or one booked ahead.
            count = plan.dosing_sessions - 1
        for n in range(count):
            at = started.at + timedelta(days=1 + n * plan.cadence_days, hours=rng.randint(0, 3))
            if at > until:
                break
            past_session(course, plan, protocol, at, staff, rng)
            past += 1
    home_readings = readings_from_home(racemic, rng)
    rems = spravato_example(plans, protocol, staff, rng, now)
    home_live, home_booked = at_home(racemic, protocol, staff, rng, now)
    live = in_progress(racemic, staff, rng, now)
    booked = book_next(plans, staff, now)
    record(
        None,
        "create",
        clinic=clinic,
        actor="kapcare demo",
        detail={"demo dosing sessions": past + live + rems + booked + home_live + home_booked},
    )
    demo.say(
        f"{past} signed dosing sessions, {rems} Spravato session with a REMS form due, "
        f"{live + home_live} sessions in progress today ({home_live} at home; run `kapcare "
        f"simulate-monitor`), {booked + home_booked} booked ahead ({home_booked} at home), "
        f"{home_readings} blood pressures from a patient's home monitor"
    )


def readings_from_home(plans, rng) -> int:
    """A patient's home blood-pressure readings from the weeks before their course began, as an
    integration sends them through the FHIR API: kept outside any session, on their chart."""
    for plan in plans:
        started = plan.course.transitions.filter(to_state=CourseState.ACTIVE).order_by("at").first()
        if started is not None:
            break
    else:
        return 0
    patient = plan.course.patient
    readings = [
        VitalSign(
            clinic_id=patient.clinic_id,
            patient=patient,
            session=None,
            taken_at=started.at - timedelta(days=7 * week + 2, hours=rng.randint(0, 4)),
            systolic=rng.randint(124, 138),
            diastolic=rng.randint(78, 88),
            heart_rate=rng.randint(66, 80),
            source=Source.DEVICE,
            device="Home blood pressure monitor",
            identifier=f"demo-home-bp-{patient.pk}-{week}",
        )
        for week in range(4)
    ]
    VitalSign.objects.bulk_create(readings)
    record_each(
        None,
        "create",
        [(readings[0], {"vital_signs_outside_a_session": len(readings)})],
        clinic=patient.clinic_id,
        actor="kapcare demo",
    )
    return len(readings)


def book_next(plans, staff, now) -> int:
    """The next dosing session of each active course with sessions left on its plan, booked as
    staff book them (so its questionnaires are scheduled and the patient sees it in the portal):
    one cadence after the last session, at 10:00 where the course is treated, never in the past."""
    from kapcare.sessions.scheduling import schedule_from_plan

    booked = 0
    for plan in plans:
        course = plan.course
        if course.state != CourseState.ACTIVE:
            continue
        sessions = DosingSession.objects.filter(course=course)
        if sessions.count() >= plan.dosing_sessions or sessions.filter(state=State.SCHEDULED).exists():
            continue
        last = sessions.order_by("-planned_start").values_list("planned_start", flat=True).first()
        day = max((last or now) + timedelta(days=max(plan.cadence_days, 1)), now + timedelta(days=1))
        site = site_of(course)
        local = timezone.localtime(day, zoneinfo.ZoneInfo(site.time_zone))
        start = local.replace(hour=10, minute=0, second=0, microsecond=0)
        room = site.rooms.filter(kind="dosing").order_by("name").first()
        schedule_from_plan(plan, course, planned_start=start, site=site, room=room, by=staff["nurse"])
        booked += 1
    return booked


def at_home(plans, protocol, staff, rng, now) -> tuple[int, int]:
    """Sessions at home for active courses whose signed plan allows them and whose in-clinic
    sessions the plan asks for first are discharged: one in progress now (dosed half an hour ago,
    fed by the home cuff through `kapcare simulate-monitor`), and one booked for another such
    course (or the same one) at 10:00 a cadence on. Both are booked through the real booking,
    which checks the plan's rule and records the address on file as where the patient will be."""
    from kapcare.sessions import seams
    from kapcare.sessions.scheduling import address_on_file, schedule_from_plan

    ready = [
        plan
        for plan in bookable(plans)
        if plan.at_home_allowed
        and address_on_file(plan.course.patient)
        and seams.at_home_refusal(plan.course) is None
    ]
    if not ready:
        return 0, 0
    live = ready[0]
    at_home_in_progress(live, protocol, staff, rng, now)
    # Booked ahead for another such course, or the same one if its plan has a session left.
    ahead = next((plan for plan in ready[1:] + [live] if sessions_left(plan) > 0), None)
    if ahead is None:
        return 1, 0
    last = DosingSession.objects.filter(course=ahead.course).latest("planned_start").planned_start
    site = site_of(ahead.course)
    day = max(last + timedelta(days=max(ahead.cadence_days, 1)), now + timedelta(days=1))
    start = timezone.localtime(day, zoneinfo.ZoneInfo(site.time_zone)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    schedule_from_plan(
        ahead,
        ahead.course,
        planned_start=start,
        site=site,
        setting="home",
        home_address=address_on_file(ahead.course.patient),
        by=staff["nurse"],
    )
    return 1, 1


@transaction.atomic
def at_home_in_progress(plan, protocol, staff, rng, now):
    from kapcare.sessions.scheduling import address_on_file, schedule_from_plan

    course = plan.course
    at = now - timedelta(minutes=50)
    session = schedule_from_plan(
        plan,
        course,
        planned_start=at,
        site=site_of(course),
        setting="home",
        home_address=address_on_file(course.patient),
        by=staff["nurse"],
    )
    baseline = (rng.randint(116, 130), rng.randint(72, 82))
    weight = usual_weight(plan) + Decimal(rng.randint(-2, 2))
    check_in(session, at, staff, weight, baseline, rng)
    dosed_at = now - timedelta(minutes=31)
    give(session, protocol, dosed_at, staff, planned_amount(plan, weight), plan.route, f"K{now:%y%m}")
    monitor(session, protocol, dosed_at, 30, staff, baseline, 16, rng, source="device")
    return session


def sessions_left(plan) -> int:
    """How many of the plan's dosing sessions are not yet booked."""
    return plan.dosing_sessions - DosingSession.objects.filter(course=plan.course).count()


def bookable(plans) -> list:
    """Plans of active courses with a session left to book and none under way or booked."""
    return [
        plan
        for plan in plans
        if plan.course.state == CourseState.ACTIVE
        and sessions_left(plan) > 0
        and not DosingSession.objects.filter(course=plan.course).exclude(state__in=FINISHED).exists()
    ]


def site_of(course):
    return course.site or course.clinic.sites.order_by("name").first()


def new_session(
    course,
    protocol,
    at,
    route,
    staff,
    *,
    medication="ketamine",
    mg=None,
    per_kg=None,
    plan=None,
    room_index=None,
):
    site = site_of(course)
    number = DosingSession.objects.filter(course=course).count() + 1
    rooms = list(site.rooms.filter(kind="dosing").order_by("name"))
    room = rooms[(number if room_index is None else room_index) % len(rooms)] if rooms else None
    return DosingSession.objects.create(
        clinic_id=course.clinic_id,
        patient_id=course.patient_id,
        course=course,
        site=site,
        room=room,
        medication=medication,
        route=route,
        planned_start=at,
        protocol=protocol,
        planned_dose_mg=mg,
        planned_mg_per_kg=per_kg,
        plan_ref=plan.pk if plan else None,
        number=number,
        created_by=staff["nurse"],
        created_at=at - timedelta(days=3),
    )


def step(session, to, at, by, reason="", **fields):
    SessionTransition.objects.create(
        session=session, from_state=session.state, to_state=to, by=by, at=at, reason=reason
    )
    session.state, session.state_changed_at = to, at
    for name, field_value in fields.items():
        setattr(session, name, field_value)
    DosingSession.objects.filter(pk=session.pk).update(state=to, state_changed_at=at, **fields)


def bp_curve(baseline: tuple[int, int], minute: float, rise: int) -> tuple[int, int]:
    """A rise that peaks about 40 minutes after the dose and settles over the next hours."""
    if minute < 0:
        return baseline
    shape = math.exp(-(((minute - 40) / 35) ** 2))
    return baseline[0] + round(rise * shape), baseline[1] + round(rise * 0.6 * shape)


def reading(session, at, minute, baseline, rise, rng, *, source="manual", by=None, pre=False):
    systolic, diastolic = bp_curve(baseline, minute, rise)
    # At home the patient's cuff measures blood pressure and pulse, and nothing else.
    home = session.setting == "home"
    return VitalSign(
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        session=session,
        taken_at=at,
        systolic=systolic + rng.randint(-3, 3),
        diastolic=diastolic + rng.randint(-2, 2),
        heart_rate=72 + round(10 * math.exp(-(((minute - 30) / 40) ** 2))) + rng.randint(-3, 3),
        spo2=None if home else rng.choice([97, 98, 98, 99]),
        resp_rate=None if home else rng.choice([12, 14, 14, 16]),
        source=source,
        pre_dose=pre,
        recorded_by=by,
        identifier="" if source == "manual" else f"demo-{session.pk}-{minute}",
    )


def confirmed_checklist(session, at, rng) -> str:
    """The patient's preparation checklist for the session's day, confirmed in the portal the
    evening before, so the chart shows it confirmed; what the pre-check then finds."""
    clinic = session.clinic
    day = timezone.localdate(at, session.site_zone)
    items = [{"key": key, "text": text} for key, text in checklist_items(clinic)]
    PreparationConfirmation.objects.get_or_create(
        patient_id=session.patient_id,
        session_date=day,
        defaults={
            "clinic": clinic,
            "course_id": session.course_id,
            "items": items,
            "confirmed_at": at - timedelta(hours=rng.randint(12, 16)),
        },
    )
    return "Confirmed: " + " ".join(item["text"] for item in items)  # as seams.checklist_confirmed says


def passed_checks(session) -> dict:
    """What each pre-check found, as the nurse would record it for this patient and setting."""
    found = PASSED | (AT_HOME_PASSED if session.at_home else {})
    if not pregnancy_relevant(session.patient):
        found[CheckKind.PREGNANCY] = "Not applicable."  # as prechecks.pregnancy answers it
    return found


def check_in(session, at, staff, weight, baseline, rng):
    step(session, State.CHECKED_IN, at, staff["nurse"], weight_kg=weight)
    # In the order prechecks.py checks them, the preparation checklist third.
    found = passed_checks(session)
    found = (
        dict(list(found.items())[:2]) | {CheckKind.CHECKLIST: confirmed_checklist(session, at, rng)} | found
    )
    PreCheck.objects.bulk_create(
        [
            PreCheck(
                session=session,
                kind=kind,
                passed=True,
                detail=detail,
                checked_by=staff["nurse"],
                checked_at=at,
            )
            for kind, detail in found.items()
        ]
    )
    VitalSign.objects.bulk_create([reading(session, at, -10, baseline, 0, rng, by=staff["nurse"], pre=True)])
    step(session, State.CLEARED, at, staff["nurse"], "All pre-checks passed.")


def give(session, protocol, at, staff, amount: Decimal, route: str, lot: str):
    rules = protocol.rules
    order = DoseOrder.objects.create(
        session=session,
        route=route,
        amount_mg=amount,
        weight_kg=session.weight_kg,
        iv_equivalent_mg=None if session.is_esketamine else iv_equivalent(rules, route, amount),
        max_mg=(
            dose.esketamine_limits()
            if session.is_esketamine
            else dose.dose_limits(rules, route, Decimal(session.weight_kg))
        )["limit"],
        protocol_version=protocol.version,
        ordered_by=staff["prescriber"],
        ordered_at=at - timedelta(minutes=8),
    )
    product = SPRAVATO if session.is_esketamine else PRODUCTS[route]
    given = dose.Administration.objects.create(
        session=session,
        order=order,
        given_at=at,
        route=route,
        amount_mg=amount,
        product=product,
        lot=lot,
        given_by=staff["nurse"],
        verified_by=staff["nurse2"],
        recorded_at=at,
    )
    restock(session.site, product, amount, staff, at)
    dose.post(
        session.site,
        product,
        "administered",
        -amount,
        by=staff["nurse"],
        witness=staff["nurse2"],
        lot=lot,
        session=session,
        administration=given,
        at=at,
    )
    step(session, State.DOSED, at, staff["nurse"], f"{amount} mg {given.route_label}, lot {lot}", dosed_at=at)


def restock(site, product, needed, staff, at):
    """A delivery when the shelf runs low, as a clinic orders more before it runs out."""
    stock = dose.Stock.objects.filter(site=site, product=product).first()
    if stock is None or stock.on_hand_mg < needed:
        dose.post(
            site,
            product,
            "received",
            dose.mg(5000),
            by=staff["nurse"],
            lot="DEMO-RESTOCK",
            note="Delivery",
            at=at - timedelta(days=1),
        )


def monitor(session, protocol, dosed_at, until_minute, staff, baseline, rise, rng, source="manual"):
    rules = protocol.rules
    minutes = [m for m in vitals_due_minutes(rules, int(until_minute)) if 0 < m <= until_minute]
    VitalSign.objects.bulk_create(
        [
            reading(
                session,
                dosed_at + timedelta(minutes=m),
                m,
                baseline,
                rise,
                rng,
                source=source,
                by=staff["nurse"],
            )
            for m in minutes
        ]
    )
    for m in value(rules, "ratings.at_minutes"):
        if m <= until_minute:
            at = dosed_at + timedelta(minutes=m)
            Rating.objects.create(
                session=session,
                kind="sedation",
                scale="MOAA/S",
                score=5 if m in (0, 90) else rng.choice([3, 4]),
                taken_at=at,
                by=staff["nurse"],
            )
            peak = 0 if m == 0 else 3 if m == 40 else 1
            items = [{"item": n, "score": rng.randint(0, peak)} for n in SCALES["CADSS-6"].items]
            Rating.objects.create(
                session=session,
                kind="dissociation",
                scale="CADSS-6",
                score=sum(i["score"] for i in items),
                items=items,
                taken_at=at,
                by=staff["nurse"],
            )
    if until_minute >= 20:
        SessionNote.objects.create(
            session=session, at=dosed_at + timedelta(minutes=20), text=rng.choice(NOTES), by=staff["nurse"]
        )
    step(
        session,
        State.MONITORING,
        dosed_at + timedelta(minutes=minutes[0] if minutes else 1),
        staff["nurse"],
        "Monitoring after the dose.",
    )


def finish(session, protocol, dosed_at, staff, rng):
    minimum = session.minimum_monitoring.value
    ready = dosed_at + timedelta(minutes=minimum + rng.randint(0, 15))
    score = {
        "scale": "modified_aldrete",
        "label": "Modified Aldrete",
        "items": {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2},
        "total": 10,
    }
    step(
        session,
        State.READY,
        ready,
        staff["nurse"],
        "Modified Aldrete 10",
        ready_at=ready.replace(second=0, microsecond=0),
        discharge_score=score,
    )
    out = ready + timedelta(minutes=rng.randint(3, 10))
    step(
        session,
        State.DISCHARGED,
        out,
        staff["nurse"],
        "Discharged.",
        discharged_at=out,
        escort_present=True,
        escort_name=session.patient.emergency_contact_name or "Partner",
        instructions_given=True,
    )
    DosingSession.objects.filter(pk=session.pk).update(
        signed_at=out + timedelta(minutes=5), signed_by=staff["nurse"]
    )


@transaction.atomic
def past_session(course, plan, protocol, at, staff, rng):
    weight = usual_weight(plan) + Decimal(rng.randint(-2, 2))
    per_kg = plan.dose_amount if plan.dose_unit == "mg/kg" else None
    session = new_session(
        course,
        protocol,
        at,
        plan.route,
        staff,
        medication=plan.medication,
        mg=None if per_kg else plan.dose_mg,
        per_kg=per_kg,
        plan=plan,
    )
    baseline = (rng.randint(112, 134), rng.randint(70, 84))
    check_in(session, at, staff, weight, baseline, rng)
    amount = dose.mg(per_kg * weight) if per_kg else dose.mg(plan.dose_mg)
    dosed_at = at + timedelta(minutes=15)
    give(session, protocol, dosed_at, staff, amount, plan.route, f"K{at:%y%m}")
    minimum = session.minimum_monitoring.value
    monitor(session, protocol, dosed_at, minimum, staff, baseline, rng.randint(8, 26), rng)
    finish(session, protocol, dosed_at, staff, rng)
    return session


@transaction.atomic
def spravato_example(plans, protocol, staff, rng, now) -> int:
    """One esketamine session three days ago, discharged, whose REMS form is started but not signed:
    the first session of the course whose signed plan is for esketamine (Spravato), given as the
    plan says (56 mg intranasally, two 28 mg devices)."""
    at = now - timedelta(days=3, hours=2)
    candidates = [
        plan
        for plan in bookable(plans)
        if plan.is_esketamine
        and not DosingSession.objects.filter(course=plan.course, planned_start__gte=at).exists()
    ]
    if not candidates:
        return 0
    plan = candidates[-1]
    course = plan.course
    session = new_session(
        course, protocol, at, plan.route, staff, medication=plan.medication, mg=plan.dose_mg, plan=plan
    )
    baseline = (124, 78)
    check_in(session, at, staff, usual_weight(plan), baseline, rng)
    dosed_at = at + timedelta(minutes=10)
    give(session, protocol, dosed_at, staff, plan.dose_mg, plan.route, "ES24117")
    monitor(
        session,
        protocol,
        dosed_at,
        session.minimum_monitoring.value,
        staff,
        baseline,
        22,
        rng,
    )
    finish(session, protocol, dosed_at, staff, rng)
    DosingSession.objects.filter(pk=session.pk).update(signed_at=None, signed_by=None)
    RemsForm.objects.create(
        session=session,
        first_treatment=session.number == 1,
        patient_enrolled=True,
        treatment_date=at.date(),
        dose=str(int(plan.dose_mg)),
        lot="ES24117",
        setting_name=session.site.name,
        setting_address=session.site.address,
    )
    return 1


@transaction.atomic
def in_progress(plans, staff, rng, now) -> int:
    """Two sessions being monitored and one waiting for its order, across the demo's sites: the
    next session of courses with sessions left on their plans, booked as staff book them and
    dosed by the plan's route and dose."""
    from kapcare.sessions.scheduling import schedule_from_plan

    clinic_sites = None
    made = 0
    for n, (plan, minutes_in) in enumerate(zip(bookable(plans), (38, 95, None), strict=False)):
        if clinic_sites is None:
            clinic_sites = list(plan.course.clinic.sites.order_by("name"))
        site = clinic_sites[0] if n < 2 else clinic_sites[-1]
        rooms = list(site.rooms.filter(kind="dosing").order_by("name"))
        at = now - timedelta(minutes=(minutes_in or 0) + 20)
        session = schedule_from_plan(
            plan,
            plan.course,
            planned_start=at,
            site=site,
            room=rooms[n % len(rooms)] if rooms else None,
            by=staff["nurse"],
        )
        baseline = (rng.randint(116, 132), rng.randint(72, 82))
        weight = usual_weight(plan) + Decimal(rng.randint(-2, 2))
        check_in(session, at, staff, weight, baseline, rng)
        if minutes_in is not None:
            dosed_at = now - timedelta(minutes=minutes_in)
            give(
                session,
                session.protocol,
                dosed_at,
                staff,
                planned_amount(plan, weight),
                plan.route,
                f"K{now:%y%m}",
            )
            monitor(
                session, session.protocol, dosed_at, minutes_in - 1, staff, baseline, 18, rng, source="device"
            )
        made += 1
    return made


def usual_weight(plan) -> Decimal:
    """The weight the patient's check-ins vary around: the plan's, or for an esketamine plan (which
    records none) the evaluation's."""
    if plan.weight_kg is not None:
        return plan.weight_kg
    return Evaluation.objects.filter(course=plan.course).values_list("weight_kg", flat=True).first()


def planned_amount(plan, weight) -> Decimal:
    """The plan's dose in mg on the day's weight: mg/kg plans scale with it."""
    return dose.mg(plan.dose_amount * weight) if plan.dose_unit == "mg/kg" else dose.mg(plan.dose_mg)
