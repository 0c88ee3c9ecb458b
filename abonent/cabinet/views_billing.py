"""The subscriber's billing pages: tariff and its change, add-ons, pause, promised payment,
balance history with a chart and a CSV export.

Views are thin: they read through billing selectors, write through billing services, and show a
refusal (``ApplicationError``) translated next to the input the subscriber gave.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from abonent.accounts.auth import account_required
from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.texts import fee_period_short
from abonent.billing.models import EntryKind
from abonent.billing.periods import billing_today, month_end
from abonent.billing.selectors import account_addons, account_forecast, ledger_list
from abonent.billing.services.addons import (
    addon_available,
    addon_connect,
    addon_disconnect,
    addon_first_charge,
)
from abonent.billing.services.pause import account_pause, account_resume
from abonent.billing.services.promised import promised_refusal, promised_take
from abonent.billing.services.tariff_change import (
    tariff_change_boundary,
    tariff_change_cancel,
    tariff_change_open,
    tariff_change_options,
    tariff_change_request,
)
from abonent.cabinet.chart import balance_chart, daily_balances
from abonent.cabinet.forms import AddonConnectForm, HistoryFilterForm, PauseForm, TariffChoiceForm
from abonent.cabinet.presenters import (
    ledger_description,
    ledger_descriptions,
    rubles_text,
    tariff_compare,
)
from abonent.cabinet.reads import addon_names, pause_last, pause_open, promise_active
from abonent.catalogue.models import AddonPeriod
from abonent.core.errors import ApplicationError
from abonent.core.money import format_money

PER_PAGE = 25


def _account(request: HttpRequest) -> Account:
    return request.account  # type: ignore[attr-defined,no-any-return]


def _spreadsheet_safe(text: str) -> str:
    """Text that a spreadsheet will not run as a formula (staff-typed reasons end up here)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _day(day: Any) -> str:
    return date_format(day, "j E Y")


# --- Tariff -------------------------------------------------------------------------------


@never_cache
@account_required
def tariff_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/tariff/``: what the subscriber pays and when, speeds, charging mode,
    the add-ons on the account, and the open change with a cancel button."""
    account = _account(request)
    today = billing_today()
    return render(
        request,
        "cabinet/tariff.html",
        {
            "account": account,
            "tariff": account.tariff,
            "per": fee_period_short(account.tariff.fee_period),
            "forecast": account_forecast(account=account, today=today),
            "change": tariff_change_open(account_id=account.pk),
            "addons": account_addons(account_id=account.pk, today=today),
            "boundary": tariff_change_boundary(tariff=account.tariff, today=today),
            "month_end": month_end(today),
            "section": "tariff",
        },
    )


@never_cache
@account_required
def tariff_change_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/tariff/change/``: step 1 lists the tariffs the account may move to; step 2
    (``?to=<id>``) shows what changes and when; its POST files the request."""
    account = _account(request)
    today = billing_today()
    options = list(tariff_change_options(account=account))
    effective_on = tariff_change_boundary(tariff=account.tariff, today=today)
    error = ""
    form = TariffChoiceForm(request.POST or None)
    raw = request.POST.get("to_tariff_id") if request.method == "POST" else request.GET.get("to")
    target = next((t for t in options if str(t.pk) == (raw or "").strip()), None)
    if request.method == "POST":
        if form.is_valid():
            try:
                change = tariff_change_request(
                    account_id=account.pk, to_tariff_id=form.cleaned_data["to_tariff_id"]
                )
            except ApplicationError as exc:
                error = str(exc.message)
            else:
                if change.status == "awaiting_approval":
                    text = _(
                        "Your request to move to “%(name)s” is filed. Our staff will review it; "
                        "once approved it takes effect on %(day)s."
                    )
                else:
                    text = _("Your tariff changes to “%(name)s” on %(day)s.")
                messages.success(
                    request,
                    text % {"name": change.to_tariff.title, "day": _day(change.effective_on)},
                )
                return HttpResponseRedirect(reverse("cabinet:tariff"))
        else:
            error = _("Choose a tariff from the list.")
    elif raw is not None and target is None:
        error = str(_("This tariff is not available for your connection."))
    context: dict[str, Any] = {
        "account": account,
        "options": options,
        "effective_on": effective_on,
        "change": tariff_change_open(account_id=account.pk),
        "error": error,
        "section": "tariff",
    }
    if target is not None:
        context["target"] = target
        context["cmp"] = tariff_compare(
            current=account.tariff, target=target, effective_on=effective_on
        )
        context["form"] = TariffChoiceForm(initial={"to_tariff_id": target.pk})
        return render(request, "cabinet/tariff_confirm.html", context)
    return render(request, "cabinet/tariff_change.html", context)


