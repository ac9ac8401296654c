"""Shift patterns (several shifts a day, local times in a time zone) and swap requests (propose, accept or
decline). Existing shifts were the one 09:00-17:00 duty day: they get a "Day" pattern with those hours, so the
pattern can be required (reverse: the pattern column goes, shifts stay)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import supportloop.team.models


def day_pattern_for_existing_shifts(apps, schema_editor):
    import datetime

    Shift = apps.get_model("team", "Shift")
    ShiftPattern = apps.get_model("team", "ShiftPattern")
    if not Shift.objects.exists():
        return
    day = ShiftPattern.objects.create(name="Day", start_time=datetime.time(9), end_time=datetime.time(17))
    Shift.objects.update(pattern=day)


class Migration(migrations.Migration):
    dependencies = [
        ("team", "0002_team_shadowing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ShiftPattern",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=60, unique=True, verbose_name="name")),
                ("start_time", models.TimeField(verbose_name="starts (local)")),
                ("end_time", models.TimeField(verbose_name="ends (local)")),
                ("time_zone", models.CharField(blank=True, max_length=64, verbose_name="time zone")),
                (
                    "weekdays",
                    models.JSONField(default=supportloop.team.models.all_weekdays, verbose_name="weekdays it runs"),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="order")),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created")),
            ],
            options={
                "verbose_name": "shift pattern",
                "verbose_name_plural": "shift patterns",
                "ordering": ["position", "start_time", "id"],
            },
        ),
        migrations.CreateModel(
            name="SwapRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("proposed", "Proposed"),
                            ("accepted", "Accepted"),
                            ("declined", "Declined"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        default="proposed",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="proposed")),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided")),
            ],
            options={
                "verbose_name": "swap request",
                "verbose_name_plural": "swap requests",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AlterModelOptions(
            name="shift",
            options={"ordering": ["date", "starts_at"], "verbose_name": "shift", "verbose_name_plural": "shifts"},
        ),
        migrations.AlterField(
            model_name="shift",
            name="date",
            field=models.DateField(verbose_name="date"),
        ),
        migrations.AddField(
            model_name="shift",
            name="pattern",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="shifts",
                to="team.shiftpattern",
                verbose_name="shift pattern",
            ),
        ),
        migrations.RunPython(day_pattern_for_existing_shifts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="shift",
            name="pattern",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="shifts",
                to="team.shiftpattern",
                verbose_name="shift pattern",
            ),
        ),
        migrations.AddConstraint(
            model_name="shift",
            constraint=models.UniqueConstraint(fields=("date", "pattern"), name="team_shift_one_per_pattern"),
        ),
        migrations.AddField(
            model_name="swaprequest",
            name="from_user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="swaprequest",
            name="other_shift",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="team.shift"
            ),
        ),
        migrations.AddField(
            model_name="swaprequest",
            name="shift",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="swap_requests", to="team.shift"
            ),
        ),
        migrations.AddField(
            model_name="swaprequest",
            name="to_user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="swap_requests", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddConstraint(
            model_name="swaprequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "proposed")), fields=("shift",), name="team_swaprequest_one_open"
            ),
        ),
    ]
