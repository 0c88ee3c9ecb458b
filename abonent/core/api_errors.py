"""One error shape for the whole JSON API: ``{"detail", "field", "code"}``, translated.

``api_errors_register(api)`` installs the exception handlers on a ``NinjaAPI``;
``api_urls(api)`` gives its URL patterns, for ``path("api/v1/", api_urls(api))``, with two
answers ninja itself gives as plain text made JSON too: a method the path does not take (405)
and a path under the prefix that does not exist (404). The messages live here, in core, so that
core's catalogue translates them; the language is the request's (``LocaleMiddleware``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from abonent.core.errors import ApplicationError

# pydantic's error types, in words the subscriber's language has; any other type falls back to
# pydantic's own (English) message after "Invalid value:".
_PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "int_type": gettext_lazy("Enter a whole number."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "int_parsing_size": gettext_lazy("The number is too large."),
    "string_type": gettext_lazy("Enter text."),
    "bool_type": gettext_lazy("Enter true or false."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "model_attributes_type": gettext_lazy("The request body must be a JSON object."),
    "dict_type": gettext_lazy("The request body must be a JSON object."),
    "model_type": gettext_lazy("The request body must be a JSON object."),
    "json_invalid": gettext_lazy("The request body must be a JSON object."),
}
_LOCATIONS = ("body", "query", "path", "header", "cookie", "form", "file", "payload")


def _body(detail: str, code: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "field": field, "code": code, **extra}


def _field_of(loc: Sequence[Any]) -> str | None:
    parts = [str(p) for p in loc if p not in _LOCATIONS]
    return ".".join(parts) or None


def _error_of(error: dict[str, Any]) -> dict[str, Any]:
    """One schema error as ``{"field", "detail"}``; a request without its JSON body names the
    body (pydantic reports it as a missing field with no name)."""
    loc = error.get("loc", ())
    field = _field_of(loc)
    if field is None and error.get("type") == "missing" and loc and loc[0] == "body":
        return {"field": "body", "detail": str(_("Send the request body: a JSON object."))}
    return {"field": field, "detail": _pydantic_detail(error)}


def _pydantic_detail(error: dict[str, Any]) -> str:
    known = _PYDANTIC_MESSAGES.get(str(error.get("type", "")))
    if known is not None:
        return str(known)
    reason = str(error.get("msg", ""))
    return _("Invalid value: %(reason)s") % {"reason": reason} if reason else _("Invalid request.")


def api_errors_register(api: NinjaAPI) -> None:
    """Answer every error the API raises as ``{"detail", "field", "code"}`` JSON."""

    def respond(request: HttpRequest, body: dict[str, Any], status: int) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        """Domain errors, with the error's own status and code."""
        return respond(request, exc.as_dict(), exc.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        """Schema errors: the first as ``detail``/``field``, all of them in ``errors``."""
        errors: list[dict[str, Any]] = [_error_of(err) for err in exc.errors]
        first = errors[0] if errors else {"field": None, "detail": _("Invalid request.")}
        body = _body(str(first["detail"]), "invalid", first["field"], errors=errors)
        return respond(request, body, HTTPStatus.UNPROCESSABLE_ENTITY)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        """No or bad credentials."""
        body = _body(_("Authentication required."), "unauthorized")
        return respond(request, body, HTTPStatus.UNAUTHORIZED)

    @api.exception_handler(AuthorizationError)
    def authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        """Known caller, not allowed."""
        body = _body(_("You may not do this."), "forbidden")
        return respond(request, body, HTTPStatus.FORBIDDEN)

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        """ninja's own throttling, shaped like our rate limits."""
        extra: dict[str, Any] = {"retry_after": exc.wait} if getattr(exc, "wait", None) else {}
        body = _body(_("Too many requests. Try again later."), "rate_limited", **extra)
        return respond(request, body, HTTPStatus.TOO_MANY_REQUESTS)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        """``get_object_or_404`` and friends."""
        return respond(request, _body(_("Not found."), "not_found"), HTTPStatus.NOT_FOUND)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        """Errors raised by ninja itself; a body that is not JSON is bad input (422)."""
        if exc.status_code == HTTPStatus.BAD_REQUEST and isinstance(exc.__cause__, ValueError):
            # ninja raises HttpError(400) from the parser's JSONDecodeError / UnicodeDecodeError.
            body = _body(_("The request body must be a JSON object."), "invalid_json")
            return respond(request, body, HTTPStatus.UNPROCESSABLE_ENTITY)
        return respond(request, _body(str(exc), "http_error"), exc.status_code)


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under the API's prefix that is not one of its endpoints."""
    body = _body(_("There is no such API endpoint."), "not_found")
    return JsonResponse(body, status=HTTPStatus.NOT_FOUND)


def _method_not_allowed(response: HttpResponseBase) -> HttpResponseBase:
    """ninja answers a wrong method with plain text; give the same answer as JSON."""
    if response.status_code != HTTPStatus.METHOD_NOT_ALLOWED or response.get(
        "Content-Type", ""
    ).startswith("application/json"):
        return response
    body = _body(_("This method is not allowed here."), "method_not_allowed")
    json_response = JsonResponse(body, status=HTTPStatus.METHOD_NOT_ALLOWED)
    if response.has_header("Allow"):
        json_response["Allow"] = response["Allow"]
    return json_response


def _json_405(view: Callable[..., Any]) -> Callable[..., Any]:
    if iscoroutinefunction(view):

        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return _method_not_allowed(await view(request, *args, **kwargs))

        functools.update_wrapper(async_wrapper, view)
        return markcoroutinefunction(async_wrapper)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return _method_not_allowed(view(request, *args, **kwargs))

    return wrapper


def api_urls(api: NinjaAPI) -> tuple[list[URLPattern | URLResolver], str, str]:
    """``api.urls`` with JSON 405s and, after every endpoint, a JSON 404 for the rest."""
    patterns, app_name, namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _json_405(pattern.callback)
        wrapped.append(pattern)
    wrapped.append(re_path(r"", api_not_found))
    return wrapped, app_name, namespace
