"""Taxonomy: product areas with their features, and contact reasons. Everyone reads; admins write."""

from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId, StrictIn
from supportloop.tickets import selectors, services
from supportloop.tickets.models import ContactReason

router = Router(tags=["taxonomy"])

Slug = Field(None, min_length=1, max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class FeatureOut(Schema):
    id: int
    area_id: Id
    name: str
    slug: str
    is_active: bool
    position: int


class AreaOut(Schema):
    id: int
    name: str
    slug: str
    is_active: bool
    position: int
    features: list[FeatureOut]


class ReasonOut(Schema):
    id: int
    name: str
    slug: str
    is_catch_all: bool
    is_active: bool
    position: int


class AreaCreateIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=100)
    slug: str | None = Slug
    position: int = Field(0, ge=0, le=1_000_000)


class AreaUpdateIn(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    slug: str | None = Slug
    position: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool | None = None


class FeatureCreateIn(AreaCreateIn):
    pass


class FeatureUpdateIn(AreaUpdateIn):
    area_id: Id | None = Field(None, description="move the feature (and its tickets) to another area")


class ReasonCreateIn(AreaCreateIn):
    is_catch_all: bool = False


class ReasonUpdateIn(AreaUpdateIn):
    is_catch_all: bool | None = None


def _area(a) -> dict:
    return {
        "id": a.pk,
        "name": a.name,
        "slug": a.slug,
        "is_active": a.is_active,
        "position": a.position,
        "features": [_feature(f) for f in a.features.all()],
    }


def _feature(f) -> dict:
    return {
        "id": f.pk,
        "area_id": f.area_id,
        "name": f.name,
        "slug": f.slug,
        "is_active": f.is_active,
        "position": f.position,
    }


def _set(payload) -> dict:
    """The fields the client sent, without nulls (a null means 'leave it')."""
    return {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}


@router.get(
    "/areas",
    response={200: list[AreaOut], **PROBLEMS},
    summary="Product areas with their features",
    operation_id="areas_list",
)
def area_list(request: ApiRequest) -> list[Any]:
    require(request.auth, "taxonomy.view")
    return [_area(a) for a in selectors.product_areas_with_features()]


@router.post("/areas", response={201: AreaOut, **PROBLEMS}, summary="Create a product area", operation_id="area_create")
def area_create(request: ApiRequest, payload: AreaCreateIn) -> Respond[Any]:
    require(request.auth, "taxonomy.write")
    area = services.product_area_create(
        name=payload.name, slug=payload.slug, position=payload.position, actor=request.auth
    )
    return Respond(201, _area(selectors.product_area_get(area_id=area.pk)))


@router.patch(
    "/areas/{int:area_id}",
    response={200: AreaOut, **PROBLEMS},
    summary="Update a product area",
    operation_id="area_update",
)
def area_update(request: ApiRequest, area_id: PathId, payload: AreaUpdateIn) -> dict[str, Any]:
    require(request.auth, "taxonomy.write")
    services.product_area_update(area=selectors.product_area_get(area_id=area_id), actor=request.auth, **_set(payload))
    return _area(selectors.product_area_get(area_id=area_id))


@router.post(
    "/areas/{int:area_id}/features",
    response={201: FeatureOut, **PROBLEMS},
    summary="Create a feature in an area",
    operation_id="feature_create",
)
def feature_create(request: ApiRequest, area_id: PathId, payload: FeatureCreateIn) -> Respond[Any]:
    require(request.auth, "taxonomy.write")
    feature = services.product_feature_create(
        area=selectors.product_area_get(area_id=area_id),
        name=payload.name,
        slug=payload.slug,
        position=payload.position,
        actor=request.auth,
    )
    return Respond(201, _feature(feature))


@router.patch(
    "/features/{int:feature_id}",
    response={200: FeatureOut, **PROBLEMS},
    summary="Update a feature (moving it moves its tickets' area)",
    operation_id="feature_update",
)
def feature_update(request: ApiRequest, feature_id: PathId, payload: FeatureUpdateIn) -> dict[str, Any]:
    require(request.auth, "taxonomy.write")
    values = _set(payload)
    if "area_id" in values:
        values["area"] = selectors.product_area_ref(area_id=values.pop("area_id"))
    feature = services.product_feature_update(
        feature=selectors.product_feature_get(feature_id=feature_id), actor=request.auth, **values
    )
    return _feature(feature)


@router.get(
    "/reasons", response={200: list[ReasonOut], **PROBLEMS}, summary="Contact reasons", operation_id="reasons_list"
)
def reason_list(request: ApiRequest) -> list[Any]:
    require(request.auth, "taxonomy.view")
    return list(selectors.contact_reason_list())


@router.post(
    "/reasons", response={201: ReasonOut, **PROBLEMS}, summary="Create a contact reason", operation_id="reason_create"
)
def reason_create(request: ApiRequest, payload: ReasonCreateIn) -> Respond[Any]:
    require(request.auth, "taxonomy.write")
    reason = services.contact_reason_create(
        name=payload.name,
        slug=payload.slug,
        is_catch_all=payload.is_catch_all,
        position=payload.position,
        actor=request.auth,
    )
    return Respond(201, reason)


@router.patch(
    "/reasons/{int:reason_id}",
    response={200: ReasonOut, **PROBLEMS},
    summary="Update a contact reason",
    operation_id="reason_update",
)
def reason_update(request: ApiRequest, reason_id: PathId, payload: ReasonUpdateIn) -> ContactReason:
    require(request.auth, "taxonomy.write")
    return services.contact_reason_update(
        reason=selectors.contact_reason_get(reason_id=reason_id), actor=request.auth, **_set(payload)
    )
