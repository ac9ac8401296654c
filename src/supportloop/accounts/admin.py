from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from supportloop.accounts.models import (
    ApiToken,
    RecoveryCode,
    RecoveryDevice,
    SecuritySettings,
    SignInFailure,
    Team,
    User,
    UserSession,
)
from supportloop.accounts.signin import ThrottledAuthenticationMixin
from supportloop.core.admin_readonly import ReadOnlyAdmin


class ThrottledAdminAuthenticationForm(ThrottledAuthenticationMixin, AdminAuthenticationForm):
    """The admin's login page counts against the same sign-in limits as the app's (no way around them)."""


admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("supportloop", {"fields": ("role", "language", "signature")}))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "read_only", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")


@admin.register(SignInFailure)
class SignInFailureAdmin(admin.ModelAdmin):
    """Every failed sign-in and every lockout (read-only). To lift a lockout early, delete its row under
    Core > Rate-limit counters (sign-in:account:<name> or sign-in:address:<address>)."""

    list_display = ("created_at", "channel", "outcome", "username", "user", "address", "detail")
    list_filter = ("channel", "outcome")
    search_fields = ("username", "address")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SecuritySettings)
class SecuritySettingsAdmin(ReadOnlyAdmin):
    """Changed on Settings → Security (through the service, audited)."""

    list_display = ("two_factor_roles", "updated_at")


@admin.register(RecoveryDevice)
class RecoveryDeviceAdmin(ReadOnlyAdmin):
    """A user's recovery codes (hashes only). Deleting the user's TOTP device (Admin → TOTP devices) turns
    two-factor sign-in off for them; setting it up again replaces these."""

    list_display = ("user", "name", "confirmed")


@admin.register(RecoveryCode)
class RecoveryCodeAdmin(ReadOnlyAdmin):
    list_display = ("device", "used_at")
    exclude = ("code_hash",)


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    """Signed-in browser sessions (each user revokes their own on Account → Security)."""

    list_display = ("user", "address", "user_agent", "created_at", "last_seen_at")
    search_fields = ("user__username", "address")
