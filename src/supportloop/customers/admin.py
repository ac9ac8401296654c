from django.contrib import admin, messages

from supportloop.customers.models import (
    BouncedAddress,
    Company,
    CompanyDomain,
    Contact,
    ContactEmail,
    CustomerNote,
)
from supportloop.customers.services import address_suppression_lift


class CompanyDomainInline(admin.TabularInline):
    model = CompanyDomain
    extra = 0


class ContactEmailInline(admin.TabularInline):
    model = ContactEmail
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "plan", "mrr", "updated_at")
    list_filter = ("plan",)
    search_fields = ("name", "domains__domain")
    inlines = [CompanyDomainInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "language", "updated_at")
    search_fields = ("name", "emails__email")
    list_select_related = ("company",)
    raw_id_fields = ("company",)
    inlines = [ContactEmailInline]


@admin.register(CustomerNote)
class CustomerNoteAdmin(admin.ModelAdmin):
    list_display = ("created_at", "author", "company", "contact")
    raw_id_fields = ("company", "contact")


@admin.register(CompanyDomain)
class CompanyDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "company")
    search_fields = ("domain", "company__name")
    raw_id_fields = ("company",)


@admin.register(ContactEmail)
class ContactEmailAdmin(admin.ModelAdmin):
    list_display = ("email", "contact")
    search_fields = ("email",)
    raw_id_fields = ("contact",)


@admin.register(BouncedAddress)
class BouncedAddressAdmin(admin.ModelAdmin):
    """Written by the mail ingest only; an admin may lift a suppression (the mailbox works again)."""

    list_display = ("email", "permanent", "status", "bounced_at", "suppressed_until", "bounce_count")
    list_filter = ("permanent", ("suppressed_until", admin.EmptyFieldListFilter))
    search_fields = ("email", "diagnostic")
    readonly_fields = (
        "email",
        "permanent",
        "status",
        "diagnostic",
        "remote_mta",
        "bounced_at",
        "suppressed_until",
        "bounce_count",
        "created_at",
    )
    actions = ["lift"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    @admin.action(description="Lift the suppression: automatic mail may go to these addresses again")
    def lift(self, request, queryset):
        for row in queryset:
            address_suppression_lift(bounced=row, actor=request.user)
        messages.success(request, f"Lifted {queryset.count()} suppression(s).")
