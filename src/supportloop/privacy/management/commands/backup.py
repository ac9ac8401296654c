from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from supportloop.privacy.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into a new directory, with a checksum manifest."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="A new (or empty) directory for the backup.")

    def handle(self, *args, out, **options):
        try:
            manifest = backup_create(out=Path(out))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"Backed up {rows} rows and {len(manifest['files'])} files to {out} "
            f"(changes cursor {manifest['changes_cursor']})."
        )
