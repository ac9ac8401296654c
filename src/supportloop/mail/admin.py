"""Admin: mailboxes (with a write-only password field and a token rotation action) and the quarantine."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from supportloop.core.errors import DomainError
from supportloop.customers.models import Contact
from supportloop.mail.models import (
    AutomaticMail,
    AutoResponse,
    FollowerProposal,
    InboundMail,
    Mailbox,
    OutboundDelivery,
    OutboxMessage,
    Quarantine,
    TicketMailbox,
)
from supportloop.mail.services import mailbox_rotate_inbound_token, quarantine_release
from supportloop.mail.services.mailboxes import EDITABLE, mailbox_create, mailbox_host_check, mailbox_update


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        label="IMAP password",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted. Leave empty to keep the current one.",
    )
    help_center_url = forms.URLField(label="help center link", required=False, assume_scheme="https")

    class Meta:
        model = Mailbox
        fields = "__all__"  # noqa: DJ007 - MailboxAdmin.fieldsets choose the fields (they override Meta.fields)

    def clean(self):
        data = super().clean() or {}  # ModelForm.clean returns cleaned_data (the stubs allow None)
        if {"imap_host", "imap_security"} & set(self.changed_data) and "imap_host" in data:
            try:
                mailbox_host_check(host=data["imap_host"].strip(), security=data.get("imap_security", ""))
            except DomainError as exc:
                for field, message in exc.errors.items():
                    self.add_error(field, message)
        return data


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = (
        "name",
        "address",
        "is_active",
        "imap_host",
        "imap_folder",
        "last_polled_at",
        "poll_status",
        "acknowledgements",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "address")
    readonly_fields = (
        "imap_uidvalidity",
        "imap_last_uid",
        "last_polled_at",
        "last_poll_ok_at",
        "last_poll_error",
        "has_password",
        "raw_endpoint",
        "acknowledgements",
    )
    actions = ["rotate_token"]
    fieldsets = (
        (None, {"fields": ("name", "address", "is_active")}),
        (
            "IMAP",
            {
                "fields": (
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_folder",
                    "imap_processed_folder",
                    "imap_username",
                    "password",
                    "has_password",
                    "imap_password_env",
                )
            },
        ),
        (
            "Auto-responder",
            {
                "fields": (
                    "autoresponder_enabled",
                    "acknowledgements",
                    "autoresponder_max_per_hour",
                    "expected_response_time",
                    "help_center_url",
                    "autoresponder_templates",
                )
            },
        ),
        ("Rules", {"fields": ("closed_ticket_rule", "rate_limit_messages", "rate_limit_window_minutes")}),
        (
            "Status",
            {
                "fields": (
                    "raw_endpoint",
                    "imap_uidvalidity",
                    "imap_last_uid",
                    "last_polled_at",
                    "last_poll_ok_at",
                    "last_poll_error",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # The address names the mailbox in threads already sent; change it by adding a new mailbox.
        return (*self.readonly_fields, "address") if obj is not None else self.readonly_fields

    @admin.display(description="poll")
    def poll_status(self, obj):
        return "error" if obj.last_poll_error else ("ok" if obj.last_polled_at else "never")

    @admin.display(description="acknowledgements")
    def acknowledgements(self, obj):
        if not obj.autoresponder_enabled:
            return "off"
        if obj.autoresponder_paused_at:
            return format_html(
                '<strong style="color:#b00">paused since {} (more than {} an hour)</strong>',
                obj.autoresponder_paused_at.strftime("%Y-%m-%d %H:%M"),
                obj.autoresponder_max_per_hour,
            )
        return "on"

    @admin.display(boolean=True, description="password stored")
    def has_password(self, obj):
        return bool(obj.imap_password_encrypted)

    @admin.display(description="raw MIME endpoint")
    def raw_endpoint(self, obj):
        if not obj.pk:
            return "-"
        token_set = "yes" if obj.inbound_token_hash else "no"
        return f"POST {reverse('mail:inbound_raw', args=[obj.pk])} (token set: {token_set})"

    def save_model(self, request, obj, form, change):
        # Through the services, so the audit trail and the credential encryption apply.
        password = form.cleaned_data.get("password") or None
        values = {f: form.cleaned_data[f] for f in form.changed_data if f in EDITABLE}
        if change:
            mailbox_update(mailbox=Mailbox.objects.get(pk=obj.pk), actor=request.user, password=password, **values)
        else:
            values = {f: form.cleaned_data[f] for f in EDITABLE if f in form.cleaned_data}
            created = mailbox_create(
                address=form.cleaned_data["address"], password=password or "", actor=request.user, **values
            )
            obj.pk = created.pk

    @admin.action(description="Create a new token for the raw MIME endpoint")
    def rotate_token(self, request, queryset):
        for mailbox in queryset:
            token = mailbox_rotate_inbound_token(mailbox=mailbox, actor=request.user)
            self.message_user(request, f"{mailbox.address}: new token {token} (shown once)", messages.WARNING)


@admin.register(Quarantine)
class QuarantineAdmin(admin.ModelAdmin):
    list_display = ("created_at", "reason", "sender", "subject", "mailbox", "raw_size", "released_at")
    list_filter = ("reason", "mailbox", ("released_at", admin.EmptyFieldListFilter))
    search_fields = ("sender", "subject", "message_key", "detail")
    readonly_fields = (
        "mailbox",
        "reason",
        "detail",
        "source",
        "message_key",
        "sender",
        "subject",
        "raw_size",
        "created_at",
        "released_at",
        "released_ticket",
        "release_to_contact",
        "raw_preview",
        "download",
    )
    exclude = ("raw", "raw_file")  # shown by raw_preview, served by the download link
    actions = ["release"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.resolver_match and request.resolver_match.url_name.endswith("_change") else qs.defer("raw")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    @admin.display(description="raw message (first 20 kB; of oversize mail, the headers)")
    def raw_preview(self, obj):
        text = bytes(obj.raw[:20_000]).decode("utf-8", "replace")
        return format_html("<pre style='white-space:pre-wrap;max-height:40em;overflow:auto'>{}</pre>", text)

    @admin.display(description="download")
    def download(self, obj):
        return format_html('<a href="{}">message.eml</a>', reverse("admin:mail_quarantine_raw", args=[obj.pk]))

    @admin.display(description="release")
    def release_to_contact(self, obj):
        if obj.released_at:
            return "released"
        return format_html(
            '<a class="button" href="{}">Release to a contact…</a>',
            reverse("admin:mail_quarantine_release", args=[obj.pk]),
        )

    def get_urls(self):
        return [
            path("<int:pk>/raw/", self.admin_site.admin_view(self.raw_view), name="mail_quarantine_raw"),
            path("<int:pk>/release/", self.admin_site.admin_view(self.release_view), name="mail_quarantine_release"),
            *super().get_urls(),
        ]

    def release_view(self, request, pk):
        """Release one message as a chosen contact's (the way to release mail without a usable sender)."""
        from supportloop.accounts.permissions import can

        item = get_object_or_404(Quarantine.objects.defer("raw"), pk=pk)
        if not can(request.user, "mailbox.manage"):
            return HttpResponse(status=403)
        form = ReleaseForm(request.POST or None, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            try:
                result = quarantine_release(
                    quarantine=Quarantine.objects.get(pk=pk), actor=request.user, contact=form.cleaned_data["contact"]
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                self.message_user(request, f"{item.pk}: {result.outcome}, ticket id {result.ticket_id}")
                return HttpResponseRedirect(reverse("admin:mail_quarantine_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Release quarantined mail {item.pk}",
            "item": item,
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/mail/quarantine_release.html", context)

    def raw_view(self, request, pk):
        obj = Quarantine.objects.get(pk=pk)
        if not self.has_view_permission(request, obj):
            return HttpResponse(status=403)
        response: HttpResponseBase
        if obj.raw_file:  # oversize mail: the whole message is in file storage, streamed from there
            response = FileResponse(obj.raw_file.open("rb"), content_type="message/rfc822")
        else:
            response = HttpResponse(bytes(obj.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="quarantine-{obj.pk}.eml"'
        return response

    @admin.action(description="Release: ingest as a ticket anyway")
    def release(self, request, queryset):
        for item in queryset:
            try:
                result = quarantine_release(quarantine=item, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{item.pk}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"{item.pk}: {result.outcome}, ticket id {result.ticket_id}")


class ReleaseForm(forms.Form):
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.all(),
        label="contact",
        help_text="The message becomes this contact's (a new ticket, or a reply on the ticket it answers).",
    )

    def __init__(self, *args, admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        from supportloop.tickets.models import Ticket

        # The admin's look-up widget (an id box with a search pop-up) needs a relation to contacts: the requester's.
        self.fields["contact"].widget = ForeignKeyRawIdWidget(
            Ticket._meta.get_field("requester").remote_field, admin_site
        )


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "outcome",
        "sender",
        "subject",
        "mailbox",
        "source",
        "automatic",
        "auth_verdict",
        "note",
        "ticket",
    )
    list_filter = ("outcome", "source", "auth_verdict", "mailbox")
    search_fields = ("message_key", "sender", "subject", "note")
    list_select_related = ("mailbox", "ticket")
    raw_id_fields = ("ticket", "message", "quarantine")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboundDelivery)
class OutboundDeliveryAdmin(admin.ModelAdmin):
    list_display = ("message", "mailbox", "attempts", "last_attempt_at", "sent_at")
    raw_id_fields = ("message",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AutomaticMail)
class AutomaticMailAdmin(admin.ModelAdmin):
    """What the guard (services/guard.py) let through or held back, with the reason."""

    list_display = ("created_at", "kind", "recipient", "ticket", "mailbox", "blocked_reason")
    list_filter = ("kind", ("blocked_reason", admin.EmptyFieldListFilter), "mailbox")
    search_fields = ("recipient", "blocked_reason")
    raw_id_fields = ("ticket",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FollowerProposal)
class FollowerProposalAdmin(admin.ModelAdmin):
    list_display = ("ticket", "email", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("email",)
    raw_id_fields = ("ticket", "message")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AutoResponse)
class AutoResponseAdmin(admin.ModelAdmin):
    list_display = ("ticket", "recipient", "language", "sent_at", "attempts", "error", "skipped_reason")
    raw_id_fields = ("ticket",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TicketMailbox)
class TicketMailboxAdmin(admin.ModelAdmin):
    list_display = ("ticket", "mailbox")
    list_filter = ("mailbox",)
    raw_id_fields = ("ticket",)
    list_select_related = ("ticket", "mailbox")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Mail kept by the Outbox backend in development and demo mode (read-only, as it was sent)."""

    list_display = ("sent_at", "subject", "to", "from_email")
    search_fields = ("subject", "to")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
