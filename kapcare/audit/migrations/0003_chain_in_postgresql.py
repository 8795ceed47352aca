"""On PostgreSQL, number and hash new audit events in the database, under the chain head's lock,
so that adding a call's events is one statement (models.append_all): the head is locked from that
statement until its transaction ends, never across a round trip to the web process. Outside a
transaction (API reads) that is the statement alone.

audit_chain(canonicals) takes each new event's canonical string up to its sequence number
(AuditEvent.canonical_without_seq), in order, and returns each event's position, seq, prev_hash
and hash, computed exactly as AuditEvent.compute_hash does: sha256 of the previous hash followed
by the canonical string with ',"seq":N}' added. It moves the head by as many events. It knows no
other column, so a new column of audit_auditevent needs no change here."""

from django.db import migrations

CREATE = """
CREATE FUNCTION audit_chain(canonicals text[])
RETURNS TABLE (n integer, seq bigint, prev_hash text, hash text)
LANGUAGE plpgsql AS $$
DECLARE
    counted integer := cardinality(canonicals);
BEGIN
    UPDATE audit_chainhead AS head SET seq = head.seq + counted WHERE head.id = 1
        RETURNING head.seq - counted, head.hash INTO audit_chain.seq, audit_chain.hash;
    IF NOT FOUND THEN  -- the very first event: make the head, then take it
        INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, 0, repeat('0', 64)) ON CONFLICT DO NOTHING;
        UPDATE audit_chainhead AS head SET seq = head.seq + counted WHERE head.id = 1
            RETURNING head.seq - counted, head.hash INTO audit_chain.seq, audit_chain.hash;
    END IF;
    FOR i IN 1 .. counted LOOP
        n := i;
        prev_hash := audit_chain.hash;
        seq := audit_chain.seq + 1;
        hash := encode(
            sha256(convert_to(prev_hash || canonicals[i] || ',"seq":' || audit_chain.seq || '}', 'UTF8')),
            'hex'
        );
        RETURN NEXT;
    END LOOP;
    UPDATE audit_chainhead AS head SET hash = audit_chain.hash WHERE head.id = 1;
END;
$$;
"""
DROP = "DROP FUNCTION IF EXISTS audit_chain(text[]);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(create, drop)]
