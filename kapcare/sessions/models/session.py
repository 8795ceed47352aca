"""The dosing session and its states, from check-in to a signed, frozen record."""

from datetime import timedelta
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.clinics.models import Clinic, ClinicScopedQuerySet, Membership
from kapcare.clinics.roles import allows
from kapcare.lib import spravato
from kapcare.sessions.rules import route_label


class SessionError(Exception):
    """A session cannot do what was asked; the message says why, for the clinician."""


class Frozen(SessionError):
    """A signed session cannot be changed; corrections are addenda."""


class State(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CHECKED_IN = "checked_in", "Checked in"
    CLEARED = "cleared", "Cleared to dose"
    HELD = "held", "Held"
    DOSED = "dosed", "Dosed"
    MONITORING = "monitoring", "Monitoring"
    READY = "ready_for_discharge", "Ready for discharge"
    DISCHARGED = "discharged", "Discharged"
    ABORTED = "aborted", "Aborted"


TRANSITIONS: dict[str, frozenset[str]] = {
    State.SCHEDULED: frozenset({State.CHECKED_IN, State.ABORTED}),
    State.CHECKED_IN: frozenset({State.CLEARED, State.HELD, State.ABORTED}),
    State.HELD: frozenset({State.CLEARED, State.ABORTED}),
    State.CLEARED: frozenset({State.DOSED, State.ABORTED}),
    State.DOSED: frozenset({State.MONITORING, State.ABORTED}),
    State.MONITORING: frozenset({State.READY, State.ABORTED}),
    State.READY: frozenset({State.DISCHARGED, State.MONITORING}),
    State.DISCHARGED: frozenset(),
    State.ABORTED: frozenset(),
}
# On the live board: from check-in until the patient leaves.
ACTIVE_STATES = (State.CHECKED_IN, State.CLEARED, State.HELD, State.DOSED, State.MONITORING, State.READY)
# A device may post readings to a session in these states.
RECORDING_STATES = (State.CHECKED_IN, State.CLEARED, State.HELD, State.DOSED, State.MONITORING, State.READY)
POST_DOSE_STATES = (State.DOSED, State.MONITORING, State.READY)


class Medication(models.TextChoices):
    KETAMINE = "ketamine", "Ketamine (racemic)"
    ESKETAMINE = "esketamine", "Esketamine (Spravato)"


class Setting(models.TextChoices):
    """Where the dose is taken. At home only as the signed treatment plan allows."""

    CLINIC = "clinic", "In clinic"
    HOME = "home", "At home"


NO_HOME_ADDRESS = (
    "An at-home session needs the address where the patient will be, so the team can send help "
    "there in an emergency: give the address."
)


# SPRAVATO REMS (reference/clinical.md §3): the drug is never dispensed for home use; it is given in an
# enrolled healthcare setting, with a prescriber onsite through administration and monitoring.
ESKETAMINE_NOT_AT_HOME = f"{spravato.NOT_AT_HOME}. Book it in clinic."


# Spravato is a nasal spray, each device delivering 28 mg (reference/clinical.md §3): it has
# one route, and a dose is a whole number of devices.
ESKETAMINE_ROUTE = spravato.ROUTE
ESKETAMINE_DEVICE_MG = spravato.DEVICE_MG


def esketamine_refusal(route: str, route_label: str, planned_dose_mg, planned_mg_per_kg) -> str:
    """Why an esketamine session cannot be booked so, or "" if it can."""
    if route != ESKETAMINE_ROUTE:
        return (
            f"Esketamine (Spravato) is a nasal spray; it cannot be given {route_label.lower()}, the "
            "route this booking would give it (reference/clinical.md §3). Book esketamine on a "
            "treatment plan for the intranasal route, or book ketamine."
        )
    if planned_mg_per_kg is not None or planned_dose_mg is None:
        return (
            "An esketamine dose is given in mg, by devices of 28 mg each (reference/clinical.md §3), "
            "not by weight: plan it in mg."
        )
    if spravato.devices(planned_dose_mg) is None:
        return (
            f"An esketamine dose is a whole number of 28 mg devices (reference/clinical.md §3); "
            f"{planned_dose_mg:g} mg is not."
        )
    return spravato.above_label(planned_dose_mg)


def one_line(address: str) -> str:
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


def address_lines(text: str) -> str:
    """An address one line per part, as typed; browsers send a textarea's line breaks as CRLF."""
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


class DosingSessionQuerySet(ClinicScopedQuerySet):
    def active(self):
        return self.filter(state__in=ACTIVE_STATES)


# Protocol versions never change once saved, so each process keeps the ones it has read, keyed by
# their id and creation time (an id alone could name another row in a re-created test database).
_protocols: dict = {}


def with_protocol_stamp(sessions):
    """Sessions that carry their protocol's creation time, so share_protocols needs no query."""
    return sessions.annotate(protocol_stamp=models.F("protocol__created_at"))


def share_protocols(sessions: list) -> list:
    """Give sessions on the same protocol version one shared copy of it: a protocol is a sizeable
    JSON document, read once per version and process rather than once per session."""
    from kapcare.clinics.models import Protocol

    stamps = {s.protocol_id: getattr(s, "protocol_stamp", None) for s in sessions}
    if None in stamps.values():
        stamps = dict(Protocol.objects.filter(pk__in=stamps).values_list("pk", "created_at"))
    missing = [pk for pk, at in stamps.items() if (pk, at) not in _protocols]
    if missing:
        if len(_protocols) > 256:
            _protocols.clear()
        for protocol in Protocol.objects.filter(pk__in=missing):
            _protocols[protocol.pk, protocol.created_at] = protocol
    for session in sessions:
        session.protocol = _protocols[session.protocol_id, stamps[session.protocol_id]]
    return sessions


def member_may(user, clinic_id: int, permission: str) -> bool:
    role = (
        Membership.objects.active()
        .filter(user=user, clinic_id=clinic_id)
        .values_list("role", flat=True)
        .first()
    )
    return allows(role, permission)


class DosingSession(models.Model):
    """One ketamine or esketamine dose given under monitoring, and everything recorded around it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="dosing_sessions")
    course = models.ForeignKey("patients.Course", on_delete=models.PROTECT, related_name="dosing_sessions")
    plan_ref = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The treatment plan this session was scheduled from."
    )
    number = models.PositiveSmallIntegerField(default=1, help_text="Which dosing session of the course.")
    site = models.ForeignKey("clinics.Site", on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(
        "clinics.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    setting = models.CharField(
        max_length=8,
        choices=Setting.choices,
        default=Setting.CLINIC,
        help_text="Where the session takes place; at home only as the signed treatment plan allows.",
    )
    home_address = models.TextField(
        blank=True,
        help_text="For an at-home session: where the patient is during it, so the team can send "
        "help there in an emergency. Empty for a session in clinic.",
    )
    medication = models.CharField(max_length=12, choices=Medication.choices, default=Medication.KETAMINE)
    route = models.CharField(max_length=16, help_text="A route of the clinic's protocol.")
    planned_start = models.DateTimeField()
    planned_dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    planned_mg_per_kg = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    protocol = models.ForeignKey("clinics.Protocol", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=State.choices, default=State.SCHEDULED)
    state_changed_at = models.DateTimeField(default=timezone.now)
    weight_kg = models.DecimalField(
        "today's weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    held_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    dosed_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(
        null=True, blank=True, help_text="The minute the patient was ready to leave."
    )
    discharge_score = models.JSONField(default=dict, blank=True)
    escort_present = models.BooleanField(default=False)
    escort_name = models.CharField(max_length=120, blank=True)
    instructions_given = models.BooleanField(default=False)
    discharged_at = models.DateTimeField(null=True, blank=True)
    aborted_reason = models.TextField(blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = DosingSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_start"]
        indexes = [
            models.Index(fields=["site", "state"], name="dosing_site_state"),
            models.Index(fields=["patient", "-planned_start"], name="dosing_patient_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=State.values), name="dosing_state_valid"),
            models.CheckConstraint(
                condition=models.Q(setting__in=Setting.values), name="dosing_setting_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(setting="clinic") | models.Q(room__isnull=True),
                name="dosing_at_home_has_no_room",
            ),
            models.CheckConstraint(
                condition=models.Q(setting="home") | models.Q(home_address=""),
                name="dosing_in_clinic_has_no_home_address",
            ),
            models.CheckConstraint(
                condition=models.Q(signed_at__isnull=True) | models.Q(state__in=["discharged", "aborted"]),
                name="dosing_signed_only_when_finished",
            ),
            models.CheckConstraint(
                condition=models.Q(override_at__isnull=True) | ~models.Q(override_reason=""),
                name="dosing_override_has_reason",
            ),
            # One session at a time for a patient: a device reading must find exactly one.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(state__in=list(ACTIVE_STATES)),
                name="one_active_dosing",
            ),
        ]

    def __str__(self) -> str:
        return f"Dosing session {self.number} ({self.get_state_display().lower()})"

    def save(self, *args, **kwargs):
        if self.pk is not None and DosingSession.objects.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise Frozen("This session is signed; it cannot change. Add an addendum instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Frozen("A dosing session is part of the record and cannot be deleted; stop it instead.")

    # Derived facts ---------------------------------------------------------------------------

    @property
    def rules(self) -> dict:
        return self.protocol.rules

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def at_home(self) -> bool:
        return self.setting == Setting.HOME

    @property
    def home_address_line(self) -> str:
        """The at-home address on one line, for a tile or a heading."""
        return one_line(self.home_address)

    @property
    def address_correctable(self) -> bool:
        """An at-home session's address may be corrected until the session is over."""
        return self.at_home and self.signed_at is None and self.state not in (State.DISCHARGED, State.ABORTED)

    @property
    def route_name(self) -> str:
        """The route as the protocol names it, for example "Intramuscular (IM)". The protocol's
        routes are racemic ketamine's ("Intranasal (racemic)"), so esketamine's is simply its own."""
        if self.is_esketamine:
            return "Intranasal"
        return route_label(self.rules, self.route)

    @property
    def is_esketamine(self) -> bool:
        return self.medication == Medication.ESKETAMINE

    @property
    def minimum_monitoring(self):
        """The protocol's minimum monitoring time for this session's drug and route, as the
        session's own protocol version holds it (sessions.rules.minimum_monitoring)."""
        from kapcare.sessions.rules import minimum_monitoring

        return minimum_monitoring(self.rules, self.route, self.medication)

    def minutes_since_dose(self, now=None) -> int | None:
        if self.dosed_at is None:
            return None
        return int(((now or timezone.now()) - self.dosed_at).total_seconds() // 60)

    def local(self, moment):
        return timezone.localtime(moment, self.site_zone) if moment else None

    @property
    def site_zone(self):
        import zoneinfo

        return zoneinfo.ZoneInfo(self.site.time_zone)

    # Transitions ------------------------------------------------------------------------------

    def move(self, to: str, *, by, request=None, reason: str = "", **fields):
        """Change state if the session may move there; record who, when and why, and audit it."""
        with transaction.atomic():
            current = DosingSession.objects.select_for_update().get(pk=self.pk)
            if current.signed_at is not None:
                raise Frozen("This session is signed; it cannot change. Add an addendum instead.")
            if to not in TRANSITIONS[current.state]:
                raise SessionError(
                    f"A session that is {current.get_state_display().lower()} cannot become "
                    f"{State(to).label.lower()}."
                )
            at = fields.pop("at", None) or timezone.now()
            SessionTransition.objects.create(
                session=self, from_state=current.state, to_state=to, by=by, at=at, reason=reason
            )
            self.state, self.state_changed_at = to, at
            for name, value in fields.items():
                setattr(self, name, value)
            DosingSession.objects.filter(pk=self.pk).update(state=to, state_changed_at=at, **fields)
            record(
                request,
                "transition",
                self,
                actor=by,
                detail={"from": current.state, "to": to, "reason": reason, "protocol": self.protocol.version},
            )

    def ensure_open(self) -> None:
        if DosingSession.objects.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise Frozen("This session is signed; it cannot change. Add an addendum instead.")

    def check_in(self, *, by, request=None, answers: dict):
        """Record the pre-checks; the session is cleared when all pass, else held with the reasons."""
        from kapcare.sessions.prechecks import run_prechecks

        if self.state != State.SCHEDULED:
            raise SessionError(
                f"Only a scheduled session can be checked in; this one is {self.get_state_display().lower()}."
            )
        with transaction.atomic():
            self.move(State.CHECKED_IN, by=by, request=request, weight_kg=answers.get("weight_kg"))
            checks = run_prechecks(self, by=by, answers=answers, request=request)
            failed = [check for check in checks if not check.passed]
            if failed:
                reason = "; ".join(f"{check.get_kind_display()}: {check.detail}" for check in failed)
                self.move(State.HELD, by=by, request=request, reason=reason, held_reason=reason)
            else:
                self.move(State.CLEARED, by=by, request=request, reason="All pre-checks passed.")
        return checks

    def override_hold(self, *, by, reason: str, request=None):
        """A prescriber lets a held session go ahead, with a recorded reason."""
        reason = (reason or "").strip()
        if not member_may(by, self.clinic_id, "sessions.order"):
            raise SessionError("Only a prescriber can override a hold.")
        if not reason:
            raise SessionError("Give the reason for going ahead despite the hold.")
        if self.state != State.HELD:
            raise SessionError("Only a held session can be overridden.")
        self.move(
            State.CLEARED,
            by=by,
            request=request,
            reason=f"Override: {reason}",
            override_by=by,
            override_at=timezone.now(),
            override_reason=reason,
        )

    def start_monitoring(self, *, by=None, request=None, at=None):
        self.move(State.MONITORING, by=by, request=request, reason="Monitoring after the dose.", at=at)

    def abort(self, *, by, reason: str, request=None):
        reason = (reason or "").strip()
        if not reason:
            raise SessionError("Give the reason the session is stopped.")
        self.move(State.ABORTED, by=by, request=request, reason=reason, aborted_reason=reason)

    def mark_ready(self, *, by, score_items: dict, request=None, now=None):
        """The patient is ready to leave: the discharge criteria hold; the minute is recorded."""
        from kapcare.sessions.discharge import readiness_problems, score

        now = now or timezone.now()
        result = score(self.rules, score_items)
        problems = readiness_problems(self, result, now=now)
        if problems:
            raise SessionError(" ".join(problems))
        self.move(
            State.READY,
            by=by,
            request=request,
            reason=f"{result['label']} {result['total']}",
            ready_at=now.replace(second=0, microsecond=0),
            discharge_score=result,
            at=now,
        )

    def discharge(
        self, *, by, escort_present: bool, escort_name: str, instructions_given: bool, request=None
    ):
        from kapcare.sessions import seams

        problems = []
        if self.state != State.READY:
            problems.append("Record that the patient is ready to leave first.")
        if not escort_present or not escort_name.strip():
            problems.append("The patient leaves only with a responsible adult: name the escort.")
        if not instructions_given:
            problems.append("Give the discharge instructions (no driving until the next day after sleep).")
        if problems:
            raise SessionError(" ".join(problems))
        now = timezone.now()
        self.move(
            State.DISCHARGED,
            by=by,
            request=request,
            reason="Discharged.",
            discharged_at=now,
            escort_present=True,
            escort_name=escort_name.strip(),
            instructions_given=True,
        )
        seams.dosing_session_completed(self, now)

    def sign(self, *, by, request=None):
        """Sign the record; it is frozen from then on."""
        from kapcare.sessions.models.rems import rems_missing

        with transaction.atomic():
            current = DosingSession.objects.select_for_update().get(pk=self.pk)
            if current.signed_at is not None:
                raise Frozen("This session is already signed.")
            if current.state not in (State.DISCHARGED, State.ABORTED):
                raise SessionError(
                    "A session is signed after the patient is discharged or the session is stopped."
                )
            if self.alerts.filter(acknowledged_at__isnull=True).exists():
                raise SessionError("Acknowledge every open alert before signing.")
            if current.is_esketamine and current.state == State.DISCHARGED:
                missing = rems_missing(self)
                if missing:
                    raise SessionError("Complete the REMS monitoring form first: " + ", ".join(missing) + ".")
            now = timezone.now()
            DosingSession.objects.filter(pk=self.pk).update(signed_at=now, signed_by=by)
            self.signed_at, self.signed_by = now, by
            record(request, "sign", self, actor=by, detail={"protocol": self.protocol.version})

    def correct_home_address(self, address: str, *, by, request=None) -> None:
        """Correct where the patient will be for an at-home session that is not over, so help goes
        to the right door; the address it replaces is kept in the session's history and the audit
        trail."""
        address = address_lines(address)
        if not member_may(by, self.clinic_id, "sessions.schedule"):
            raise SessionError("Only staff who book dosing sessions can correct a session's address.")
        with transaction.atomic():
            current = DosingSession.objects.select_for_update().get(pk=self.pk)
            if current.signed_at is not None:
                raise Frozen("This session is signed; it cannot change. Add an addendum instead.")
            if current.setting != Setting.HOME:
                raise SessionError("This session is in clinic; it has no home address to correct.")
            if current.state in (State.DISCHARGED, State.ABORTED):
                raise SessionError(
                    f"This session is {current.get_state_display().lower()}: the address it took place "
                    "at is part of the record and is not corrected afterwards."
                )
            if not address:
                raise SessionError(NO_HOME_ADDRESS)
            if address == current.home_address:
                raise SessionError("That is the address already recorded for this session; nothing changed.")
            DosingSession.objects.filter(pk=self.pk).update(home_address=address)
            AddressCorrection.objects.create(
                session=self, previous=current.home_address, address=address, by=by
            )
            self.home_address = address
            record(
                request,
                "update",
                self,
                actor=by,
                detail={"home_address": {"from": current.home_address, "to": address}},
            )

    # Scheduling -------------------------------------------------------------------------------

    @classmethod
    def schedule(
        cls,
        course,
        *,
        site,
        planned_start,
        route: str,
        by,
        room=None,
        setting=Setting.CLINIC,
        home_address: str = "",
        medication=Medication.KETAMINE,
        planned_dose_mg=None,
        planned_mg_per_kg=None,
        plan_ref=None,
        request=None,
    ) -> "DosingSession":
        from kapcare.clinics.models import Protocol
        from kapcare.sessions import seams

        protocol = Protocol.active_for(course.clinic)
        if route not in protocol.rules.get("routes", {}):
            raise SessionError(f"{route!r} is not a route of the clinic's protocol.")
        if planned_dose_mg is None and planned_mg_per_kg is None:
            raise SessionError("Give the planned dose, in mg or mg/kg.")
        if setting not in Setting.values:
            raise SessionError(f"{setting!r} is not a setting for a dosing session.")
        if setting == Setting.HOME and room is not None:
            raise SessionError("An at-home session takes no room; leave the room empty.")
        if setting == Setting.HOME and medication == Medication.ESKETAMINE:
            raise SessionError(ESKETAMINE_NOT_AT_HOME)
        if medication == Medication.ESKETAMINE:
            label = protocol.rules["routes"][route].get("label", route)
            refusal = esketamine_refusal(route, label, planned_dose_mg, planned_mg_per_kg)
            if refusal:
                raise SessionError(refusal)
        home_address = address_lines(home_address)
        if setting == Setting.CLINIC and home_address:
            raise SessionError(
                "An in-clinic session takes no home address; leave the address empty or book it at home."
            )
        with transaction.atomic():
            if setting == Setting.HOME:
                # The course's row is held so two bookings cannot both count the same sessions.
                type(course).objects.select_for_update().filter(pk=course.pk).first()
                refusal = seams.at_home_refusal(course)
                if refusal:
                    raise SessionError(refusal)
                if not home_address:
                    raise SessionError(NO_HOME_ADDRESS)
            number = cls.objects.filter(course=course).count() + 1
            session = cls.objects.create(
                clinic_id=course.clinic_id,
                patient_id=course.patient_id,
                course=course,
                site=site,
                room=room,
                setting=setting,
                home_address=home_address,
                medication=medication,
                route=route,
                planned_start=planned_start,
                protocol=protocol,
                planned_dose_mg=planned_dose_mg,
                planned_mg_per_kg=planned_mg_per_kg,
                plan_ref=plan_ref,
                number=number,
                created_by=by,
            )
            record(
                request,
                "create",
                session,
                actor=by,
                detail={"planned_start": planned_start.isoformat(), "setting": setting}
                | ({"home_address": home_address} if home_address else {}),
            )
        seams.dosing_session_scheduled(session)
        return session

    def planned_dose_label(self) -> str:
        if self.planned_mg_per_kg is not None:
            return f"{self.planned_mg_per_kg.normalize():f} mg/kg"
        return f"{self.planned_dose_mg.normalize():f} mg" if self.planned_dose_mg is not None else "—"

    def monitoring_elapsed(self, now=None) -> timedelta | None:
        return (now or timezone.now()) - self.dosed_at if self.dosed_at else None


class SessionTransition(models.Model):
    """One change of a dosing session's state: who, when, and why."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class AddressCorrection(models.Model):
    """A correction of an at-home session's address: kept with the session's history, so whoever
    reads the session sees that the address changed, from what, and who changed it."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="address_corrections")
    previous = models.TextField()
    address = models.TextField()
    by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Address corrected {self.at:%Y-%m-%d %H:%M}"


class CheckKind(models.TextChoices):
    IDENTITY = "identity", "Identity confirmed"
    CONSENT = "consent", "Consent current"
    CHECKLIST = "checklist", "Preparation checklist confirmed"
    EXCLUSION = "exclusion", "No new exclusion since the decision"
    MEDICATIONS = "medications", "Medication changes"
    SUICIDE_RISK = "suicide_risk", "Suicide-risk flags"
    PREGNANCY = "pregnancy", "Pregnancy status"
    VITALS = "vitals", "Pre-dose vital signs"
    WEIGHT = "weight", "Weight today"
    AT_HOME_CONSENT = "at_home_consent", "At-home consent signed"


class PreCheck(models.Model):
    """One check at check-in: what was checked, whether it passed, and why not."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="prechecks")
    kind = models.CharField(max_length=16, choices=CheckKind.choices)
    passed = models.BooleanField()
    detail = models.TextField(blank=True, help_text="What was found; for a failed check, the reason.")
    value = models.JSONField(default=dict, blank=True)
    rule = models.JSONField(default=dict, blank=True, help_text="The protocol rule applied, with its source.")
    checked_by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["session", "kind"], name="one_precheck_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {'passed' if self.passed else 'failed'}"


def as_decimal(number) -> Decimal | None:
    return None if number is None else Decimal(str(number))
