"""The JSON API at /api/v1/: one router per app, one error shape for everything."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from abonent.accounts.api import auth_router, me_router
from abonent.catalogue.api import router as catalogue_router
from abonent.core.errors import ApplicationError
from abonent.leads.api import router as leads_router

api = NinjaAPI(
    title="Abonent API",
    version="1",
    description="Catalogue, connection requests and the subscriber's own account.",
    urls_namespace="api-v1",
)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """Domain errors: ``{"detail", "field", "code"}`` with the error's own status."""
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _field_of(loc: list) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload")]
    return ".".join(parts) or None


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """Schema errors: the first one as ``{"detail", "field"}``, all of them in ``errors``."""
    errors = [
        {"field": _field_of(list(err.get("loc", []))), "detail": err.get("msg", "")}
        for err in exc.errors
    ]
    first = errors[0] if errors else {"field": None, "detail": ""}
    body = {
        "detail": _("Invalid value: %(reason)s") % {"reason": first["detail"]}
        if first["detail"]
        else _("Invalid request."),
        "field": first["field"],
        "code": "invalid",
        "errors": errors,
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """No or bad credentials."""
    body = {"detail": _("Authentication required."), "field": None, "code": "unauthorized"}
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Errors raised by ninja itself; a body that is not JSON is bad input (422)."""
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja raises HttpError(400) from the parser's JSONDecodeError / UnicodeDecodeError.
        body = {
            "detail": _("The request body must be a JSON object."),
            "field": None,
            "code": "invalid_json",
        }
        return api.create_response(request, body, status=422)
    body = {"detail": str(exc), "field": None, "code": "http_error"}
    return api.create_response(request, body, status=exc.status_code)


api.add_router("/catalogue/", catalogue_router)
api.add_router("/leads", leads_router)
api.add_router("/auth", auth_router)
api.add_router("/me", me_router)
