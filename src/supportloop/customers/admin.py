from django.contrib import admin

from supportloop.customers.models import Company, CompanyDomain, Contact, ContactEmail, CustomerNote


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
