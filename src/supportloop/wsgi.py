import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportloop.settings")
application = get_wsgi_application()


def _warm() -> None:
    """Import every view and build the API's schemas now, not on the first request (2.5 s here): gunicorn serves
    from a worker only once this module has loaded, and with --preload the workers fork warm. Any connection the
    imports opened is closed, so no forked worker shares one."""
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf
    connections.close_all()


_warm()
