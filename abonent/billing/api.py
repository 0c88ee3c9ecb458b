"""The subscriber's billing in the API, under ``/api/v1/me/``: the ledger, the next charge,
tariff changes, add-ons, the voluntary pause and the promised payment.

Every endpoint acts on the token's own account (``request.account``) only: reads go through
the billing selectors, writes through the billing services, which lock the account row and
raise ``ApplicationError`` for the API's one error shape.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from abonent.accounts.api import token_auth
from abonent.accounts.models import Account
from abonent.accounts.selectors import account_get
from abonent.accounts.texts import status_explanation
from abonent.billing.models import (
    AccountAddon,
    EntryKind,
    LedgerEntry,
    TariffChange,
    TariffChangeStatus,
)
from abonent.billing.periods import billing_today, days_in_month
from abonent.billing.schemas import (
    AccountAddonOut,
    AccountStateOut,
    AddonConnectIn,
    AddonsOut,
    ApiErrorOut,
    AvailableAddonOut,
    ChargeItemOut,
    LedgerEntryOut,
    LedgerPageOut,
    NextChargeOut,
    PauseIn,
    PauseOut,
    PromisedOut,
    TariffChangeIn,
    TariffChangeOut,
    TariffOptionOut,
    TariffOptionsOut,
)
from abonent.billing.selectors import account_addons, account_forecast, ledger_list
from abonent.billing.services.addons import (
    addon_available,
    addon_connect,
    addon_disconnect,
    addon_first_charge,
)
from abonent.billing.services.charging import TARIFF_ITEM
from abonent.billing.services.pause import account_pause, account_resume
from abonent.billing.services.promised import promised_take
from abonent.billing.services.tariff_change import (
    tariff_change_boundary,
    tariff_change_cancel,
    tariff_change_open,
    tariff_change_options,
    tariff_change_request,
)
from abonent.catalogue.api import addon_out, tariff_out
from abonent.catalogue.models import Addon, AddonPeriod, FeePeriod, Tariff
from abonent.core.errors import ApplicationError, NotFound
from abonent.core.money import format_money

router = Router(tags=["billing"], auth=token_auth)

LEDGER_PAGE_DEFAULT = 50
LEDGER_PAGE_MAX = 200
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ADDON_ITEM = re.compile(r"addon:(\d+)")
_PAUSE_REFUND_KEY = "pause-refund:"
_LIMIT_TEXT = f"Entries per page, 1–{LEDGER_PAGE_MAX} (default {LEDGER_PAGE_DEFAULT})."
_KIND_TEXT = "Only entries of this kind: " + ", ".join(EntryKind.values) + "."

# The error answers, for the OpenAPI schema (the handlers in core.api_errors produce them).
_REFUSALS: dict[int, Any] = {401: ApiErrorOut, 422: ApiErrorOut}
_MISSING: dict[int, Any] = {401: ApiErrorOut, 404: ApiErrorOut}


def _account(request: HttpRequest) -> Account:
    """The token's account (``TokenAuth`` puts it on the request)."""
    return request.account  # type: ignore[attr-defined,no-any-return]


# --- ledger --------------------------------------------------------------------------------


def _parse_date(value: str | None, field: str) -> dt.date | None:
    """``YYYY-MM-DD`` as a date; empty is no filter; anything else is a 422 on ``field``."""
    if not value:
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApplicationError(
            _("Enter a date as YYYY-MM-DD."), field=field, code="invalid_date"
        ) from None


def _span(start: dt.date, end: dt.date) -> str:
    """Days of a fee as people write them: "01.11–30.11", one day as "15.11"."""
    fmt = "%d.%m" if start.year == end.year else "%d.%m.%Y"
    if start == end:
        return start.strftime(fmt)
    return f"{start.strftime(fmt)}–{end.strftime(fmt)}"


def _addon_names(entries: list[LedgerEntry]) -> dict[str, str]:
    """The names of the add-ons the page's add-on fees are for, in one query."""
    ids = {
        int(match.group(1))
        for entry in entries
        if entry.item and (match := _ADDON_ITEM.fullmatch(entry.item))
    }
    if not ids:
        return {}
    return {f"addon:{addon.pk}": addon.title for addon in Addon.objects.filter(pk__in=ids)}


