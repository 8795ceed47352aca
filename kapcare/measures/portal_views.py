"""The patient portal's section of questionnaires still to answer.

The portal serves this view and guards it (sign-in, idle time, audit) through `portal_panels` on
this app's config, so measures never imports the portal: the view reads `request.portal_patient`.
"""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kapcare.measures import links
from kapcare.measures.models import Channel, Invitation


@require_GET
def panel(request):
    """Questionnaires the signed-in patient has been asked to answer and has not yet."""
    patient = request.portal_patient
    waiting = [
        (invitation, links.token_for(invitation))
        for invitation in Invitation.objects.filter(patient=patient, due_at__lte=timezone.now())
        .open()
        .exclude(assignment__channel=Channel.CLINIC)
        .select_related("instrument")
    ]
    template = "measures/portal_panel.html#panel" if request.htmx else "measures/portal_panel.html"
    return render(request, template, {"waiting": waiting, "patient": patient})
