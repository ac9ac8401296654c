"""/mail/: inbound endpoints. /mail/inbound/<esp>/ are django-anymail's provider views (basic auth with
ANYMAIL["WEBHOOK_SECRET"], and they do not exist while it is unset: anymail would accept anyone's posts);
/mail/inbound/raw/<mailbox id>/ takes raw MIME with a per-mailbox token."""

from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.brevo import BrevoInboundWebhookView
from anymail.webhooks.mailersend import MailerSendInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView
from anymail.webhooks.postal import PostalInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.resend import ResendInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView
from django.conf import settings
from django.http import Http404
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from supportloop.mail import views

app_name = "mail"

INBOUND_VIEWS = {
    "amazon_ses": AmazonSESInboundWebhookView,
    "brevo": BrevoInboundWebhookView,
    "mailersend": MailerSendInboundWebhookView,
    "mailgun": MailgunInboundWebhookView,
    "mailjet": MailjetInboundWebhookView,
    "postal": PostalInboundWebhookView,
    "postmark": PostmarkInboundWebhookView,
    "resend": ResendInboundWebhookView,
    "sendgrid": SendGridInboundWebhookView,
    "sparkpost": SparkPostInboundWebhookView,
}


def _with_secret(view):
    """A provider view that answers 404 unless a webhook secret is configured (checked on every request)."""

    @csrf_exempt
    def guarded(request, *args, **kwargs):
        if not (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"):
            raise Http404("Provider webhooks are off: ANYMAIL_WEBHOOK_SECRET is not set.")
        return view(request, *args, **kwargs)

    guarded.__name__ = getattr(view, "__name__", "inbound_webhook")
    return guarded


urlpatterns = [
    path("inbound/raw/<int:mailbox_id>/", views.raw_inbound, name="inbound_raw"),
    *[
        path(f"inbound/{esp}/", _with_secret(view.as_view()), name=f"inbound_{esp}")
        for esp, view in INBOUND_VIEWS.items()
    ],
]
