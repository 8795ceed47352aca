"""Dissociation ratings on the CADSS, scored item by item.

reference/instruments.md §3.1: ketamine trials use the 23-item CADSS, each item 0–4, total 0–92;
the CADSS-6 uses items 1, 2, 6, 7, 15 and 22 of it (total 0–24, derived). The item text is the
author's and its licence is unclear, so kapcare ships item numbers and scoring only: staff read the
items from the clinic's own licensed form and enter each score here. The clinic's protocol names the
scale (`ratings.dissociation_scale`); a scale kapcare does not know is entered as a total.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    items: tuple[int, ...]
    item_max: int = 4

    @property
    def maximum(self) -> int:
        return len(self.items) * self.item_max

    @property
    def label(self) -> str:
        return f"{self.name}: {len(self.items)} items, each 0–{self.item_max}, total 0–{self.maximum}"


SCALES = {
    "CADSS-6": Scale("CADSS-6", (1, 2, 6, 7, 15, 22)),
    "CADSS": Scale("CADSS", tuple(range(1, 24))),
}


def scale_named(name: str) -> Scale | None:
    return SCALES.get((name or "").strip().upper())


def score(scale: Scale, items: dict) -> tuple[int, list[dict]]:
    """The total and the item scores as stored, or ValueError saying which item is wrong."""
    stored = []
    for number in scale.items:
        value = items.get(number)
        if value is None:
            raise ValueError(f"Score {scale.name} item {number} (0–{scale.item_max}).")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= scale.item_max:
            raise ValueError(f"{scale.name} item {number} is scored 0–{scale.item_max}, not {value}.")
        stored.append({"item": number, "score": value})
    extra = set(items) - set(scale.items)
    if extra:
        raise ValueError(f"{scale.name} has no item {', '.join(str(n) for n in sorted(extra))}.")
    return sum(i["score"] for i in stored), stored
