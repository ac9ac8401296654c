from __future__ import annotations

from django.contrib import admin

from supportloop.core.admin_readonly import ReadOnlyAdmin
from supportloop.quality.models import (
    Criterion,
    CriterionScore,
    QualitySettings,
    Review,
    Reviewer,
    SampleRun,
    Scorecard,
)

for model in (Scorecard, Criterion, QualitySettings, Reviewer, SampleRun, Review, CriterionScore):
    admin.site.register(model, ReadOnlyAdmin)
