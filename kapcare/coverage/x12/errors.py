"""Errors raised while reading or writing X12 eligibility transactions."""


class X12Error(ValueError):
    """Malformed or inconsistent X12: which segment, where it is, and what is wrong.

    `position` is the 1-based index of the segment in the interchange (ISA is 1), so staff
    and support can find the spot in the raw text; `element` is set when one element is at
    fault (EB07 is element 7 of EB).
    """

    def __init__(self, message: str, *, segment_id: str, position: int, element: int | None = None):
        self.message = message
        self.segment_id = segment_id
        self.position = position
        self.element = element
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.segment_id} (segment {self.position}"
        if self.element is not None:
            where += f", element {self.element}"
        return f"{where}): {self.message}"

    def to_dict(self) -> dict:
        return {
            "segment_id": self.segment_id,
            "position": self.position,
            "element": self.element,
            "message": self.message,
        }


class InquiryError(ValueError):
    """A 270 cannot be built from this input; `field` names the input to fix."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
