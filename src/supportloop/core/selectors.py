from django.db.models import Model, QuerySet

from supportloop.core.models import Event


def events_for(target: Model) -> QuerySet[Event]:
    """The audit trail of one object, oldest first."""
    return Event.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk)).order_by(
        "created_at", "id"
    )
