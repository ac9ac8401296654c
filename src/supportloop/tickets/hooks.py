"""Extension points that let higher apps react to ticket events without tickets knowing them.

The mail app registers a listener for public replies so it can send them; tickets itself never imports mail.
Listeners are called after the transaction commits, with ids only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

public_reply_listeners: list[Callable[[int], None]] = []
# Addresses other apps send customers mail from (the close-the-loop sender): the mail app treats mail from
# them as our own coming back, never as a customer's.
own_sender_providers: list[Callable[[], Iterable[str]]] = []


def register_public_reply_listener(listener: Callable[[int], None]) -> None:
    if listener not in public_reply_listeners:
        public_reply_listeners.append(listener)


def register_own_sender_provider(provider: Callable[[], Iterable[str]]) -> None:
    if provider not in own_sender_providers:
        own_sender_providers.append(provider)


def own_sender_addresses() -> list[str]:
    return [address for provider in own_sender_providers for address in provider() if address]
