"""Provider webhooks may carry a whole message: read their bodies up to the inbound ceiling, not Django's 1 MB.

Django refuses any form or body over DATA_UPLOAD_MAX_MEMORY_SIZE (SUPPORTLOOP_MAX_REQUEST_BYTES, 1 MiB) with a
400, so a provider posting a 2 MB mail to /mail/inbound/<esp>/ was turned away and, after its retries, the mail
was lost. For those URLs only, and only when the request carries the webhook's basic-auth credentials
(ANYMAIL_WEBHOOK_SECRET; anything else is left to anymail, which refuses it without reading it), this reads a
body up to SUPPORTLOOP_MAIL_MAX_MESSAGE_BYTES itself and parses a multipart form with the standard library,
then hands the request to anymail's view as if Django had read it. Larger bodies get a 413 problem: the
provider keeps the message and reports it. The raw endpoint reads its own body (mail/views.py).
"""

from __future__ import annotations

from email import policy as email_policy
from email.parser import BytesParser
from functools import lru_cache

from anymail.utils import get_anymail_setting, get_request_basic_auth
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import JsonResponse, QueryDict
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.datastructures import MultiValueDict

from supportloop.mail.services.oversize import http_ceiling


class InboundWebhookBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and _is_provider_webhook(request.path):
            refused = _read_large_body(request)
            if refused is not None:
                return refused
        return self.get_response(request)


@lru_cache(maxsize=1)
def _inbound_prefix() -> str:
    return reverse("mail:inbound_raw", args=[0]).rsplit("/raw/", 1)[0] + "/"  # "/mail/inbound/"


def _is_provider_webhook(path: str) -> bool:
    prefix = _inbound_prefix()
    return path.startswith(prefix) and not path.startswith(prefix + "raw/")


def _read_large_body(request) -> JsonResponse | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is None or length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return None  # Django reads it as usual
    if not _has_webhook_credentials(request):
        return None  # anymail refuses it before reading it
    ceiling = http_ceiling()
    if length > ceiling:
        return JsonResponse(
            {
                "type": "about:blank",
                "title": "Payload too large",
                "status": 413,
                "detail": f"Webhook bodies are at most {ceiling} bytes.",
            },
            status=413,
            content_type="application/problem+json",
        )
    body = request.read(length)
    request._body = body  # request.body now returns it without Django's size check
    if request.content_type == "multipart/form-data":
        request._post, request._files = _form_data(request.META.get("CONTENT_TYPE", ""), body)
    return None


def _has_webhook_credentials(request) -> bool:
    secrets = get_anymail_setting("webhook_secret", default=[])
    if isinstance(secrets, str):
        secrets = [secrets]
    sent = get_request_basic_auth(request)
    return bool(sent) and any(constant_time_compare(sent, secret) for secret in secrets)


def _form_data(content_type: str, body: bytes) -> tuple[QueryDict, MultiValueDict]:
    """request.POST and request.FILES of a multipart/form-data body (RFC 7578 is MIME: the email parser reads
    it, without Django's per-field size limit)."""
    form = BytesParser(policy=email_policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body
    )
    post = QueryDict(mutable=True)
    files: MultiValueDict[str, UploadedFile] = MultiValueDict()
    for part in form.iter_parts() if form.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""  # None for a part that is itself multipart
        filename = part.get_filename()
        if filename is not None:
            try:
                upload = SimpleUploadedFile(filename, data, part.get_content_type())
            except SuspiciousFileOperation:  # "", "." or "..": Django's UploadedFile refuses them as names
                upload = SimpleUploadedFile("attachment", data, part.get_content_type())
            files.appendlist(name, upload)
        else:
            post.appendlist(name, data.decode(part.get_content_charset() or "utf-8", "replace"))
    post._mutable = False
    return post, files
