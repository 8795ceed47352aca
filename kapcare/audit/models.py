"""The audit trail: who read or wrote which health information, when and from where.

Events are append-only and hash-chained: each event's hash covers its own fields and the previous
event's hash, and a single chain head row holds the latest sequence number and hash. Altering,
deleting or re-ordering any event breaks the chain, and `kapcare audit verify` says where.
"""

import hashlib
import json
from datetime import UTC

from django.db import models, transaction
from django.utils import timezone

GENESIS = "0" * 64


class Action(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed or searched"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    SIGN = "sign", "Signed"
    TRANSITION = "transition", "Changed state"
    EXPORT = "export", "Exported"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    SECURITY = "security", "Security setting"


class AppendOnly(Exception):
    """Raised on any attempt to change or delete an audit event through the ORM."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnly("Audit events cannot be deleted.")

    def for_clinic(self, clinic_id):
        return self.filter(clinic_id=clinic_id)


class AuditEvent(models.Model):
    """One read or write of health information, or one security event, by one person."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=254, blank=True, help_text="Email of the person, or the API client.")
    role = models.CharField(max_length=32, blank=True)
    clinic_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["clinic_id", "-seq"], name="audit_clinic_recent")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit events cannot be deleted.")

    def canonical(self) -> str:
        """The event's fields as one stable string, the input to its hash."""
        fields = {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor": self.actor,
            "role": self.role,
            "clinic_id": self.clinic_id,
            "patient_id": self.patient_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "address": self.address,
            "path": self.path,
            "detail": self.detail,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode()).hexdigest()


class ChainHead(models.Model):
    """The last event's sequence number and hash; a single row, locked while an event is added."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_single_chain_head")]

    def __str__(self) -> str:
        return f"audit chain head at #{self.seq}"


def append(**fields) -> AuditEvent:
    """Add one event at the end of the chain."""
    return append_all([fields])[0]


def append_all(rows: list[dict]) -> list[AuditEvent]:
    """Add several events at the end of the chain, in order, under one lock of its head. Inside a
    caller's transaction no savepoint is taken: an event that cannot be written fails the whole
    change it records, never just itself."""
    with transaction.atomic(savepoint=False):
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        events, seq, previous, at = [], head.seq, head.hash, timezone.now()
        for fields in rows:
            seq += 1
            event = AuditEvent(seq=seq, at=at, prev_hash=previous, **fields)
            # Store `detail` as the database will give it back, so the hash verifies later.
            event.detail = json.loads(json.dumps(event.detail, default=str))
            event.hash = previous = event.compute_hash()
            events.append(event)
        if len(events) == 1:
            events[0].save()
        else:
            AuditEvent.objects.bulk_create(events)
        ChainHead.objects.filter(id=1).update(seq=seq, hash=previous)
    return events
