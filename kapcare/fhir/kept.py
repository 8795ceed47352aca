"""What of a resource a client sent kapcare did not keep, said back to the client.

kapcare's models are the truth, and they do not hold every element FHIR allows: a Patient's SSN,
race and ethnicity, marital status or home phone; an Observation's interpretation or note. A create
or update keeps what kapcare models and leaves the rest, so the resource read back can have less
than the one sent. Left unsaid, an integration would only find out by comparing the two. So the
sent resource is compared with the one kapcare kept, and each element or list item sent that has
no counterpart in what was kept is named, with its FHIRPath:
- with `Prefer: return=OperationOutcome` on a create or update, as warnings in the answer;
- in a transaction or batch response, in each entry's `response.outcome`;
- by `$import-bundle`, counted by element over the whole record.

Values kapcare normalises (a phone number in E.164, a date with its time zone) are not reported:
the element is kept, written as kapcare writes it. Only what is missing is.
"""

from kapcare.fhir.errors import issue

# Elements that are about the message rather than the record, or that kapcare writes itself.
NOT_COMPARED = {"id", "meta", "text", "resourceType", "implicitRules", "language"}
# The fields that tell a list item apart, to say which one was not kept. Never its value: the
# answer would repeat an SSN or a phone number into the integration's logs.
LABELS = ("url", "system", "use", "code")
# Fields that say what a list item is: two items that differ in one of them are different things,
# however much else they share. Another hospital's MRN is not the clinic's MRN because both are
# `usual` medical record numbers; an extension with another url is another extension.
IDENTITY = ("system", "url")


def not_kept(sent: dict, kept: dict) -> list[str]:
    """The FHIRPath of each element or list item in `sent` that `kept` does not have."""
    root = sent.get("resourceType", "Resource")
    return list(missing(sent, kept, root, top=True))


def missing(sent, kept, path: str, *, top: bool = False):
    if isinstance(sent, dict):
        if not isinstance(kept, dict):
            yield path
            return
        for key, value in sent.items():
            if top and key in NOT_COMPARED:
                continue
            if value in (None, [], {}, ""):
                continue
            if key not in kept:
                yield f"{path}.{key}"
            else:
                yield from missing(value, kept[key], f"{path}.{key}")
    elif isinstance(sent, list):
        others = kept if isinstance(kept, list) else [kept]
        for index, partner in paired(sent, others):
            item_path = f"{path}[{index}]"
            if partner is None:
                yield item_path + label(sent[index])
            else:
                yield from missing(sent[index], partner, item_path)


def paired(sent: list, kept: list) -> list[tuple[int, object]]:
    """Each sent item with the kept item most like it (each kept item used once), or None.
    Items are alike by the scalar values they share at the same place."""
    scores = sorted(
        ((likeness(item, other), i, j) for i, item in enumerate(sent) for j, other in enumerate(kept)),
        key=lambda score: (-score[0], score[1], score[2]),
    )
    partner: dict[int, object] = {}
    used = set()
    for score, i, j in scores:
        if score == 0 or i in partner or j in used or different(sent[i], kept[j]):
            continue
        partner[i] = kept[j]
        used.add(j)
    return [(i, partner.get(i)) for i in range(len(sent))]


def different(sent, kept) -> bool:
    """Whether two items say they are different things (another system, another url)."""
    if not isinstance(sent, dict) or not isinstance(kept, dict):
        return False
    return any(
        key in sent and key in kept and isinstance(sent[key], str) and sent[key] != kept[key]
        for key in IDENTITY
    )


def likeness(sent, kept) -> int:
    if isinstance(sent, dict) and isinstance(kept, dict):
        return sum(likeness(value, kept[key]) for key, value in sent.items() if key in kept)
    if isinstance(sent, list) and isinstance(kept, list):
        return sum(max((likeness(item, other) for other in kept), default=0) for item in sent)
    if isinstance(sent, (dict, list)) or isinstance(kept, (dict, list)):
        return 0
    return int(sent == kept)


def label(item) -> str:
    """' (url ...)' or ' (system ..., use ...)': enough to tell which item is meant."""
    if not isinstance(item, dict):
        return ""
    said = [f"{key} {item[key]}" for key in LABELS if isinstance(item.get(key), (str, int, bool))]
    return f" ({', '.join(said[:2])})" if said else ""


def warnings(sent: dict, kept: dict) -> list[dict]:
    """OperationOutcome issues for what was not kept, one per element or item."""
    return [
        issue(
            f"{path} was not kept: kapcare does not record it.",
            severity="warning",
            code="informational",
            expression=path.split(" (")[0],
        )
        for path in not_kept(sent, kept)
    ]
