"""Background jobs by name, so a service can queue work that its app's tasks module defines without importing it.

A task runs a service, so a tasks module imports its services at module level; if the services imported the tasks
back to queue them, the two would form an import circle (held together by imports inside functions). Instead each
app's AppConfig.ready() registers its tasks here by name, and a service calls
`job_enqueue("feedback.close_the_loop", item_id=..., kind=...)`.
"""

from __future__ import annotations

from typing import Any, Protocol


class Enqueueable(Protocol):
    def enqueue(self, *args: Any, **kwargs: Any) -> Any: ...


_registry: dict[str, Enqueueable] = {}


def job_register(name: str, task: Enqueueable) -> None:
    """Make `task` (a django-tasks Task) the job called `name`; an app calls it from AppConfig.ready()."""
    _registry[name] = task


def job_enqueue(name: str, **kwargs: Any) -> None:
    """Queue the job called `name` with these arguments. LookupError when no app registered it: a programming
    error (a misspelt name or an app missing from INSTALLED_APPS), never a silent no-op."""
    try:
        task = _registry[name]
    except KeyError:
        raise LookupError(f"No background job named {name!r} is registered.") from None
    task.enqueue(**kwargs)


def job_task(name: str) -> Any:
    """The task registered as `name` itself, for a service that needs more than `enqueue` (a deferred run with
    `using(run_after=...)`, the backend's abilities). LookupError as job_enqueue."""
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"No background job named {name!r} is registered.") from None
