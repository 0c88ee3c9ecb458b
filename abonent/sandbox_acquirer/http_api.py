"""The sandbox's HTTP API (``api/v3/``), YooKassa's shape: plain JSON views with Basic auth.

Not django-ninja: the answers and errors must be byte-for-byte the acquirer's own shapes
(docs/payments-protocol.md), not the project's API conventions.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from . import conf, objects, services
from .errors import SandboxError
from .views import sandbox_only


def _shop_of(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            shop_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            shop_id, secret = "", ""
        if hmac.compare_digest(shop_id, conf.shop_id()) and hmac.compare_digest(
            secret, conf.secret_key()
        ):
            return shop_id
    raise SandboxError(
        "HTTP Basic authentication with the shop id and secret key is required",
        code="invalid_credentials",
        status=401,
    )


def api_view(methods: set[str]) -> Callable:
    """Sandbox on, method allowed, Basic auth, errors in the acquirer's JSON shape."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @sandbox_only
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> JsonResponse:
            try:
                if request.method not in methods:
                    raise SandboxError("method not allowed", code="method_not_allowed", status=405)
                shop_id = _shop_of(request)
                return view(request, shop_id, *args, **kwargs)
            except SandboxError as exc:
                response = JsonResponse(exc.as_json(), status=exc.status)
                if exc.status == 401:
                    response["WWW-Authenticate"] = 'Basic realm="sandbox-acquirer"'
                return response

        return wrapper

    return decorate


def _body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise SandboxError("the request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise SandboxError("the request body must be a JSON object")
    return body


def _base_url(request: HttpRequest) -> str:
    """This request's absolute URL of the sandbox's root (``…/sandbox-acquirer``)."""
    pay = reverse("sandbox_acquirer:pay", args=["x"])
    return request.build_absolute_uri(pay.removesuffix("pay/x")).rstrip("/")


@api_view({"POST"})
def payments(request: HttpRequest, shop_id: str) -> JsonResponse:
    payment = services.payment_create(
        shop_id=shop_id,
        idempotence_key=request.headers.get("Idempotence-Key"),
        body=_body(request),
        base_url=_base_url(request),
    )
    return JsonResponse(objects.payment_json(payment))


@api_view({"GET"})
def payment_detail(request: HttpRequest, shop_id: str, payment_id: str) -> JsonResponse:
    payment = services.payment_get(shop_id=shop_id, payment_id=payment_id)
    return JsonResponse(objects.payment_json(payment))


@api_view({"POST"})
def refunds(request: HttpRequest, shop_id: str) -> JsonResponse:
    refund = services.refund_create(
        shop_id=shop_id,
        idempotence_key=request.headers.get("Idempotence-Key"),
        body=_body(request),
    )
    return JsonResponse(objects.refund_json(refund))