@require_POST
@account_required
def tariff_change_cancel_view(request: HttpRequest) -> HttpResponse:
    """Withdraw the open tariff change (POST)."""
    account = _account(request)
    try:
        change = tariff_change_cancel(account_id=account.pk)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("The change to “%(name)s” is cancelled; your tariff stays as it is.")
            % {"name": change.to_tariff.title},
        )
    return HttpResponseRedirect(reverse("cabinet:tariff"))


# --- Add-ons ------------------------------------------------------------------------------


def _addons_context(account: Account) -> dict[str, Any]:
    today = billing_today()
    connected = account_addons(account_id=account.pk, today=today)
    open_ids = {s.addon_id for s in connected if s.ends_on is None}
    leaving = {s.addon_id: s for s in connected if s.ends_on is not None}
    offers = []
    for addon in addon_available(account=account):
        if addon.pk in open_ids:
            continue
        amount, start, end = addon_first_charge(addon=addon, day=today)
        keeps = addon.period != AddonPeriod.ONCE and addon.pk in leaving
        offers.append(
            {"addon": addon, "amount": 0 if keeps else amount, "start": start, "end": end}
            | {"keeps": keeps}
        )
    return {
        "account": account,
        "connected": connected,
        "offers": offers,
        "can_connect": account.status == AccountStatus.ACTIVE,
        "today": today,
        "section": "addons",
    }


@never_cache
@account_required
def addons_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/addons/``: connected add-ons with a disconnect button, and the ones that can
    be connected with what connecting costs now and when charging starts."""
    return render(request, "cabinet/addons.html", _addons_context(_account(request)))


@never_cache
@require_POST
@account_required
def addon_connect_view(request: HttpRequest) -> HttpResponse:
    """Connect an add-on (POST); the refusal is shown on the add-ons page next to it."""
    account = _account(request)
    form = AddonConnectForm(request.POST)
    error, error_id = _("Choose an add-on from the list."), None
    if form.is_valid():
        error_id = form.cleaned_data["addon_id"]
        try:
            subscription = addon_connect(account_id=account.pk, addon_id=error_id)
        except ApplicationError as exc:
            error = str(exc.message)
        else:
            messages.success(
                request,
                _("“%(name)s” is connected.") % {"name": subscription.addon.title},
            )
            return HttpResponseRedirect(reverse("cabinet:addons"))
    context = _addons_context(account)
    if error_id not in {offer["addon"].pk for offer in context["offers"]}:
        error_id = None  # not on the page: the refusal goes on top
    context |= {"error": error, "error_addon_id": error_id}
    return render(request, "cabinet/addons.html", context)


@never_cache
@account_required
def addon_disconnect_view(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """``/cabinet/addons/<id>/disconnect/``: GET asks to confirm, POST disconnects at the end
    of the period already paid. Another account's subscription is a 404."""
    account = _account(request)
    today = billing_today()
    subscription = next(
        (
            s
            for s in account_addons(account_id=account.pk, today=today)
            if s.pk == subscription_id and s.ends_on is None
        ),
        None,
    )
    if subscription is None:
        raise Http404
    if request.method == "POST":
        try:
            done = addon_disconnect(account_id=account.pk, subscription_id=subscription.pk)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("“%(name)s” will be disconnected after %(day)s; it is not charged after that.")
                % {"name": subscription.addon.title, "day": _day(done.ends_on)},
            )
        return HttpResponseRedirect(reverse("cabinet:addons"))
    return render(
        request,
        "cabinet/addon_disconnect.html",
        {
            "account": account,
            "subscription": subscription,
            "month_end": month_end(today),
            "today": today,
            "section": "addons",
        },
    )


# --- Pause --------------------------------------------------------------------------------


