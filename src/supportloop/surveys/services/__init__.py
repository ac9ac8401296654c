"""Every write of the surveys app, by entity: settings (config), scheduling and sending (sending), answers and
bad ratings (answers). Import from here."""

from supportloop.surveys.services.answers import (
    COMMENT_MAX,
    Recorded,
    SurveyLinkRefused,
    bad_rating_alert_send,
    bad_rating_handle,
    bad_rating_leads,
    parse_score,
    survey_answer,
    survey_send_for_token,
)
from supportloop.surveys.services.config import LIMITS, SETTINGS_FIELDS, survey_settings, survey_settings_update
from supportloop.surveys.services.sending import (
    nps_schedule_due,
    score_label,
    survey_link,
    survey_mail_render,
    survey_on_ticket_event,
    survey_question,
    survey_schedule_for_ticket,
    survey_send_deliver,
    survey_sends_deliver_due,
    survey_sends_due,
    survey_subject,
    token_digest,
)

__all__ = [
    "COMMENT_MAX",
    "LIMITS",
    "SETTINGS_FIELDS",
    "Recorded",
    "SurveyLinkRefused",
    "bad_rating_alert_send",
    "bad_rating_handle",
    "bad_rating_leads",
    "nps_schedule_due",
    "parse_score",
    "score_label",
    "survey_answer",
    "survey_link",
    "survey_mail_render",
    "survey_on_ticket_event",
    "survey_question",
    "survey_schedule_for_ticket",
    "survey_send_deliver",
    "survey_send_for_token",
    "survey_sends_deliver_due",
    "survey_sends_due",
    "survey_settings",
    "survey_settings_update",
    "survey_subject",
    "token_digest",
]
