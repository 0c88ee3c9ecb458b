"""Plain words and numbers for the cabinet's billing pages: what a ledger line was for, how two
tariffs compare, kopecks for a spreadsheet. Presentation only; no rules, no writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from abonent.billing.models import EntryKind, LedgerEntry
from abonent.billing.periods import days_in_month, month_end
from abonent.cabinet.reads import addon_names
from abonent.catalogue.models import FeePeriod, Tariff

ADDON_PREFIX = "addon:"


def _month_name(day: dt.date) -> str:
    """ "ноябрь 2026" / "November 2026"."""
    text = date_format(day, "F Y")
    if (translation.get_language() or "ru")[:2] == "ru":
        text = text[:1].lower() + text[1:]
    return text


def period_text(start: dt.date | None, end: dt.date | None) -> str:
    """The days a fee paid for, in words: a whole month, one day, or a span."""
    if start is None:
        return ""
    end = end or start
    if start == end:
        return date_format(start, "j E Y")
    if start.day == 1 and end == month_end(start):
        return _month_name(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{date_format(end, 'j E Y')}"
    return f"{date_format(start, 'j E Y')} – {date_format(end, 'j E Y')}"


def _addon_id(item: str | None) -> int | None:
    if item and item.startswith(ADDON_PREFIX):
        try:
            return int(item[len(ADDON_PREFIX) :])
        except ValueError:
            return None
    return None


def ledger_descriptions(entries: Iterable[LedgerEntry]) -> dict[int, str]:
    """A human description of each entry, by entry id, with one query for add-on names."""
    entries = list(entries)
    names = addon_names(ids=[i for e in entries if (i := _addon_id(e.item)) is not None])
    return {entry.pk: ledger_description(entry, names) for entry in entries}


def ledger_description(entry: LedgerEntry, addon_names: dict[int, str]) -> str:
    """What one ledger entry was for, in the subscriber's words."""
    period = period_text(entry.period_start, entry.period_end)
    reason = entry.reason.strip()
    if entry.kind == EntryKind.FEE and period:
        return _("Tariff fee for %(period)s") % {"period": period}
    if entry.kind == EntryKind.ADDON_FEE:
        addon_id = _addon_id(entry.item)
        name = addon_names.get(addon_id or 0) or _("add-on")
        if period:
            return _("Add-on “%(name)s” for %(period)s") % {"name": name, "period": period}
        return _("Add-on “%(name)s”") % {"name": name}
    # The kind is shown beside the description (a column of its own in the CSV), so the
    # description is the reason itself when there is one.
    if entry.kind == EntryKind.PAYMENT:
        return reason or _("Payment, thank you")
    if entry.kind == EntryKind.REFUND:
        if reason.startswith("pause "):
            return _("Refund for the paused days %(span)s") % {"span": reason[6:]}
        return reason or _("Refund")
    if entry.kind == EntryKind.CORRECTION:
        return reason or _("Correction")
    if entry.kind == EntryKind.PROMISED_PAYMENT:
        return _("Promised payment credited")
    if entry.kind == EntryKind.PROMISED_EXPIRY:
        return _("Promised payment taken back when its term ended")
    return reason or str(entry.get_kind_display())


def rubles_text(amount_kop: int) -> str:
    """Kopecks as roubles for a spreadsheet, "-1234,50", by integer arithmetic only."""
    sign = "-" if amount_kop < 0 else ""
    whole, kop = divmod(abs(int(amount_kop)), 100)
    return f"{sign}{whole},{kop:02d}"


def monthly_equivalent(tariff: Tariff, month_of: dt.date) -> int:
    """What a tariff costs over the month of ``month_of`` (a daily fee times its days)."""
    if tariff.fee_period == FeePeriod.DAY:
        return tariff.fee_kop * days_in_month(month_of)
    return tariff.fee_kop


@dataclass
class TariffComparison:
    """What moving from one tariff to another changes, for the confirmation step."""

    current: Tariff
    target: Tariff
    effective_on: dt.date
    same_period: bool
    fee_difference_kop: int  # per period when the periods match, else per month
    month_current_kop: int
    month_target_kop: int
    month_difference_kop: int
    download_change: int | None  # kbit/s, None when either tariff has no speed
    upload_change: int | None

    @property
    def difference_abs_kop(self) -> int:
        """The size of the difference, for "… more" / "… less" sentences."""
        return abs(self.fee_difference_kop)


def tariff_compare(*, current: Tariff, target: Tariff, effective_on: dt.date) -> TariffComparison:
    """Money and speed of ``target`` against ``current``, from ``effective_on``."""
    month_current = monthly_equivalent(current, effective_on)
    month_target = monthly_equivalent(target, effective_on)
    same = current.fee_period == target.fee_period

    def delta(a: int | None, b: int | None) -> int | None:
        return None if a is None or b is None else b - a

    return TariffComparison(
        current=current,
        target=target,
        effective_on=effective_on,
        same_period=same,
        fee_difference_kop=(
            target.fee_kop - current.fee_kop if same else month_target - month_current
        ),
        month_current_kop=month_current,
        month_target_kop=month_target,
        month_difference_kop=month_target - month_current,
        download_change=delta(current.download_kbps, target.download_kbps),
        upload_change=delta(current.upload_kbps, target.upload_kbps),
    )
