from django.contrib.auth import views as auth_views
from django.urls import path

from supportloop.web.views import auth, customers, inbox, product, settings, tickets

app_name = "web"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", auth.account, name="account"),
    path("account/password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("", inbox.inbox, name="inbox"),
    path("inbox/bulk/", inbox.inbox_bulk, name="inbox_bulk"),
    path("inbox/views/", inbox.saved_view_add, name="saved_view_add"),
    path("inbox/views/<int:pk>/delete/", inbox.saved_view_remove, name="saved_view_remove"),
    path("t/", tickets.ticket_by_number, name="ticket_jump"),
    path("t/<int:number>/", tickets.ticket, name="ticket"),
    path("t/<int:number>/compose/", tickets.ticket_compose, name="ticket_compose"),
    path("t/<int:number>/messages/<int:message_id>/text/", tickets.message_text, name="message_text"),
    path("t/<int:number>/controls/", tickets.ticket_controls, name="ticket_controls"),
    path("t/<int:number>/macros/", tickets.macro_search, name="macro_search"),
    path("t/<int:number>/macros/<int:macro_id>/", tickets.macro_fill, name="macro_fill"),
    path("t/<int:number>/link/", tickets.ticket_link_feedback, name="ticket_link"),
    path("t/<int:number>/bug/", tickets.ticket_file_bug, name="ticket_bug"),
    path("customers/", customers.customers, name="customers"),
    path("customers/companies/<int:pk>/", customers.company, name="company"),
    path("customers/contacts/<int:pk>/", customers.contact, name="contact"),
    path("customers/<str:kind>/<int:pk>/notes/", customers.note_add, name="note_add"),
    path("feedback/", product.ranking, name="ranking"),
    path("feedback/search/", tickets.feedback_search, name="feedback_search"),
    path("feedback/<int:pk>/", product.item, name="item"),
    path("feedback/<int:pk>/status/", product.item_status, name="item_status"),
    path("feedback/<int:pk>/merge/", product.item_merge, name="item_merge"),
    path("feedback/<int:pk>/preview/", product.loop_preview, name="loop_preview"),
    path("roadmap/", product.roadmap, name="roadmap"),
    path("digest/", product.digest, name="digest"),
    path("settings/", settings.settings_home, name="settings"),
    path("settings/users/", settings.users, name="users"),
    path("settings/users/<int:pk>/", settings.user_role, name="user_role"),
    path("settings/teams/", settings.teams, name="teams"),
    path("settings/macros/", settings.macros, name="macros"),
    path("settings/macros/<int:pk>/", settings.macro_edit, name="macro_edit"),
    path("settings/taxonomy/", settings.taxonomy, name="taxonomy"),
    path("settings/tokens/", settings.tokens, name="tokens"),
    path("settings/tokens/<int:pk>/revoke/", settings.token_revoke, name="token_revoke"),
]
