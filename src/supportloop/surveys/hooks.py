"""Extension points that let higher apps follow survey answers without surveys knowing them.

`response_listeners` are called inside the transaction that wrote a response (its first answer, or a changed one),
with the response and its answer before (sentiment, score), None for a new one: the analytics app keeps its daily
satisfaction counts in that same transaction, so they never miss or double an answer. A listener must not raise
into the answer (it guards itself and logs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supportloop.surveys.models import SurveyResponse

ResponseListener = Callable[["SurveyResponse", "tuple[str, int] | None"], None]
response_listeners: list[ResponseListener] = []


def register_response_listener(listener: ResponseListener) -> None:
    if listener not in response_listeners:
        response_listeners.append(listener)


def response_written(response: SurveyResponse, before: tuple[str, int] | None) -> None:
    for listener in response_listeners:
        listener(response, before)
