"""Split an X12 interchange into segments, honouring the delimiters its ISA declares.

A segment is a plain list of strings: ``segment[0]`` is the segment ID and ``segment[n]`` is
element n, so ``eb[3]`` is EB03. Positions are 1-based indexes in the interchange (ISA is 1).
Lists rather than objects keep tokenizing cheap: a clinic may read thousands of 271s at once.
"""

import re
from dataclasses import dataclass

from .errors import X12Error

ISA_LENGTH = 106
# Widths of ISA01..ISA16; the ISA is fixed width so a reader can find the delimiters.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")

type Segment = list[str]
_valid_ids: set[str] = set()


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    repetition: str = "^"
    component: str = ":"
    segment: str = "~"

    def __iter__(self):
        return iter((self.element, self.repetition, self.component, self.segment))


# The delimiters most senders use, and kapcare writes: EB*1*IND*30^MH~
STANDARD_DELIMITERS = Delimiters()


def element(segment: Segment, n: int) -> str:
    """Element n of a segment, or "" when the sender left it off the end."""
    return segment[n] if n < len(segment) else ""


def tokenize(text: str) -> tuple[Delimiters, list[Segment]]:
    """Read the delimiters from ISA and split the interchange into segments."""
    text = text.lstrip("\ufeff \t\r\n")
    delimiters = read_delimiters(text)
    isa = text[: ISA_LENGTH - 1].split(delimiters.element)
    segments = [isa]
    pieces = text[ISA_LENGTH:].split(delimiters.segment)
    # Whatever follows the last terminator must be blank, or the input was cut short.
    tail = pieces.pop()
    # Many senders put a line break after each terminator; it is not part of the data.
    if "\n" in text or "\r" in text:
        pieces = [piece.strip("\r\n") for piece in pieces]
    separator = delimiters.element
    segments.extend(piece.split(separator) for piece in pieces)
    for index, segment in enumerate(segments[1:], start=2):
        if segment[0] not in _valid_ids:
            _check_segment_id(segment, delimiters, index)
    if tail.strip():
        unterminated = _split_segment(tail.strip("\r\n"), delimiters, len(segments) + 1)
        raise X12Error(
            f"segment is not ended by the terminator {delimiters.segment!r}; the interchange looks truncated",
            segment_id=unterminated[0],
            position=len(segments) + 1,
        )
    return delimiters, segments


def read_delimiters(text: str) -> Delimiters:
    """Check the fixed-width ISA and return the delimiters it declares."""
    if not text.startswith("ISA"):
        found = text[:3] or "nothing"
        raise X12Error(f"an interchange must start with ISA, found {found!r}", segment_id="ISA", position=1)
    if len(text) < ISA_LENGTH:
        raise X12Error(
            f"ISA is {len(text)} characters; it must be {ISA_LENGTH} (the interchange looks truncated)",
            segment_id="ISA",
            position=1,
        )
    separator, component, terminator = text[3], text[104], text[105]
    fields = text[: ISA_LENGTH - 1].split(separator)
    if len(fields) != 17:
        raise X12Error(
            f"ISA has {len(fields) - 1} elements with separator {separator!r}; it "
            "must have 16 in fixed width",
            segment_id="ISA",
            position=1,
        )
    for n, width in enumerate(ISA_WIDTHS, start=1):
        if len(fields[n]) != width:
            raise X12Error(
                f"ISA{n:02d} is {len(fields[n])} characters; it must be {width}",
                segment_id="ISA",
                position=1,
                element=n,
            )
    if fields[12] != "00501":
        raise X12Error(
            f"version {fields[12]!r} is not 5010 (00501)", segment_id="ISA", position=1, element=12
        )
    delimiters = Delimiters(separator, fields[11], component, terminator)
    _check_delimiters(delimiters)
    return delimiters


def _check_delimiters(delimiters: Delimiters) -> None:
    chars = list(delimiters)
    if len(set(chars)) != 4:
        raise X12Error(
            f"delimiters {chars!r} must be four different characters",
            segment_id="ISA",
            position=1,
            element=11,
        )
    for char in chars:
        if char.isalnum() or char == " ":
            raise X12Error(
                f"{char!r} cannot be a delimiter; letters, digits and spaces are data",
                segment_id="ISA",
                position=1,
                element=16,
            )


def _split_segment(piece: str, delimiters: Delimiters, position: int) -> Segment:
    segment = piece.split(delimiters.element)
    if segment[0] not in _valid_ids:
        _check_segment_id(segment, delimiters, position)
    return segment


def _check_segment_id(segment: Segment, delimiters: Delimiters, position: int) -> None:
    if SEGMENT_ID.fullmatch(segment[0]) is None:
        segment_id = segment[0][:12] or "(empty)"
        raise X12Error(
            f"{segment_id!r} is not a segment ID; check the element separator "
            f"{delimiters.element!r} and terminator {delimiters.segment!r} from ISA",
            segment_id=segment_id,
            position=position,
        )
    _valid_ids.add(segment[0])  # at most 36**3 IDs, and checking each once keeps reading fast


def join_segments(
    segments: list[Segment], delimiters: Delimiters = STANDARD_DELIMITERS, line_breaks: bool = False
) -> str:
    """Write segments as X12 text; the inverse of tokenize."""
    end = delimiters.segment
    if line_breaks and end not in "\r\n":
        end += "\n"
    return "".join(delimiters.element.join(segment) + end for segment in segments)
