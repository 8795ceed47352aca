"""The dose: the prescriber's order, the nurse's administration with a second person's check, and
the site's controlled-substance log, which always balances."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from kapcare.audit.trail import record
from kapcare.lib import spravato
from kapcare.sessions.models.session import DosingSession, SessionError, State, member_may
from kapcare.sessions.rules import route_label as named_route
from kapcare.sessions.rules import rule

MG = Decimal("0.01")


def mg(number) -> Decimal:
    return Decimal(str(number)).quantize(MG, rounding=ROUND_HALF_UP)


class GivenByRoute:
    """A dose ordered or given by a route of its session."""

    @property
    def route_label(self) -> str:
        """The route as the session's protocol names it, for example "Intramuscular (IM)"."""
        if self.route == self.session.route:
            return self.session.route_name
        return named_route(self.session.rules, self.route)


class DoseOrder(GivenByRoute, models.Model):
    """The prescriber's order for this session: route and amount, checked against the protocol."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="orders")
    route = models.CharField(max_length=16)
    amount_mg = models.DecimalField(max_digits=7, decimal_places=2)
    mg_per_kg = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    iv_equivalent_mg = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Racemic ketamine only; esketamine is dosed by its label (dose_limits_for).",
    )
    max_mg = models.DecimalField(max_digits=7, decimal_places=2, help_text="The protocol's maximum today.")
    limit_rule = models.JSONField(default=dict)
    protocol_version = models.PositiveIntegerField()
    ordered_by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-ordered_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_mg__gt=0), name="dose_order_positive"),
            models.CheckConstraint(condition=Q(amount_mg__lte=F("max_mg")), name="dose_order_within_max"),
        ]

    def __str__(self) -> str:
        return f"{self.amount_mg} mg {self.route}"


def dose_limits(rules: dict, route: str, weight_kg: Decimal) -> dict:
    """The most this route may give today, from the protocol: its IV-equivalent mg/kg ceiling
    through the route's bioavailability, and the route's absolute maximum in mg if it has one."""
    bio = rule(rules, f"routes.{route}.bioavailability")
    per_kg = rule(rules, f"routes.{route}.max_iv_equivalent_mg_per_kg")
    by_weight = mg(Decimal(str(per_kg.value)) * weight_kg / Decimal(str(bio.value)))
    limits = {"by_weight": by_weight, "bioavailability": bio, "per_kg": per_kg, "max_mg": None}
    if "max_mg" in rules["routes"][route]:
        absolute = rule(rules, f"routes.{route}.max_mg")
        limits["max_mg"] = absolute
        limits["limit"] = min(by_weight, mg(absolute.value))
    else:
        limits["limit"] = by_weight
    return limits


def iv_equivalent(rules: dict, route: str, amount_mg: Decimal) -> Decimal:
    return mg(amount_mg * Decimal(str(rule(rules, f"routes.{route}.bioavailability").value)))


def esketamine_limits() -> dict:
    """What holds an esketamine order: the Spravato label, not the clinic's racemic protocol. Its
    bioavailability and IV-equivalent ceilings are racemic ketamine's; esketamine is a different
    molecule, given in whole 28 mg devices, 56 or 84 mg a session."""
    return {
        "limit": mg(max(spravato.LABEL_DOSES_MG)),
        "text": (
            "The label's dose per session is 56 or 84 mg, two or three devices of 28 mg; the racemic "
            f"IV-equivalent and maximum do not apply to esketamine ({spravato.SOURCE})."
        ),
    }


def esketamine_refusal(route: str, amount: Decimal, mg_per_kg) -> str:
    """Why this esketamine order cannot stand, or ""."""
    if route != spravato.ROUTE:
        return f"Esketamine (Spravato) is a nasal spray: order it intranasal ({spravato.SOURCE})."
    if mg_per_kg is not None:
        return f"Order esketamine in mg, a whole number of 28 mg devices, not by weight ({spravato.SOURCE})."
    if spravato.devices(amount) is None:
        return f"{amount} mg is not a whole number of 28 mg esketamine devices ({spravato.SOURCE})."
    return spravato.above_label(amount)


def order_dose(session, *, by, route: str, amount_mg=None, mg_per_kg=None, request=None) -> DoseOrder:
    """The prescriber's order. mg/kg is worked out from today's weight; the protocol's maximum holds
    (for esketamine, the label's: esketamine_limits)."""
    if not member_may(by, session.clinic_id, "sessions.order"):
        raise SessionError("Only a prescriber can order a dose.")
    if session.state != State.CLEARED:
        raise SessionError("A dose is ordered once the session is cleared (pre-checks passed or overridden).")
    rules = session.rules
    if route not in rules.get("routes", {}):
        raise SessionError(f"{route!r} is not a route of the clinic's protocol.")
    if session.weight_kg is None:
        raise SessionError("Record today's weight at check-in first.")
    weight = Decimal(session.weight_kg)
    if (amount_mg is None) == (mg_per_kg is None):
        raise SessionError("Give the dose either in mg or in mg/kg.")
    amount = mg(amount_mg) if amount_mg is not None else mg(Decimal(str(mg_per_kg)) * weight)
    if amount <= 0:
        raise SessionError("The dose must be more than 0 mg.")
    if session.is_esketamine:
        refusal = esketamine_refusal(route, amount, mg_per_kg)
        if refusal:
            raise SessionError(refusal)
        limits = esketamine_limits()
        equivalent, limit_rule = None, {"text": limits["text"], "source": spravato.SOURCE}
    else:
        limits = dose_limits(rules, route, weight)
        if amount > limits["limit"]:
            raise SessionError(
                f"{amount} mg is above the protocol's maximum of {limits['limit']} mg for this route today "
                f"({limit_text(limits, weight)})."
            )
        equivalent = iv_equivalent(rules, route, amount)
        limit_rule = {"text": limit_text(limits, weight), "source": limits["per_kg"].source}
    with transaction.atomic():
        session.ensure_open()
        order = DoseOrder.objects.create(
            session=session,
            route=route,
            amount_mg=amount,
            mg_per_kg=Decimal(str(mg_per_kg)) if mg_per_kg is not None else None,
            weight_kg=weight,
            iv_equivalent_mg=equivalent,
            max_mg=limits["limit"],
            limit_rule=limit_rule,
            protocol_version=session.protocol.version,
            ordered_by=by,
        )
        record(
            request,
            "create",
            order,
            patient=session.patient_id,
            clinic=session.clinic_id,
            actor=by,
            detail={"amount_mg": str(amount), "route": route, "max_mg": str(limits["limit"])},
        )
    return order


def limit_text(limits: dict, weight: Decimal) -> str:
    per_kg, bio = limits["per_kg"], limits["bioavailability"]
    text = (
        f"{per_kg.value} mg/kg IV-equivalent × {weight} kg ÷ bioavailability {bio.value} = "
        f"{limits['by_weight']} mg; {per_kg.source}"
    )
    if limits["max_mg"] is not None:
        text += f"; route maximum {limits['max_mg'].value} mg, {limits['max_mg'].source}"
    return text


class Administration(GivenByRoute, models.Model):
    """The nurse's record of giving the dose, checked by a second member of staff."""

    session = models.ForeignKey(DosingSession, on_delete=models.PROTECT, related_name="administrations")
    order = models.ForeignKey(DoseOrder, on_delete=models.PROTECT, related_name="administrations")
    given_at = models.DateTimeField()
    route = models.CharField(max_length=16)
    amount_mg = models.DecimalField(max_digits=7, decimal_places=2)
    product = models.CharField(max_length=120)
    lot = models.CharField("lot number", max_length=40)
    given_by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    verified_by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["given_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_mg__gt=0), name="administration_positive"),
            models.CheckConstraint(
                condition=~Q(given_by=F("verified_by")), name="administration_second_person"
            ),
            models.CheckConstraint(condition=~Q(lot=""), name="administration_has_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.amount_mg} mg {self.product} lot {self.lot}"


class Stock(models.Model):
    """How much of one controlled product a site holds now. Never below zero."""

    site = models.ForeignKey("clinics.Site", on_delete=models.PROTECT, related_name="+")
    product = models.CharField(max_length=120)
    on_hand_mg = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    class Meta:
        ordering = ["product"]
        constraints = [
            models.UniqueConstraint(fields=["site", "product"], name="one_stock_per_product"),
            models.CheckConstraint(condition=Q(on_hand_mg__gte=0), name="stock_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.on_hand_mg} mg"


class LedgerKind(models.TextChoices):
    RECEIVED = "received", "Received"
    ADMINISTERED = "administered", "Administered"
    WASTED = "wasted", "Wasted"


class LedgerEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        from kapcare.clinics.access import clinic_ids_for

        return self.filter(site__clinic_id__in=clinic_ids_for(user))


class LedgerEntry(models.Model):
    """One movement of a controlled substance at a site. Each entry carries the balance after it,
    which must equal the balance before it plus its change: the log balances row by row."""

    site = models.ForeignKey("clinics.Site", on_delete=models.PROTECT, related_name="+")
    product = models.CharField(max_length=120)
    seq = models.PositiveIntegerField(help_text="Position in this site's log for this product.")
    kind = models.CharField(max_length=12, choices=LedgerKind.choices)
    change_mg = models.DecimalField(max_digits=10, decimal_places=2)
    balance_before_mg = models.DecimalField(max_digits=10, decimal_places=2)
    balance_after_mg = models.DecimalField(max_digits=10, decimal_places=2)
    lot = models.CharField(max_length=40, blank=True)
    session = models.ForeignKey(
        DosingSession, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    administration = models.OneToOneField(Administration, on_delete=models.PROTECT, null=True, blank=True)
    by = models.ForeignKey("clinics.User", on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        "clinics.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["site", "product", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["site", "product", "seq"], name="ledger_seq_unique"),
            models.CheckConstraint(
                condition=Q(balance_after_mg=F("balance_before_mg") + F("change_mg")),
                name="ledger_row_balances",
            ),
            models.CheckConstraint(condition=Q(balance_after_mg__gte=0), name="ledger_never_negative"),
            models.CheckConstraint(
                condition=(Q(kind="received") & Q(change_mg__gt=0))
                | (~Q(kind="received") & Q(change_mg__lt=0)),
                name="ledger_sign_matches_kind",
            ),
            # Waste and administration are always witnessed by a second person.
            models.CheckConstraint(
                condition=Q(kind="received") | (Q(witness__isnull=False) & ~Q(witness=F("by"))),
                name="ledger_witnessed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.change_mg} mg {self.product}"


def post(
    site,
    product: str,
    kind: str,
    change: Decimal,
    *,
    by,
    witness=None,
    lot="",
    session=None,
    administration=None,
    note="",
    request=None,
    at=None,
) -> LedgerEntry:
    """Add one movement to the site's log and its stock, atomically; refuse to go below zero."""
    product = product.strip()
    with transaction.atomic():
        stock, _ = Stock.objects.select_for_update().get_or_create(site=site, product=product)
        before = stock.on_hand_mg
        after = before + change
        if after < 0:
            raise SessionError(
                f"The log for {product} at {site.name} shows {before} mg on hand; "
                f"it cannot give {-change} mg."
            )
        if kind != LedgerKind.RECEIVED and (witness is None or witness == by):
            raise SessionError("A second member of staff must witness this.")
        last = LedgerEntry.objects.filter(site=site, product=product).aggregate(n=models.Max("seq"))["n"] or 0
        entry = LedgerEntry.objects.create(
            site=site,
            product=product,
            seq=last + 1,
            kind=kind,
            change_mg=change,
            balance_before_mg=before,
            balance_after_mg=after,
            lot=lot,
            session=session,
            administration=administration,
            by=by,
            witness=witness,
            note=note,
            at=at or timezone.now(),
        )
        Stock.objects.filter(pk=stock.pk).update(on_hand_mg=after)
        record(
            request,
            "create",
            entry,
            patient=session.patient_id if session else None,
            clinic=site.clinic_id,
            actor=by,
            detail={"kind": kind, "change_mg": str(change), "product": product},
        )
    return entry


def receive(site, product: str, amount_mg, *, by, lot="", note="", request=None) -> LedgerEntry:
    amount = mg(amount_mg)
    if amount <= 0:
        raise SessionError("Receive a positive amount.")
    return post(site, product, LedgerKind.RECEIVED, amount, by=by, lot=lot, note=note, request=request)


def waste(session, product: str, amount_mg, *, by, witness, note="", request=None) -> LedgerEntry:
    amount = mg(amount_mg)
    if amount <= 0:
        raise SessionError("Waste a positive amount.")
    session.ensure_open()
    return post(
        session.site,
        product,
        LedgerKind.WASTED,
        -amount,
        by=by,
        witness=witness,
        session=session,
        note=note,
        request=request,
    )


def balances(site) -> list[dict]:
    """For each product: on hand, and whether the log's received − administered − wasted equals it."""
    sums = {
        row["product"]: row["total"]
        for row in LedgerEntry.objects.filter(site=site).values("product").annotate(total=Sum("change_mg"))
    }
    by_kind = {}
    for row in (
        LedgerEntry.objects.filter(site=site).values("product", "kind").annotate(total=Sum("change_mg"))
    ):
        by_kind.setdefault(row["product"], {})[row["kind"]] = abs(row["total"])
    rows = []
    for stock in Stock.objects.filter(site=site):
        total = sums.get(stock.product, Decimal(0))
        kinds = by_kind.get(stock.product, {})
        rows.append(
            {
                "product": stock.product,
                "on_hand": stock.on_hand_mg,
                "ledger_total": total,
                "received": kinds.get("received", Decimal(0)),
                "administered": kinds.get("administered", Decimal(0)),
                "wasted": kinds.get("wasted", Decimal(0)),
                "balances": total == stock.on_hand_mg,
            }
        )
    return rows


def administer(
    session, *, by, verified_by, given_at, route: str, amount_mg, product: str, lot: str, request=None
) -> Administration:
    """Record the dose as given, verified by a second person; take it from the site's log; the
    session is then dosed."""
    problems = []
    order = session.orders.first()
    amount = mg(amount_mg)
    if order is None:
        problems.append("There is no dose order for this session.")
    if verified_by is None or verified_by == by:
        problems.append("A second member of staff must verify the dose.")
    elif not member_may(verified_by, session.clinic_id, "sessions.chart") and not member_may(
        verified_by, session.clinic_id, "sessions.order"
    ):
        problems.append("The verifier must be a nurse or prescriber of this clinic.")
    if order is not None and route != order.route:
        problems.append(f"The order is for the {order.route} route, not {route}.")
    if order is not None and amount != order.amount_mg:
        problems.append(f"The order is for {order.amount_mg} mg; {amount} mg was entered.")
    if not lot.strip() or not product.strip():
        problems.append("Give the product and its lot number.")
    if given_at > timezone.now():
        problems.append("The time given is in the future.")
    if problems:
        raise SessionError(" ".join(problems))
    with transaction.atomic():
        given = Administration.objects.create(
            session=session,
            order=order,
            given_at=given_at,
            route=route,
            amount_mg=amount,
            product=product.strip(),
            lot=lot.strip(),
            given_by=by,
            verified_by=verified_by,
        )
        post(
            session.site,
            product,
            LedgerKind.ADMINISTERED,
            -amount,
            by=by,
            witness=verified_by,
            lot=lot.strip(),
            session=session,
            administration=given,
            request=request,
        )
        session.move(
            State.DOSED,
            by=by,
            request=request,
            reason=f"{amount} mg {given.route_label}, lot {lot}",
            dosed_at=given_at,
        )
        record(
            request,
            "create",
            given,
            patient=session.patient_id,
            clinic=session.clinic_id,
            actor=by,
            detail={"amount_mg": str(amount), "lot": lot, "verified_by": verified_by.pk},
        )
    return given
