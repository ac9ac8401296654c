"""`supportloop mail_poll [--mailbox ID] [--once] [--interval SECONDS]`: poll IMAP mailboxes for new mail."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from supportloop.mail.imap import mailboxes_poll
from supportloop.mail.models import Mailbox


class Command(BaseCommand):
    help = "Poll IMAP mailboxes and turn new mail into tickets (loops every --interval seconds unless --once)."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", type=int, help="Poll only this mailbox id.")
        parser.add_argument("--once", action="store_true", help="Poll once and exit.")
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between polls (default 60).")

    def handle(self, *args, mailbox=None, once=False, interval=60.0, **options):
        if mailbox is not None and not Mailbox.objects.filter(pk=mailbox).exists():
            raise CommandError(f"No mailbox with id {mailbox}.")
        failed = False
        while True:
            for mailbox_id, stats in mailboxes_poll(mailbox_id=mailbox).items():
                line = (
                    f"mailbox {mailbox_id}: fetched {stats.fetched}, tickets {stats.tickets}, "
                    f"threaded {stats.threaded}, quarantined {stats.quarantined}, duplicates {stats.duplicates}"
                )
                if stats.error:
                    failed = True
                    self.stderr.write(f"{line}; error: {stats.error}")
                else:
                    self.stdout.write(line)
            if once:
                break
            time.sleep(interval)
        if once and failed:
            raise CommandError("At least one mailbox could not be polled (see above).")
