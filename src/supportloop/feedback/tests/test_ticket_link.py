"""The ticket page's "Link to feedback" is one service and one transaction."""

import pytest

from supportloop.core.errors import ValidationFailed
from supportloop.feedback.models import Evidence, FeedbackItem
from supportloop.feedback.services import ticket_feedback_link


def test_a_refused_link_leaves_no_new_item_behind(agent, contact, ticket_for):
    ticket = ticket_for(contact("Li"))
    with pytest.raises(ValidationFailed):
        ticket_feedback_link(
            ticket=ticket, actor=agent, new_kind="bug", new_title="Export breaks", quote="it breaks", importance="x"
        )
    assert not FeedbackItem.objects.filter(title="Export breaks").exists()


def test_a_new_item_is_opened_from_the_ticket_and_linked(agent, contact, ticket_for, feature):
    ticket = ticket_for(contact("Li"))
    item, evidence = ticket_feedback_link(
        ticket=ticket, actor=agent, new_kind="bug", new_title=" Export breaks ", quote="it breaks"
    )
    assert (item.title, item.problem) == ("Export breaks", "it breaks")
    assert Evidence.objects.get(pk=evidence.pk).ticket_id == ticket.pk
