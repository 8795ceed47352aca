"""The tokenizer reads delimiters from ISA and splits segments; bad input names its spot."""

from pathlib import Path

import pytest

from kapcare.coverage.x12 import Delimiters, X12Error, tokenize
from kapcare.coverage.x12.segments import join_segments

FIXTURES = Path(__file__).parent / "x12"
ISA = (
    "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*KAPCARE        *260115*0931*^*"
    "00501*000004711*0*P*:~"
)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(newline="")


def raises_x12(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        tokenize(text)
    return caught.value


def test_isa_is_fixed_width_106_characters():
    assert len(ISA) == 106


def test_it_reads_the_standard_delimiters_from_isa():
    delimiters, segments = tokenize(fixture("271_subscriber_active.x12"))
    assert delimiters == Delimiters("*", "^", ":", "~")
    assert segments[0][0] == "ISA" and segments[0][13] == "000004711"
    assert segments[1][:2] == ["GS", "HB"]
    assert segments[-1] == ["IEA", "1", "000004711"]


def test_it_honours_other_delimiters_declared_in_isa():
    delimiters, segments = tokenize(fixture("271_pipe_delimiters.x12"))
    assert delimiters == Delimiters("|", "!", ">", "\n")
    eb = next(segment for segment in segments if segment[:2] == ["EB", "B"])
    assert eb[3] == "A6" and eb[13] == "HC>90837"


def test_it_tolerates_line_breaks_after_terminators():
    one_line = fixture("271_subscriber_not_found.x12")
    with_crlf = one_line.replace("~", "~\r\n")
    with_lf = one_line.replace("~", "~\n")
    assert tokenize(with_crlf) == tokenize(one_line) == tokenize(with_lf)


def test_it_tolerates_a_byte_order_mark_and_leading_blank_lines():
    text = fixture("271_subscriber_not_found.x12")
    assert tokenize("\ufeff\r\n" + text) == tokenize(text)


def test_positions_count_isa_as_segment_one():
    text = fixture("271_subscriber_not_found.x12").replace("AAA*Y**75*C~", "AAA*Y**75*C~~")
    error = raises_x12(text)
    # ISA GS ST BHT HL NM1 HL NM1 HL TRN NM1 AAA are 1..12; the empty segment is 13.
    assert (error.segment_id, error.position) == ("(empty)", 13)


@pytest.mark.parametrize("text", ["", "   ", "hello", '{"member": "x"}', "GS*HB*X~"])
def test_it_refuses_input_that_does_not_start_with_isa(text):
    error = raises_x12(text)
    assert (error.segment_id, error.position) == ("ISA", 1)
    assert "must start with ISA" in error.message


def test_it_refuses_an_isa_cut_short():
    error = raises_x12(ISA[:80])
    assert (error.segment_id, error.position) == ("ISA", 1)
    assert "80 characters" in error.message


def test_it_names_the_isa_element_with_the_wrong_width():
    short_sender = ISA.replace("CLEARINGHOUSE  ", "CLEARINGHOUSE ") + " "
    error = raises_x12(short_sender + "IEA*1*000004711~")
    assert error.element in (6, 7)  # the width error shows at ISA06 or where it shifted


def test_it_refuses_an_isa_whose_separator_is_not_used_throughout():
    mixed = ISA[:50].replace("*", "|", 3) + ISA[50:]
    assert "elements" in raises_x12(mixed + "IEA*1*000004711~").message


def test_it_refuses_a_version_other_than_5010():
    error = raises_x12(ISA.replace("*00501*", "*00401*") + "IEA*1*000004711~")
    assert error.element == 12 and "5010" in error.message


def test_it_refuses_letters_as_delimiters():
    error = raises_x12(ISA.replace("*^*00501", "*U*00501") + "IEA*1*000004711~")
    assert "cannot be a delimiter" in error.message


def test_it_refuses_the_same_character_for_two_delimiters():
    error = raises_x12(ISA.replace("*^*00501", "*:*00501") + "IEA*1*000004711~")
    assert "four different characters" in error.message


def test_it_names_the_unterminated_segment_when_input_is_truncated():
    text = fixture("271_subscriber_active.x12").rstrip()[:-6]  # cut into IEA
    error = raises_x12(text)
    assert error.segment_id == "IEA" and error.position == 47  # ISA, GS, 43 in ST..SE, GE
    assert "truncated" in error.message


def test_it_names_a_segment_written_with_another_element_separator():
    text = fixture("271_subscriber_not_found.x12").replace("DMG*D8*19900115", "DMG|D8|19900115")
    error = raises_x12(text)
    assert error.position == 13 and error.segment_id.startswith("DMG|D8")
    assert "element separator '*'" in error.message


def test_error_text_names_segment_position_and_element():
    error = X12Error("not a number", segment_id="EB", position=23, element=7)
    assert str(error) == "EB (segment 23, element 7): not a number"
    assert error.to_dict() == {"segment_id": "EB", "position": 23, "element": 7, "message": "not a number"}
    assert isinstance(error, ValueError)


def test_join_segments_writes_what_tokenize_reads():
    delimiters, segments = tokenize(fixture("271_pipe_delimiters.x12"))
    assert tokenize(join_segments(segments, delimiters)) == (delimiters, segments)
    written = join_segments(segments, delimiters, line_breaks=True)
    assert "\n\n" not in written  # a newline terminator gets no extra line break
