from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from supportloop.api.urls import api
from supportloop.core import health

urlpatterns = [
    path("health/", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("health/ready/", health.ready),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("mail/", include("supportloop.mail.urls")),
    path("team/", include("supportloop.web.team_urls")),
    path("", include("supportloop.web.quality_urls")),  # /quality/reviews/..., /reports/quality/
    path("", include("supportloop.web.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
