import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from supportloop.privacy.portable import export_jsonl


class Command(BaseCommand):
    help = "Export the whole workspace as JSON Lines (every model; uploaded files by path and sha256)."

    def add_arguments(self, parser):
        parser.add_argument("--out", default="-", help="The file to write ('-': standard output).")

    def handle(self, *args, out, **options):
        if out == "-":
            header = export_jsonl(sys.stdout)
        else:
            with Path(out).open("w", encoding="utf-8") as fh:
                header = export_jsonl(fh)
            self.stderr.write(f"Exported {sum(header['counts'].values())} rows to {out}.")