def entry_description(entry: LedgerEntry, addon_names: dict[str, str]) -> str:
    """What an entry is for, in words: the fee's days, the add-on's name, the paused days;
    otherwise its reason, or its kind."""
    if entry.period_start and entry.period_end:
        span = _span(entry.period_start, entry.period_end)
        if entry.item == TARIFF_ITEM:
            return _("Subscription fee for %(period)s") % {"period": span}
        if entry.item in addon_names:
            # Translators: an add-on's fee in the ledger, e.g. "Static IP for 15.11–30.11".
            return _("%(addon)s for %(period)s") % {
                "addon": addon_names[entry.item],
                "period": span,
            }
    if entry.key and entry.key.startswith(_PAUSE_REFUND_KEY):
        days = entry.reason.removeprefix("pause ").strip()
        return _("Refund for the paused days %(period)s") % {"period": days}
    return entry.reason or str(EntryKind(entry.kind).label)


def ledger_entry_out(entry: LedgerEntry, addon_names: dict[str, str]) -> LedgerEntryOut:
    """The API shape of a ledger entry."""
    return LedgerEntryOut(
        id=entry.pk,
        created_at=entry.created_at,
        kind=entry.kind,
        kind_label=str(EntryKind(entry.kind).label),
        description=entry_description(entry, addon_names),
        amount_kop=entry.amount_kop,
        amount=format_money(entry.amount_kop),
        balance_after_kop=entry.balance_after_kop,
        balance_after=format_money(entry.balance_after_kop),
        reason=entry.reason,
        period_start=entry.period_start,
        period_end=entry.period_end,
        item=entry.item,
    )


@router.get(
    "/ledger",
    response={200: LedgerPageOut, **_REFUSALS},
    summary="The account's ledger, newest first, paginated and filtered",
)
def list_ledger(
    request: HttpRequest,
    limit: Annotated[int, Query(description=_LIMIT_TEXT)] = LEDGER_PAGE_DEFAULT,
    offset: Annotated[int, Query(description="Entries to skip.")] = 0,
    kind: Annotated[str, Query(description=_KIND_TEXT)] = "",
    date_from: Annotated[str, Query(description="From this day (YYYY-MM-DD).")] = "",
    date_to: Annotated[str, Query(description="Until this day (YYYY-MM-DD).")] = "",
) -> LedgerPageOut:
    """Every payment, fee, refund and correction with the balance after it. 422 with the field
    on a bad limit, offset, kind or date, or when ``date_from`` is after ``date_to``."""
    if not 1 <= limit <= LEDGER_PAGE_MAX:
        raise ApplicationError(
            _("Choose from 1 to %(max)d entries per page.") % {"max": LEDGER_PAGE_MAX},
            field="limit",
        )
    if offset < 0:
        raise ApplicationError(_("The offset cannot be negative."), field="offset")
    if kind and kind not in EntryKind.values:
        raise ApplicationError(
            _("Unknown kind of entry; use one of: %(kinds)s.")
            % {"kinds": ", ".join(EntryKind.values)},
            field="kind",
        )
    start = _parse_date(date_from, "date_from")
    end = _parse_date(date_to, "date_to")
    if start and end and start > end:
        raise ApplicationError(
            _("The start date must not be after the end date."), field="date_from"
        )
    entries = ledger_list(account_id=_account(request).pk, kind=kind, date_from=start, date_to=end)
    page = list(entries[offset : offset + limit])
    if len(page) < limit and (page or offset == 0):
        count = offset + len(page)  # the last page: no need to count
    else:
        count = entries.count()
    names = _addon_names(page)
    return LedgerPageOut(items=[ledger_entry_out(e, names) for e in page], count=count)


# --- next charge ---------------------------------------------------------------------------


@router.get(
    "/next-charge",
    response={200: NextChargeOut, 401: ApiErrorOut},
    summary="The next charge and how long the balance lasts",
)
def get_next_charge(request: HttpRequest) -> NextChargeOut:
    """The date and amount of the next charge (the tariff after a pending change, and the
    add-ons), the last day the balance pays for, and what to top up when access waits for
    money."""
    account = _account(request)
    forecast = account_forecast(account=account, today=billing_today())
    return NextChargeOut(
        date=forecast.next_date,
        amount_kop=forecast.next_amount_kop,
        amount=format_money(forecast.next_amount_kop),
        items=[
            ChargeItemOut(name=i.name, amount_kop=i.amount_kop, amount=format_money(i.amount_kop))
            for i in forecast.items
        ],
        lasts_until=forecast.lasts_until,
        days_left=forecast.days_left,
        needed_kop=forecast.needed_kop,
        needed=format_money(forecast.needed_kop),
        status=account.status,
    )


# --- tariff change -------------------------------------------------------------------------


