"""The subscriber's cabinet: its front door (login, password, forgotten password) and the
dashboard. Views compose selectors and call services; no rules live here."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from abonent.accounts.auth import (
    account_required,
    cabinet_account,
    cabinet_adopt_epoch,
    cabinet_login,
    cabinet_logout,
)
from abonent.accounts.contract import contract_display
from abonent.accounts.models import AccountStatus
from abonent.accounts.services import account_authenticate, account_change_password
from abonent.accounts.texts import fee_period_short, status_explanation
from abonent.billing.periods import billing_today
from abonent.billing.selectors import account_addons, account_forecast
from abonent.billing.services.tariff_change import tariff_change_open
from abonent.cabinet.forms import LoginForm, PasswordForm
from abonent.cabinet.reads import pause_open, promise_active
from abonent.core.clientip import client_ip
from abonent.core.errors import ApplicationError, RateLimited


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and target.startswith("/cabinet/")
    ):
        return target
    return reverse("cabinet:home")


@never_cache
@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/login/``: contract number and password. Errors never tell whether a contract
    exists; repeated wrong passwords lock the contract and the address for a while."""
    if request.method != "POST" and cabinet_account(request) is not None:
        return HttpResponseRedirect(reverse("cabinet:home"))
    expired = request.session.pop("cab_expired", False) if request.method != "POST" else False
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            account = account_authenticate(
                contract=form.cleaned_data["contract"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except RateLimited as exc:
            form.add_error(None, str(exc.message))
            status = 429
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            status = 401 if exc.status == 401 else 200
        else:
            cabinet_login(request, account)
            if account.must_change_password and settings.ABONENT_FORCE_PASSWORD_CHANGE:
                return HttpResponseRedirect(reverse("cabinet:password"))
            return HttpResponseRedirect(_safe_next(request))
    return render(
        request,
        "cabinet/login.html",
        {"form": form, "expired": expired, "next": request.GET.get("next", "")},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """End the cabinet session (POST only, with CSRF)."""
    cabinet_logout(request)
    return HttpResponseRedirect(reverse("cabinet:login"))


def forgot_view(request: HttpRequest) -> HttpResponse:
    """The password cannot be recovered online: how to get a new one."""
    return render(request, "cabinet/forgot.html")


@never_cache
@sensitive_post_parameters("current_password", "new_password", "new_password2")
@account_required(allow_initial_password=True)
def password_view(request: HttpRequest) -> HttpResponse:
    """Choose a password: forced after the first login with the paper one, and any time later.
    Ends every other session and all API tokens."""
    account = request.account  # type: ignore[attr-defined]
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = account_change_password(account_id=account.pk, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            cabinet_adopt_epoch(request, account)
            from django.contrib import messages

            messages.success(request, _("Your new password is saved."))
            return HttpResponseRedirect(reverse("cabinet:home"))
    return render(
        request,
        "cabinet/password.html",
        {"form": form, "account": account, "forced": account.must_change_password},
    )


@never_cache
@account_required
def home_view(request: HttpRequest) -> HttpResponse:
    """The dashboard: holder, contract, status in plain words, tariff, balance, the next
    charge and how long the balance lasts, the open tariff change, connected add-ons."""
    account = request.account  # type: ignore[attr-defined]
    today = billing_today()
    forecast = account_forecast(account=account, today=today)
    return render(
        request,
        "cabinet/home.html",
        {
            "account": account,
            "contract_display": contract_display(account.contract),
            "status_text": status_explanation(account),
            "per": fee_period_short(account.tariff.fee_period),
            "forecast": forecast,
            "low_balance": forecast.days_left is not None
            and forecast.days_left < settings.ABONENT_LOW_BALANCE_DAYS,
            "change": tariff_change_open(account_id=account.pk),
            "addons": account_addons(account_id=account.pk, today=today),
            "pause": pause_open(account_id=account.pk)
            if account.status == AccountStatus.SUSPENDED
            else None,
            "promise": promise_active(account_id=account.pk),
            "section": "home",
        },
    )
