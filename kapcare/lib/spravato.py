"""What the Spravato (esketamine) label and its REMS fix, whatever a clinic's protocol says
(reference/clinical.md §3 and §4.4). Both the treatment plan (evaluation) and the dosing session
(sessions) hold esketamine to these, so they say it the same way.

- It is a nasal spray: one route, intranasal.
- Each device delivers 28 mg, so a dose is a whole number of devices; the label's doses per
  session are 56 or 84 mg (two or three devices).
- Under the SPRAVATO REMS it is never dispensed for home use.
"""

from decimal import Decimal

ROUTE = "intranasal"
DEVICE_MG = 28
LABEL_DOSES_MG = (56, 84)
SOURCE = "reference/clinical.md §3"

NOT_AT_HOME = (
    "Esketamine (Spravato) cannot be taken at home: under the SPRAVATO REMS it is never dispensed for "
    "home use and is given only in an enrolled healthcare setting with a prescriber onsite"
)


def devices(mg) -> int | None:
    """How many 28 mg devices make this dose, or None when no whole number of them does."""
    if mg is None:
        return None
    mg = Decimal(mg)
    if mg <= 0 or mg % DEVICE_MG:
        return None
    return int(mg // DEVICE_MG)


def above_label(mg) -> str:
    """Why this dose is more than the label gives in one session (84 mg), or ""."""
    most = max(LABEL_DOSES_MG)
    if mg is None or Decimal(mg) <= most:
        return ""
    return (
        f"{Decimal(mg).normalize():f} mg is above the label's highest dose per session, {most} mg "
        f"(three devices; {SOURCE})."
    )


def outside_label(mg) -> str:
    """A note when a whole number of devices is still not one of the label's doses, or ""."""
    if mg is None or Decimal(mg) in {Decimal(d) for d in LABEL_DOSES_MG}:
        return ""
    return (
        f"The label's dose per session is 56 or 84 mg (two or three devices; {SOURCE}); "
        f"{Decimal(mg).normalize():f} mg is outside it."
    )
