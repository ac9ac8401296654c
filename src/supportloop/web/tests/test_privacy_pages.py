"""Privacy on the contact page and the retention settings page: admins only, typed confirmation, holds refuse."""

from __future__ import annotations

import json

from django.urls import reverse

from supportloop.customers.models import Contact
from supportloop.privacy.models import LegalHold, RetentionSettings


def test_contact_page_shows_privacy_actions_to_admins_only(ws, client_for):
    url = reverse("web:contact", args=[ws.alice.pk])
    assert "Erase this contact" in client_for(ws.admin).get(url).content.decode()
    assert "Erase this contact" not in client_for(ws.agent).get(url).content.decode()
    for name in ("contact_privacy_export",):
        assert client_for(ws.agent).get(reverse(f"web:{name}", args=[ws.alice.pk])).status_code == 403
    for name in ("contact_privacy_hold", "contact_privacy_erase"):
        response = client_for(ws.agent).post(reverse(f"web:{name}", args=[ws.alice.pk]), {"confirm": "ERASE"})
        assert response.status_code == 403
    assert Contact.objects.get(pk=ws.alice.pk).name == "Alice Able"


def test_export_hold_and_erase_from_the_contact_page(ws, client_for):
    ws.tickets_make(2)
    admin = client_for(ws.admin)
    export = admin.get(reverse("web:contact_privacy_export", args=[ws.alice.pk]))
    assert export["Content-Disposition"].startswith("attachment")
    assert json.loads(export.content)["emails"] == ["alice@acme.example"]

    admin.post(reverse("web:contact_privacy_hold", args=[ws.alice.pk]), {"reason": "Dispute 12"})
    assert LegalHold.objects.get(contact=ws.alice).reason == "Dispute 12"
    page = admin.get(reverse("web:contact", args=[ws.alice.pk])).content.decode()
    assert "Dispute 12" in page and "Lift the legal hold" in page and "Erase this contact" not in page
    response = admin.post(reverse("web:contact_privacy_erase", args=[ws.alice.pk]), {"confirm": "ERASE"}, follow=True)
    assert "legal hold" in response.content.decode()
    assert Contact.objects.get(pk=ws.alice.pk).name == "Alice Able"

    admin.post(reverse("web:contact_privacy_hold", args=[ws.alice.pk]), {"action": "lift"})
    response = admin.post(reverse("web:contact_privacy_erase", args=[ws.alice.pk]), {"confirm": "erase"}, follow=True)
    assert "to confirm the erasure" in response.content.decode()
    assert Contact.objects.get(pk=ws.alice.pk).name == "Alice Able"
    response = admin.post(reverse("web:contact_privacy_erase", args=[ws.alice.pk]), {"confirm": "ERASE"}, follow=True)
    assert "Contact erased" in response.content.decode()
    assert Contact.objects.get(pk=ws.alice.pk).name == "Erased contact"


def test_retention_settings_page(ws, client_for):
    url = reverse("web:retention")
    assert client_for(ws.agent).get(url).status_code == 403
    admin = client_for(ws.admin)
    assert "Data retention" in admin.get(url).content.decode()
    response = admin.post(url, {"enabled": "on", "days": "5", "action": "delete"})
    assert response.status_code == 200 and RetentionSettings.objects.filter(enabled=True).count() == 0
    admin.post(url, {"enabled": "on", "days": "400", "action": "delete"})
    row = RetentionSettings.objects.get()
    assert (row.enabled, row.days, row.action) == (True, 400, "delete")
