"""API shapes of the subscriber's billing: ledger, next charge, tariff change, add-ons, pause,
promised payment. Amounts are integer kopecks in ``*_kop`` with a formatted string beside."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from abonent.catalogue.schemas import AddonOut, TariffOut


class ApiErrorOut(Schema):
    """What every refusal of the API looks like (documentation of the error responses)."""

    detail: str
    field: str | None
    code: str


# --- ledger --------------------------------------------------------------------------------


class LedgerEntryOut(Schema):
    """One entry of the account's ledger: a signed amount and the balance right after it."""

    id: int
    created_at: dt.datetime
    kind: str = Field(description="payment, fee, addon_fee, refund, correction, …")
    kind_label: str
    description: str = Field(description="What the entry is for, in words for people.")
    amount_kop: int
    amount: str
    balance_after_kop: int
    balance_after: str
    reason: str
    period_start: dt.date | None = Field(description="First day a fee pays for.")
    period_end: dt.date | None = Field(description="Last day a fee pays for.")
    item: str | None = Field(description='A fee\'s item: "tariff" or "addon:<id>".')


class LedgerPageOut(Schema):
    """A page of the ledger, newest first; ``count`` is the number of entries that match."""

    items: list[LedgerEntryOut]
    count: int


# --- next charge ---------------------------------------------------------------------------


class ChargeItemOut(Schema):
    """One fee of the next charge."""

    name: str
    amount_kop: int
    amount: str


class NextChargeOut(Schema):
    """The next charge and how long the balance lasts.

    ``date`` is null while no charge is coming (a paused or closed account); ``lasts_until``
    and ``days_left`` are null when the balance lasts beyond the forecast's horizon;
    ``needed_kop`` is what to top up for a new or blocked account to start or resume.
    """

    date: dt.date | None
    amount_kop: int
    amount: str
    items: list[ChargeItemOut]
    lasts_until: dt.date | None
    days_left: int | None
    needed_kop: int
    needed: str
    status: str = Field(description="The account's status: new, active, blocked, suspended…")


# --- tariff change -------------------------------------------------------------------------


class TariffChangeIn(Schema):
    """The tariff to move to (one of ``GET me/tariff-change/options``)."""

    tariff_id: int


class TariffChangeOut(Schema):
    """A request to move to another tariff at the next period boundary."""

    id: int
    from_tariff: TariffOut
    to_tariff: TariffOut
    status: str = Field(description="pending, awaiting_approval, applied, rejected, cancelled")
    status_label: str
    effective_on: dt.date
    requested_at: dt.datetime


class TariffOptionOut(Schema):
    """A tariff the account may move to, and what changes against the current one.

    ``difference_kop`` is the change of the fee per ``difference_period``: the tariffs' own
    period when both have the same one; per month otherwise, a daily fee counted for the days
    of the month the change would take effect in. Speed changes are in kbit/s (null for
    tariffs without speeds).
    """

    tariff: TariffOut
    difference_kop: int
    difference: str
    difference_period: str
    download_change_kbps: int | None
    upload_change_kbps: int | None


class TariffOptionsOut(Schema):
    """The current tariff, the tariffs the account may move to, and when a change applies."""

    current: TariffOut
    effective_on: dt.date
    items: list[TariffOptionOut]
    count: int


# --- add-ons -------------------------------------------------------------------------------


class AddonConnectIn(Schema):
    """The add-on to connect (one of the ``available`` ones)."""

    addon_id: int


class AccountAddonOut(Schema):
    """An add-on on the account: charged from ``started_on``; ``ends_on`` (inclusive) is set
    once it is disconnected, or for one-time add-ons."""

    id: int = Field(description="The subscription's id (for DELETE me/addons/{id}).")
    addon: AddonOut
    started_on: dt.date
    ends_on: dt.date | None
    period: str
    fee_kop: int
    fee: str


class AvailableAddonOut(Schema):
    """An add-on the account may connect and what connecting it costs now (the rest of the
    month for monthly ones) for the days ``charged_from..charged_until``."""

    addon: AddonOut
    price_now_kop: int
    price_now: str
    charged_from: dt.date
    charged_until: dt.date


class AddonsOut(Schema):
    """The connected add-ons and the ones that can be connected."""

    items: list[AccountAddonOut]
    count: int
    available: list[AvailableAddonOut]


# --- pause, promised payment ---------------------------------------------------------------


class PauseIn(Schema):
    """How many days to pause for (the limits are the provider's settings, 7–90 by default)."""

    days: int


class PauseOut(Schema):
    """A voluntary pause: no fees from ``starts_on`` to ``ends_on`` unless resumed earlier."""

    id: int
    starts_on: dt.date
    ends_on: dt.date
    status: str


class AccountStateOut(Schema):
    """The account's status and balance after an action."""

    status: str
    status_text: str
    balance_kop: int
    balance: str


class PromisedOut(Schema):
    """A promised payment: a temporary credit that is taken back on ``expires_on``'s
    next day."""

    id: int
    amount_kop: int
    amount: str
    taken_on: dt.date
    expires_on: dt.date
    account_status: str
    balance_kop: int
    balance: str
