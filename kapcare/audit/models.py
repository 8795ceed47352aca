"""The audit trail: who read or wrote which health information, when and from where.

Events are append-only and hash-chained: each event's hash covers its own fields and the previous
event's hash, and a single chain head row holds the latest sequence number and hash. Altering,
deleting or re-ordering any event breaks the chain, and `kapcare audit verify` says where.
"""

import hashlib
import json
from datetime import UTC

from django.db import connection, models, transaction
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
        """The event's fields as one stable string, the input to its hash: compact JSON with sorted
        keys, so "seq" comes last."""
        return self.canonical_without_seq() + f',"seq":{json.dumps(self.seq)}}}'

    def canonical_without_seq(self) -> str:
        """The canonical string without its closing brace and last field, the sequence number, which
        on PostgreSQL the database adds when it numbers the event (migration 0003, audit_chain)."""
        fields = {
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
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)[:-1]

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


# The event's columns in the order append_all writes them.
COLUMNS = [
    "seq", "at", "actor_id", "actor", "role", "clinic_id", "patient_id", "action",
    "object_type", "object_id", "address", "path", "detail", "prev_hash", "hash",
]  # fmt: skip


def append_all(rows: list[dict]) -> list[AuditEvent]:
    """Add several events at the end of the chain, in order, under one lock of its head. Inside a
    caller's transaction no savepoint is taken: an event that cannot be written fails the whole
    change it records, never just itself.

    Every audited request comes through here, so it is written-out SQL. On PostgreSQL it is one
    statement: the database numbers and hashes the events under the head's lock (audit_chain,
    migration 0003) and the statement inserts them. It is atomic on its own, so outside a
    transaction (the API's reads) it needs none, and the head is locked for that statement only;
    inside one, until its commit, as any row it changed. Python gives each event's canonical
    string up to its seq, and its `at`, taken just before: two calls at the same moment may get
    their seqs in the other order from their `at`s. On SQLite, two statements in a transaction: one
    takes the head's lock and reserves the sequence numbers, one writes the events and the new
    head hash."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        at = timezone.now()
        events = [prepared(AuditEvent(at=at, **fields)) for fields in rows]
        chain_in_postgresql(events)
    else:
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            seq, previous = reserve(cursor, len(rows))
            at = timezone.now()
            events = []
            for fields in rows:
                seq += 1
                event = prepared(AuditEvent(seq=seq, at=at, prev_hash=previous, **fields))
                event.hash = previous = event.compute_hash()
                events.append(event)
            write(cursor, events, previous)
    for event in events:
        event._state.adding = False
        event._state.db = connection.alias
    return events


def prepared(event: AuditEvent) -> AuditEvent:
    # Store `detail` as the database will give it back, so the hash verifies later.
    event.detail = json.loads(json.dumps(event.detail, default=str))
    return event


# audit_chain gives each event these; the statement takes the rest from Python.
CHAINED = ("seq", "prev_hash", "hash")
APPEND_POSTGRESQL = f"""
    WITH chain AS (SELECT * FROM audit_chain(%s::text[]))
    INSERT INTO audit_auditevent ({", ".join(COLUMNS)})
    SELECT {", ".join(f"chain.{c}" if c in CHAINED else f"given.{c}" for c in COLUMNS)}
    FROM jsonb_populate_recordset(NULL::audit_auditevent, %s::jsonb) WITH ORDINALITY AS given
    JOIN chain ON chain.n = given.ordinality
    RETURNING id, seq, prev_hash, hash
"""


def chain_in_postgresql(events: list[AuditEvent]) -> None:
    """Write the events with one statement; they come back numbered and hashed by the database."""
    given = [
        {name: getattr(event, name) for name in COLUMNS if name not in CHAINED}
        | {"at": event.at.isoformat(), "action": str(event.action)}
        for event in events
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            APPEND_POSTGRESQL, [[event.canonical_without_seq() for event in events], json.dumps(given)]
        )
        written = sorted(cursor.fetchall(), key=lambda row: row[1])
    for event, (pk, seq, prev_hash, hash_) in zip(events, written, strict=True):
        event.pk, event.seq, event.prev_hash, event.hash = pk, seq, prev_hash, hash_


def reserve(cursor, count: int) -> tuple[int, str]:
    """(SQLite) Lock the chain head and move it `count` events on: the sequence number before the first
    new event, and the hash of the event before it."""
    head = ChainHead._meta.db_table
    sql = f"UPDATE {head} SET seq = seq + %s WHERE id = 1 RETURNING seq, hash"
    cursor.execute(sql, [count])
    found = cursor.fetchone()
    if found is None:  # the very first event: make the head, then take it
        cursor.execute(
            f"INSERT INTO {head} (id, seq, hash) VALUES (1, 0, %s) ON CONFLICT DO NOTHING", [GENESIS]
        )
        cursor.execute(sql, [count])
        found = cursor.fetchone()
    return found[0] - count, found[1]


def write(cursor, events: list[AuditEvent], last_hash: str) -> None:
    """(SQLite) Insert the events numbered and hashed, and move the head's hash on."""
    table, head = AuditEvent._meta.db_table, ChainHead._meta.db_table
    ops = connection.ops
    values = []
    for event in events:
        values += [
            event.seq,
            ops.adapt_datetimefield_value(event.at),
            event.actor_id,
            event.actor,
            event.role,
            event.clinic_id,
            event.patient_id,
            str(event.action),
            event.object_type,
            event.object_id,
            event.address,
            event.path,
            json.dumps(event.detail),
            event.prev_hash,
            event.hash,
        ]
    marks = ", ".join(["(" + ", ".join(["%s"] * len(COLUMNS)) + ")"] * len(events))
    insert = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES {marks} RETURNING id"
    cursor.execute(insert, values)
    ids = sorted(row[0] for row in cursor.fetchall())
    cursor.execute(f"UPDATE {head} SET hash = %s WHERE id = 1", [last_hash])
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
