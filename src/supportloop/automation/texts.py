"""Human lines about assignment, translated: what a trigger's "assign by the team's method" did or would do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from supportloop.automation.choices import AssignmentMethod

if TYPE_CHECKING:
    from supportloop.automation.services.assignment import Choice


def assignment_line(choice: Choice | None) -> str:
    if choice is None:
        return _("Not assigned: the ticket has no team")
    if choice.method == AssignmentMethod.MANUAL:
        return _("Not assigned: the team assigns by hand")
    if choice.user is None:
        return _("Not assigned: no agent of the team is available (away, at capacity or without the skills)")
    return _("Assigned to %(user)s (%(method)s)") % {
        "user": choice.user.display_name,
        "method": AssignmentMethod(choice.method).label,
    }
