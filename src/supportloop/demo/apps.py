from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and scale data: the `seed` and `demo` commands. The top floor: it may import every app, and no app
    imports it. Each domain app adds its own data through a `seeding` hook (see management/commands/seed.py)."""

    name = "supportloop.demo"
    label = "demo"
    verbose_name = "Demo data"
