"""Finding a patient by what staff have to hand: name, date of birth, MRN or phone number."""

import re
from datetime import date, datetime

import phonenumbers
from django.db.models import Q

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y")
MRN = re.compile(r"^[A-Za-z]?\d{3,}$")
PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")


def parse_date(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_phone(text: str, region: str = "US") -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def patient_filter(query: str) -> Q:
    text = query.strip()
    if born := parse_date(text):
        return Q(date_of_birth=born)
    condition = Q()
    if MRN.match(text):
        condition |= Q(mrn__iexact=text)
    if PHONE.match(text) and (phone := parse_phone(text)):
        condition |= Q(phone=phone) | Q(emergency_contact_phone=phone)
    if condition:
        return condition
    words = Q()
    for word in text.split():
        words &= (
            Q(legal_first_name__icontains=word)
            | Q(legal_last_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return words
