"""The automatic-mail gate as seen from apps below `mail` (feedback's close-the-loop notices, later triggers).

Apps depend downward, and the guard that decides whether an automatic mail may go (machine senders, our own
addresses, suppressed addresses, per-recipient and per-ticket limits) lives in `mail.services.guard`. So the
mail app registers it here from its AppConfig.ready(), and callers below it ask this module. Nothing here
imports mail. Without a registered gate every automatic mail is refused: a missing guard must not open the
gate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

NO_GATE = "no automatic-mail guard is installed (the mail app registers it)"


@dataclass(frozen=True)
class Gate:
    """What the mail app provides. Each function returns the reason a mail must not go, or "" when it may.

    `blocked` only asks (previews); `claim` asks and records the answer, counting a mail let through towards
    the limits and writing every refusal where admins and agents see it; `temporary` tells whether a reason
    passes by itself (a rate limit), so the caller tries again later instead of giving up."""

    blocked: Callable[..., str]
    claim: Callable[..., str]
    temporary: Callable[[str], bool]


_gate: Gate | None = None


def register_gate(gate: Gate) -> None:
    global _gate
    _gate = gate


def registered_gate() -> Gate | None:
    return _gate


def automatic_mail_blocked(*, recipient: str, ticket_id: int | None = None) -> str:
    """Why an automatic notice must not go to `recipient` now ("" when it may); records nothing."""
    return NO_GATE if _gate is None else _gate.blocked(recipient=recipient, ticket_id=ticket_id)


def automatic_mail_claim(*, recipient: str, ticket_id: int | None = None) -> str:
    """Ask the gate and record the answer: "" means send it now (it counts from now on)."""
    return NO_GATE if _gate is None else _gate.claim(recipient=recipient, ticket_id=ticket_id)


def refusal_is_temporary(reason: str) -> bool:
    """A refusal that passes by itself (a limit over a time window): try again later."""
    return bool(reason) and _gate is not None and _gate.temporary(reason)
