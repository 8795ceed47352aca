"""The measures app lists the questionnaires to answer in the portal through `portal_panels`."""

from django.urls import reverse


def test_the_home_page_mounts_the_questionnaires_panel_of_the_measures_app(portal):
    page = portal.get(reverse("portal:home")).content.decode()
    assert f'hx-get="{reverse("portal:questionnaires")}"' in page
    assert f'<a href="{reverse("portal:questionnaires")}">open this section</a>' in page
