"""Proving the audit trail intact: every event in order, each hash recomputed and linked."""

from dataclasses import dataclass

from kapcare.audit.models import GENESIS, AuditEvent, ChainHead


@dataclass
class Verdict:
    intact: bool
    checked: int
    message: str
    broken_seq: int | None = None


def verify_chain(chunk_size: int = 5000) -> Verdict:
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    events = AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size)
    for event in events:
        if event.seq != expected_seq:
            return broken(
                expected_seq,
                checked,
                f"event #{expected_seq} is missing (next found is #{event.seq})",
            )
        if event.prev_hash != prev_hash:
            return broken(event.seq, checked, f"event #{event.seq} does not link to the event before it")
        if event.compute_hash() != event.hash:
            return broken(event.seq, checked, f"event #{event.seq} was altered (its hash does not match)")
        expected_seq, prev_hash, checked = expected_seq + 1, event.hash, checked + 1
    head = ChainHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != checked or head_hash != prev_hash:
        return broken(
            checked + 1,
            checked,
            f"the trail ends at #{checked} but the chain head records #{head_seq}",
        )
    return Verdict(True, checked, f"audit trail intact: {checked} events")


def broken(seq: int, checked: int, reason: str) -> Verdict:
    return Verdict(False, checked, f"audit trail broken at event #{seq}: {reason}", broken_seq=seq)
