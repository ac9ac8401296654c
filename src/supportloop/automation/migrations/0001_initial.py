# The automation app's first migration: empty, so that each part's models can be added by its own
# migration depending on this one.
from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations: list[migrations.operations.base.Operation] = []
