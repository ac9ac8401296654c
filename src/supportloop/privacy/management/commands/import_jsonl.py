from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from supportloop.privacy.portable import PortableError, import_jsonl


class Command(BaseCommand):
    help = "Import a `supportloop export_jsonl` file into an empty workspace, in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON Lines file.")

    def handle(self, *args, file, **options):
        try:
            with Path(file).open(encoding="utf-8") as fh:
                result = import_jsonl(fh)
        except (OSError, PortableError) as exc:
            raise CommandError(str(exc)) from exc
        files = result["files"]
        self.stdout.write(
            f"Imported {sum(result['counts'].values())} rows; changes cursor {result['changes_cursor']}; "
            f"files missing {files['missing']}, different {files['different']}."
        )