@never_cache
@account_required
def pause_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/pause/``: pause the service for some days, or resume it when paused."""
    account = _account(request)
    low, high = settings.ABONENT_PAUSE_MIN_DAYS, settings.ABONENT_PAUSE_MAX_DAYS
    form = PauseForm(request.POST or None, initial={"days": 14}, low=low, high=high)
    if request.method == "POST" and form.is_valid():
        try:
            pause = account_pause(account_id=account.pk, days=form.cleaned_data["days"])
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(
                request,
                _("Service is paused until %(day)s inclusive. No fees are charged meanwhile.")
                % {"day": _day(pause.ends_on)},
            )
            return HttpResponseRedirect(reverse("cabinet:pause"))
    return render(
        request,
        "cabinet/pause.html",
        {
            "account": account,
            "form": form,
            "pause": pause_open(account_id=account.pk),
            "low": low,
            "high": high,
            "section": "pause",
        },
    )


@require_POST
@account_required
def pause_resume_view(request: HttpRequest) -> HttpResponse:
    """Resume a paused service today (POST); the paid days of the pause are refunded."""
    account = _account(request)
    try:
        account = account_resume(account_id=account.pk)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("cabinet:pause"))
    last = pause_last(account_id=account.pk)
    text = _("Service is resumed.")
    if last is not None and last.refund_kop:
        text += " " + _("%(amount)s for the paused days is back on your balance.") % {
            "amount": format_money(last.refund_kop)
        }
    messages.success(request, text)
    if account.status == AccountStatus.BLOCKED:
        messages.warning(
            request,
            _("The balance is not enough for the current fee: top up your account to get access."),
        )
    return HttpResponseRedirect(reverse("cabinet:home"))


# --- Promised payment ---------------------------------------------------------------------


@never_cache
@account_required
def promised_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/promised/``: the terms, whether a promised payment can be taken now, the
    active one; its POST takes it."""
    account = _account(request)
    today = billing_today()
    forecast = account_forecast(account=account, today=today)
    error = ""
    if request.method == "POST":
        try:
            promise = promised_take(
                account_id=account.pk, days_left=forecast.days_left, today=today
            )
        except ApplicationError as exc:
            error = str(exc.message)
        else:
            messages.success(
                request,
                _("%(amount)s is credited to your account until %(day)s inclusive.")
                % {"amount": format_money(promise.amount_kop), "day": _day(promise.expires_on)},
            )
            return HttpResponseRedirect(reverse("cabinet:promised"))
    active = promise_active(account_id=account.pk)
    return render(
        request,
        "cabinet/promised.html",
        {
            "account": account,
            "forecast": forecast,
            "active": active,
            "refusal": None
            if active
            else promised_refusal(account=account, today=today, days_left=forecast.days_left),
            "error": error,
            "amount_kop": settings.ABONENT_PROMISED_AMOUNT_KOP,
            "days": settings.ABONENT_PROMISED_DAYS,
            "section": "promised",
        },
    )


# --- History ------------------------------------------------------------------------------


def _history_filters(request: HttpRequest) -> tuple[HistoryFilterForm, dict[str, Any]]:
    """The filter form and the filters that passed validation (a bad date is left out)."""
    form = HistoryFilterForm(request.GET or None, kinds=list(EntryKind.choices))
    if not form.is_bound:
        return form, {}
    form.is_valid()
    data = form.cleaned_data
    return form, {
        "kind": data.get("kind") or "",
        "date_from": data.get("date_from"),
        "date_to": data.get("date_to"),
    }


def _filter_query(request: HttpRequest) -> str:
    keep = {k: request.GET[k] for k in ("kind", "date_from", "date_to") if request.GET.get(k)}
    return urlencode(keep)


@never_cache
@require_GET
@account_required
def history_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/history/``: the ledger with filters, 25 a page, and a chart of the balance
    over the chosen dates."""
    account = _account(request)
    form, filters = _history_filters(request)
    entries = ledger_list(account_id=account.pk, **filters)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    descriptions = ledger_descriptions(page.object_list)
    rows = [(entry, descriptions[entry.pk]) for entry in page.object_list]
    balances = (
        ledger_list(
            account_id=account.pk,
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        )
        .order_by("created_at", "id")
        .values_list("created_at", "balance_after_kop")
    )
    return render(
        request,
        "cabinet/history.html",
        {
            "account": account,
            "form": form,
            "page": page,
            "rows": rows,
            "chart": balance_chart(daily_balances(balances)),
            "query": _filter_query(request),
            "filtered": any(filters.values()),
            "section": "history",
        },
    )


@never_cache
@require_GET
@account_required
def history_csv_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/history.csv``: the filtered ledger for a spreadsheet (UTF-8 with BOM,
    semicolons, amounts in roubles with a decimal comma). Bad filters go back to the page."""
    account = _account(request)
    form, filters = _history_filters(request)
    if form.is_bound and not form.is_valid():
        query = _filter_query(request)
        return HttpResponseRedirect(reverse("cabinet:history") + (f"?{query}" if query else ""))
    entries = ledger_list(account_id=account.pk, **filters)
    items = entries.filter(item__startswith="addon:").values_list("item", flat=True).distinct()
    names = addon_names(
        ids=[int(i.split(":", 1)[1]) for i in items if i.split(":", 1)[1].isdigit()]
    )
    kinds = dict(EntryKind.choices)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Date"),
            _("Operation"),
            _("Amount, ₽"),
            _("Balance after, ₽"),
            pgettext("CSV column", "Details"),
        ]
    )
    for entry in entries.iterator(chunk_size=2000):
        writer.writerow(
            [
                timezone.localtime(entry.created_at).strftime("%d.%m.%Y %H:%M"),
                str(kinds.get(entry.kind, entry.kind)),
                rubles_text(entry.amount_kop),
                rubles_text(entry.balance_after_kop),
                _spreadsheet_safe(ledger_description(entry, names)),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="history-{account.contract}.csv"'
    return response
