"""Privacy (admins only): one contact's data export, erasure, legal holds, and the retention settings."""

from __future__ import annotations

from typing import Any

from ninja import Router
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, PathId
from supportloop.api.schemas.privacy import (
    ContactErasureIn,
    ContactErasureOut,
    LegalHoldIn,
    LegalHoldOut,
    RetentionSettingsIn,
    RetentionSettingsOut,
)
from supportloop.core.errors import NotFound, ValidationFailed
from supportloop.customers import selectors as customer_selectors
from supportloop.privacy import selectors, services

router = Router(tags=["privacy"])

ERASE_WORD = "ERASE"


@router.get(
    "/contacts/{int:contact_id}/export",
    response={200: dict[str, Any], **PROBLEMS},
    summary="Everything stored about one contact, as JSON",
    operation_id="privacy_contact_export",
)
def contact_export(request: ApiRequest, contact_id: PathId) -> dict[str, Any]:
    require(request.auth, "privacy.manage")
    contact = customer_selectors.contact_get(contact_id=contact_id)
    return services.contact_export(contact=contact, actor=request.auth)


@router.post(
    "/contacts/{int:contact_id}/erase",
    response={200: ContactErasureOut, **PROBLEMS},
    summary='Erase a contact (body {"confirm": "ERASE"}); 409 under a legal hold',
    operation_id="privacy_contact_erase",
)
def contact_erase(request: ApiRequest, contact_id: PathId, payload: ContactErasureIn) -> dict[str, Any]:
    require(request.auth, "privacy.manage")
    if payload.confirm != ERASE_WORD:
        raise ValidationFailed(f'Type "{ERASE_WORD}" to confirm.', errors={"confirm": f'must be "{ERASE_WORD}"'})
    contact = customer_selectors.contact_get(contact_id=contact_id)
    counts = services.contact_erase(contact=contact, actor=request.auth, remove_evidence=payload.remove_evidence)
    return {"contact_id": contact.pk, "counts": counts}


def _hold_out(hold: Any) -> LegalHoldOut:
    return LegalHoldOut(
        id=hold.pk,
        contact_id=hold.contact_id,
        company_id=hold.company_id,
        reason=hold.reason,
        created_at=hold.created_at,
    )


@router.get(
    "/contacts/{int:contact_id}/legal-hold",
    response={200: LegalHoldOut, **PROBLEMS},
    summary="The legal hold covering a contact (theirs or their company's); 404 when none",
    operation_id="privacy_contact_hold_get",
)
def contact_hold_get(request: ApiRequest, contact_id: PathId) -> LegalHoldOut:
    require(request.auth, "privacy.manage")
    hold = selectors.contact_hold(contact=customer_selectors.contact_get(contact_id=contact_id))
    if hold is None:
        raise NotFound("No legal hold covers this contact.")
    return _hold_out(hold)


@router.put(
    "/contacts/{int:contact_id}/legal-hold",
    response={200: LegalHoldOut, **PROBLEMS},
    summary="Put a contact under legal hold",
    operation_id="privacy_contact_hold_set",
)
def contact_hold_set(request: ApiRequest, contact_id: PathId, payload: LegalHoldIn) -> LegalHoldOut:
    require(request.auth, "privacy.manage")
    contact = customer_selectors.contact_get(contact_id=contact_id)
    return _hold_out(services.legal_hold_set(contact=contact, reason=payload.reason, actor=request.auth))


@router.delete(
    "/contacts/{int:contact_id}/legal-hold",
    response={204: None, **PROBLEMS},
    summary="Lift a contact's legal hold",
    operation_id="privacy_contact_hold_lift",
)
def contact_hold_lift(request: ApiRequest, contact_id: PathId) -> Respond[None]:
    require(request.auth, "privacy.manage")
    contact = customer_selectors.contact_get(contact_id=contact_id)
    if not services.legal_hold_lift(contact=contact, actor=request.auth):
        raise NotFound("This contact has no legal hold of their own.")
    return Respond(204, None)


@router.put(
    "/companies/{int:company_id}/legal-hold",
    response={200: LegalHoldOut, **PROBLEMS},
    summary="Put a company (and so its contacts) under legal hold",
    operation_id="privacy_company_hold_set",
)
def company_hold_set(request: ApiRequest, company_id: PathId, payload: LegalHoldIn) -> LegalHoldOut:
    require(request.auth, "privacy.manage")
    company = customer_selectors.company_get(company_id=company_id)
    return _hold_out(services.legal_hold_set(company=company, reason=payload.reason, actor=request.auth))


@router.delete(
    "/companies/{int:company_id}/legal-hold",
    response={204: None, **PROBLEMS},
    summary="Lift a company's legal hold",
    operation_id="privacy_company_hold_lift",
)
def company_hold_lift(request: ApiRequest, company_id: PathId) -> Respond[None]:
    require(request.auth, "privacy.manage")
    company = customer_selectors.company_get(company_id=company_id)
    if not services.legal_hold_lift(company=company, actor=request.auth):
        raise NotFound("This company has no legal hold.")
    return Respond(204, None)


def _retention_out(row: Any) -> RetentionSettingsOut:
    return RetentionSettingsOut(
        enabled=row.enabled, days=row.days, action=row.action, last_run_at=row.last_run_at, updated_at=row.updated_at
    )


@router.get(
    "/retention",
    response={200: RetentionSettingsOut, **PROBLEMS},
    summary="The retention settings",
    operation_id="privacy_retention_get",
)
def retention_get(request: ApiRequest) -> RetentionSettingsOut:
    require(request.auth, "privacy.manage")
    return _retention_out(selectors.retention_settings())


@router.patch(
    "/retention",
    response={200: RetentionSettingsOut, **PROBLEMS},
    summary="Change the retention settings (days >= 30; action anonymise or delete)",
    operation_id="privacy_retention_update",
)
def retention_update(request: ApiRequest, payload: RetentionSettingsIn) -> RetentionSettingsOut:
    require(request.auth, "privacy.manage")
    data = payload.model_dump(exclude_unset=True, exclude_none=True)
    return _retention_out(services.retention_settings_update(data=data, actor=request.auth))
