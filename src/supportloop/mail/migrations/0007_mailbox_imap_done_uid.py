from django.db import migrations, models


def existing_mailboxes_are_done(apps, schema_editor):
    """Mailboxes polled before this field existed were told the server after every commit: done = last."""
    Mailbox = apps.get_model("mail", "Mailbox")
    Mailbox.objects.update(imap_done_uid=models.F("imap_last_uid"))


class Migration(migrations.Migration):
    dependencies = [("mail", "0006_outbox_message")]

    operations = [
        migrations.AddField(
            model_name="mailbox",
            name="imap_done_uid",
            field=models.BigIntegerField(default=0, editable=False, verbose_name="last IMAP UID flagged or moved"),
        ),
        migrations.RunPython(existing_mailboxes_are_done, migrations.RunPython.noop),
    ]
