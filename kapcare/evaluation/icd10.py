"""ICD-10-CM look-ups over the current code set (simple-icd-10-cm ships it, offline)."""

from functools import cache

import simple_icd_10_cm as cm


class UnknownCode(ValueError):
    """The text is not a billable ICD-10-CM code; the message says what to do."""


def normalise(text: str) -> str:
    code = text.strip().upper().replace(" ", "")
    return cm.add_dot(code) if cm.is_valid_item(code) else code


def billable(text: str) -> str:
    """The code, dotted, if it is a billable code of the current code set; else UnknownCode."""
    code = normalise(text)
    if not code:
        raise UnknownCode("Give an ICD-10-CM code, for example F33.2.")
    if not cm.is_valid_item(code):
        raise UnknownCode(f"{code} is not an ICD-10-CM code in the current code set.")
    if not cm.is_leaf(code):
        examples = ", ".join(leaves_under(code)[:3])
        raise UnknownCode(
            f"{code} is a category, not a billable code; choose a more specific one ({examples}…)."
        )
    return code


def describe(code: str) -> str:
    return cm.get_description(code) if cm.is_valid_item(code) else ""


def leaves_under(code: str) -> list[str]:
    return [c for c in cm.get_descendants(code) if cm.is_leaf(c)]


@cache
def index() -> list[tuple[str, str, str]]:
    """(code, description, lower-case search text) for every billable code, built once."""
    rows = []
    for code in cm.get_all_codes(True):
        if cm.is_leaf(code):
            description = cm.get_description(code)
            rows.append((code, description, f"{code} {code.replace('.', '')} {description}".lower()))
    return rows


def search(query: str, limit: int = 12) -> list[tuple[str, str]]:
    """Billable codes whose code starts with the query, or whose description has all its words."""
    words = query.lower().split()
    if not words:
        return []
    prefix = query.strip().upper().replace(".", "")
    by_code = [(c, d) for c, d, _ in index() if c.replace(".", "").startswith(prefix)]
    if by_code:
        return by_code[:limit]
    return [(c, d) for c, d, text in index() if all(w in text for w in words)][:limit]
