"""The National Provider Identifier: ten digits, the last a Luhn check digit over the NPI prefixed
with 80840, as CMS defines it. A clinic's organisation NPI goes in eligibility inquiries; a
clinician's individual NPI is their identifier as a FHIR Practitioner."""

from django.core.exceptions import ValidationError

SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def is_valid_npi(npi: str) -> bool:
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    digits = [int(char) for char in "80840" + npi]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def validate_npi(value: str) -> None:
    if not is_valid_npi(value):
        raise ValidationError("An NPI is 10 digits with a correct check digit; check it against NPPES.")
