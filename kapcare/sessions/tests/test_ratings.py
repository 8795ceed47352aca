"""Sedation and dissociation ratings: dissociation on the protocol's CADSS version, item by item
(item numbers and scores only: the item text is licensed), totalled by kapcare."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kapcare.clinics.models import Protocol
from kapcare.sessions.models import Rating, SessionError
from kapcare.sessions.monitor import record_rating

CADSS_6 = (1, 2, 6, 7, 15, 22)


def rate(session, nurse, **kwargs):
    return record_rating(
        session, by=nurse, kind="dissociation", taken_at=timezone.now() - timedelta(minutes=1), **kwargs
    )


def use_scale(session, admin, name):
    rules = session.protocol.rules
    rules["ratings"]["dissociation_scale"]["value"] = name
    protocol = Protocol.revise(session.clinic, rules, by=admin, note=f"Dissociation on {name}")
    type(session).objects.filter(pk=session.pk).update(protocol=protocol)
    session.refresh_from_db()


def test_the_default_protocol_rates_dissociation_on_the_cadss_6_and_totals_the_items(dosed, nurse):
    rating, _ = rate(dosed, nurse, items={1: 2, 2: 1, 6: 0, 7: 3, 15: 4, 22: 1})
    assert (rating.scale, rating.score) == ("CADSS-6", 11)
    assert rating.items == [
        {"item": 1, "score": 2},
        {"item": 2, "score": 1},
        {"item": 6, "score": 0},
        {"item": 7, "score": 3},
        {"item": 15, "score": 4},
        {"item": 22, "score": 1},
    ]


def test_a_dissociation_rating_missing_an_item_is_refused_and_nothing_is_stored(dosed, nurse):
    with pytest.raises(SessionError, match="item 22"):
        rate(dosed, nurse, items={n: 1 for n in CADSS_6[:-1]})
    assert not Rating.objects.exists()


def test_an_item_scored_above_4_is_refused(dosed, nurse):
    with pytest.raises(SessionError, match="item 7 is scored 0–4, not 5"):
        rate(dosed, nurse, items={n: 5 if n == 7 else 0 for n in CADSS_6})
    assert not Rating.objects.exists()


def test_an_item_the_scale_does_not_have_is_refused(dosed, nurse):
    with pytest.raises(SessionError, match="has no item 3"):
        rate(dosed, nurse, items={3: 1, **{n: 0 for n in CADSS_6}})


def test_a_total_that_disagrees_with_the_items_is_refused(dosed, nurse):
    with pytest.raises(SessionError, match="add up to 6, not 7"):
        rate(dosed, nurse, score=7, items={n: 1 for n in CADSS_6})


def test_a_clinic_on_the_23_item_cadss_scores_23_items(dosed, nurse, admin):
    use_scale(dosed, admin, "CADSS")
    with pytest.raises(SessionError, match="item 3"):
        rate(dosed, nurse, items={n: 1 for n in CADSS_6})
    rating, _ = rate(dosed, nurse, items={n: 2 for n in range(1, 24)})
    assert (rating.scale, rating.score, len(rating.items)) == ("CADSS", 46, 23)


def test_a_scale_kapcare_does_not_know_is_recorded_as_a_total(dosed, nurse, admin):
    use_scale(dosed, admin, "Clinic dissociation check")
    rating, _ = rate(dosed, nurse, score=3)
    assert (rating.scale, rating.score, rating.items) == ("Clinic dissociation check", 3, [])


def test_the_session_page_takes_the_cadss_6_item_by_item(signed_in, nurse, dosed):
    client = signed_in(nurse)
    page = client.get(f"/staff/sessions/{dosed.pk}/").content.decode()
    assert "Dissociation (CADSS-6)" in page and 'name="item_22"' in page
    form = {"kind": "dissociation", **{f"item_{n}": "1" for n in CADSS_6}}
    response = client.post(f"/staff/sessions/{dosed.pk}/ratings/", form)
    assert response.status_code == 302
    assert Rating.objects.get().score == 6
    summary = client.get(f"/staff/sessions/{dosed.pk}/summary/").content.decode()
    assert "CADSS-6 6" in summary and "item 22: 1" in summary


def test_a_missing_item_on_the_page_re_renders_with_the_error_and_saves_nothing(signed_in, nurse, dosed):
    form = {"kind": "dissociation", **{f"item_{n}": "1" for n in CADSS_6[1:]}}
    response = signed_in(nurse).post(f"/staff/sessions/{dosed.pk}/ratings/", form)
    assert response.status_code == 200
    assert "The rating was not saved" in response.content.decode()
    assert not Rating.objects.exists()


def test_a_sedation_rating_from_the_page_still_takes_one_score(signed_in, nurse, dosed):
    response = signed_in(nurse).post(
        f"/staff/sessions/{dosed.pk}/ratings/", {"kind": "sedation", "score": "4"}
    )
    assert response.status_code == 302
    assert (Rating.objects.get().scale, Rating.objects.get().score) == ("MOAA/S", 4)
