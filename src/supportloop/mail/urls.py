"""/mail/: inbound endpoints. /mail/inbound/<esp>/ are django-anymail's provider views (basic auth with
ANYMAIL["WEBHOOK_SECRET"]); /mail/inbound/raw/<mailbox id>/ takes raw MIME with a per-mailbox token."""
from django.urls import path
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

urlpatterns = [
    path("inbound/raw/<int:mailbox_id>/", views.raw_inbound, name="inbound_raw"),
    *[path(f"inbound/{esp}/", view.as_view(), name=f"inbound_{esp}") for esp, view in INBOUND_VIEWS.items()],
]