def tariff_change_out(change: TariffChange) -> TariffChangeOut:
    """The API shape of a tariff change."""
    return TariffChangeOut(
        id=change.pk,
        from_tariff=tariff_out(change.from_tariff),
        to_tariff=tariff_out(change.to_tariff),
        status=change.status,
        status_label=str(TariffChangeStatus(change.status).label),
        effective_on=change.effective_on,
        requested_at=change.requested_at,
    )


def _change_with_tariffs(change: TariffChange) -> TariffChange:
    """Load both tariffs and their service kinds in one go."""
    prefetch_related_objects([change], "from_tariff__kind", "to_tariff__kind")
    return change


def fee_difference(current: Tariff, option: Tariff, *, on: dt.date) -> tuple[int, str]:
    """How much more (or less) ``option`` costs than ``current``, and per which period: their
    own one when they share it, else a month with a daily fee counted for ``on``'s month."""
    if current.fee_period == option.fee_period:
        return option.fee_kop - current.fee_kop, option.fee_period
    days = days_in_month(on)

    def per_month(tariff: Tariff) -> int:
        return tariff.fee_kop * days if tariff.fee_period == FeePeriod.DAY else tariff.fee_kop

    return per_month(option) - per_month(current), FeePeriod.MONTH


def _speed_change(current: int | None, option: int | None) -> int | None:
    return None if current is None or option is None else option - current


@router.get(
    "/tariff-change/options",
    response={200: TariffOptionsOut, 401: ApiErrorOut},
    summary="Tariffs the account may move to",
)
def list_tariff_options(request: HttpRequest) -> TariffOptionsOut:
    """Public tariffs of the same service kind and building type, each with the change in
    money and speed against the current tariff, and the day a change would take effect."""
    account = _account(request)
    current = account.tariff
    prefetch_related_objects([current], "kind")
    effective_on = tariff_change_boundary(tariff=current, today=billing_today())
    items = []
    for option in tariff_change_options(account=account):
        difference, per = fee_difference(current, option, on=effective_on)
        items.append(
            TariffOptionOut(
                tariff=tariff_out(option),
                difference_kop=difference,
                difference=format_money(difference),
                difference_period=per,
                download_change_kbps=_speed_change(current.download_kbps, option.download_kbps),
                upload_change_kbps=_speed_change(current.upload_kbps, option.upload_kbps),
            )
        )
    return TariffOptionsOut(
        current=tariff_out(current), effective_on=effective_on, items=items, count=len(items)
    )


@router.post(
    "/tariff-change",
    response={201: TariffChangeOut, **_REFUSALS},
    summary="Ask to move to another tariff at the next period boundary",
)
def create_tariff_change(request: HttpRequest, payload: TariffChangeIn) -> Status[TariffChangeOut]:
    """Files the change (replacing an open one); tariffs that need approval wait for staff.
    422 on ``tariff_id`` when the tariff is not one of the options."""
    change = tariff_change_request(account_id=_account(request).pk, to_tariff_id=payload.tariff_id)
    return Status(201, tariff_change_out(_change_with_tariffs(change)))


@router.get(
    "/tariff-change",
    response={200: TariffChangeOut, **_MISSING},
    summary="The open tariff change",
)
def get_tariff_change(request: HttpRequest) -> TariffChangeOut:
    """The change waiting for its date or for approval; 404 when there is none."""
    change = tariff_change_open(account_id=_account(request).pk)
    if change is None:
        raise NotFound(_("There is no open tariff change."))
    return tariff_change_out(_change_with_tariffs(change))


@router.delete(
    "/tariff-change",
    response={204: None, **_MISSING},
    summary="Cancel the open tariff change",
)
def delete_tariff_change(request: HttpRequest) -> Status[None]:
    """Withdraw the change before it takes effect; 404 when there is none."""
    tariff_change_cancel(account_id=_account(request).pk)
    return Status(204, None)


# --- add-ons -------------------------------------------------------------------------------


def account_addon_out(subscription: AccountAddon) -> AccountAddonOut:
    """The API shape of an add-on on the account."""
    addon = subscription.addon
    return AccountAddonOut(
        id=subscription.pk,
        addon=addon_out(addon),
        started_on=subscription.started_on,
        ends_on=subscription.ends_on,
        period=addon.period,
        fee_kop=addon.fee_kop,
        fee=format_money(addon.fee_kop),
    )


