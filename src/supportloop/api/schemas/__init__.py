"""Request and response schemas of the API, one module per domain: common.py (ids, dates, the strict base of
request bodies, problem documents), tickets.py, customers.py, feedback.py, analytics.py. Output schemas build
their rows with classmethods named after what they take (`TicketOut.from_ticket`, `FeedbackItemOut.from_item`)."""

from supportloop.api.schemas.common import (  # noqa: F401
    DB_INT_MAX,
    PROBLEMS,
    Id,
    PathId,
    Problem,
    StrictIn,
    UtcDatetime,
)
