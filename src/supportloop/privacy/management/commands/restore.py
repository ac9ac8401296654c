from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from supportloop.privacy.backup import BackupError, backup_restore, restore_check


class Command(BaseCommand):
    help = "Restore a backup made by `supportloop backup`: checksums first, into an empty database unless --force."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The backup directory (with manifest.json).")
        parser.add_argument("--force", action="store_true", help="Restore over a database that holds rows.")

    def handle(self, *args, directory, force, **options):
        try:
            manifest = backup_restore(src=Path(directory), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        problems = restore_check(manifest)
        if problems:
            raise CommandError("Restored, but it differs from the backup: " + "; ".join(problems))
        self.stdout.write(
            f"Restored {sum(manifest['counts'].values())} rows; changes cursor {manifest['changes_cursor']}."
        )