@router.get(
    "/addons",
    response={200: AddonsOut, 401: ApiErrorOut},
    summary="Connected add-ons and the ones that can be connected",
)
def list_addons(request: HttpRequest) -> AddonsOut:
    """``items``: the add-ons connected now or until the end of a paid period; ``available``:
    the rest, with what connecting costs today (0 for one disconnected but still paid for:
    connecting it again just keeps it)."""
    account = _account(request)
    today = billing_today()
    connected = account_addons(account_id=account.pk, today=today)
    prefetch_related_objects(connected, "addon__kind")
    open_ids = {s.addon_id for s in connected if s.ends_on is None}
    paid_until = {
        s.addon_id: s.ends_on
        for s in connected
        if s.ends_on is not None and s.addon.period != AddonPeriod.ONCE
    }
    available = [a for a in addon_available(account=account) if a.pk not in open_ids]
    prefetch_related_objects(available, "kind")
    offers = []
    for addon in available:
        if addon.pk in paid_until:
            price, start, end = 0, today, paid_until[addon.pk]
        else:
            price, start, end = addon_first_charge(addon=addon, day=today)
        offers.append(
            AvailableAddonOut(
                addon=addon_out(addon),
                price_now_kop=price,
                price_now=format_money(price),
                charged_from=start,
                charged_until=end,
            )
        )
    items = [account_addon_out(s) for s in connected]
    return AddonsOut(items=items, count=len(items), available=offers)


@router.post(
    "/addons",
    response={201: AccountAddonOut, **_REFUSALS},
    summary="Connect an add-on",
)
def connect_addon(request: HttpRequest, payload: AddonConnectIn) -> Status[AccountAddonOut]:
    """Connects it today and pays its first period from the balance (the rest of the month
    for monthly add-ons). 422 on ``addon_id`` when it is unavailable, already connected, or
    the balance does not cover it; 422 when the account is not active."""
    subscription = addon_connect(account_id=_account(request).pk, addon_id=payload.addon_id)
    prefetch_related_objects([subscription], "addon__kind")
    return Status(201, account_addon_out(subscription))


@router.delete(
    "/addons/{subscription_id}",
    response={200: AccountAddonOut, **_MISSING},
    summary="Disconnect an add-on",
)
def disconnect_addon(request: HttpRequest, subscription_id: int) -> AccountAddonOut:
    """Stops it at the end of the period already paid: ``ends_on`` is its last day. 404 for a
    subscription that is not the caller's or is already disconnected."""
    subscription = addon_disconnect(
        account_id=_account(request).pk, subscription_id=subscription_id
    )
    prefetch_related_objects([subscription], "addon__kind")
    return account_addon_out(subscription)


# --- pause, promised payment ---------------------------------------------------------------


def account_state_out(account: Account) -> AccountStateOut:
    """The account's status and balance."""
    return AccountStateOut(
        status=account.status,
        status_text=status_explanation(account),
        balance_kop=account.balance_kop,
        balance=format_money(account.balance_kop),
    )


@router.post(
    "/pause",
    response={201: PauseOut, **_REFUSALS},
    summary="Pause the service for some days",
)
def create_pause(request: HttpRequest, payload: PauseIn) -> Status[PauseOut]:
    """Voluntary pause from today: no fees accrue until it ends or is resumed. 422 on
    ``days`` outside the allowed range, or when the account is not active."""
    pause = account_pause(account_id=_account(request).pk, days=payload.days)
    return Status(
        201,
        PauseOut(id=pause.pk, starts_on=pause.starts_on, ends_on=pause.ends_on, status="suspended"),
    )


@router.delete(
    "/pause",
    response={200: AccountStateOut, **_MISSING},
    summary="Resume the service now",
)
def delete_pause(request: HttpRequest) -> AccountStateOut:
    """Ends the pause today: the paid days it covered are refunded, and the current period is
    charged (or the account waits blocked for a payment). 404 when it is not paused."""
    account = account_resume(account_id=_account(request).pk)
    return account_state_out(account)


@router.post(
    "/promised-payment",
    response={201: PromisedOut, **_REFUSALS},
    summary="Take a promised payment",
)
def create_promised_payment(request: HttpRequest) -> Status[PromisedOut]:
    """A temporary credit for a blocked account, or an active one whose balance runs out in
    a few days; a blocked account resumes at once when it covers the fees. 422 with the reason
    when it is refused (once a calendar month, not while the last one is uncovered)."""
    account = _account(request)
    today = billing_today()
    forecast = account_forecast(account=account, today=today)
    promise = promised_take(account_id=account.pk, days_left=forecast.days_left, today=today)
    fresh = account_get(account_id=account.pk)
    return Status(
        201,
        PromisedOut(
            id=promise.pk,
            amount_kop=promise.amount_kop,
            amount=format_money(promise.amount_kop),
            taken_on=promise.taken_on,
            expires_on=promise.expires_on,
            account_status=fresh.status,
            balance_kop=fresh.balance_kop,
            balance=format_money(fresh.balance_kop),
        ),
    )
