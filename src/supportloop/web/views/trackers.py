"""The item page's ship proposals (an engineering tracker closed a linked issue): dismissing one. Accepting one is
the item's normal status change to shipped (web/views/product.py item_status, with its confirmation)."""

from __future__ import annotations

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportloop.core.errors import DomainError
from supportloop.core.lookup import object_or_404
from supportloop.feedback.models import ShipProposal
from supportloop.feedback.services.proposals import ship_proposal_dismiss
from supportloop.web.views.common import PageRequest, page


@require_POST
@page("feedback.manage")
def ship_proposal_dismiss_view(request: PageRequest, pk: int, proposal_id: int) -> HttpResponseBase:
    proposal = object_or_404(ShipProposal.objects.filter(item_id=pk), pk=proposal_id)
    try:
        ship_proposal_dismiss(proposal=proposal, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Proposal dismissed; the item's status is unchanged."))
    return redirect("web:item", pk=pk)
