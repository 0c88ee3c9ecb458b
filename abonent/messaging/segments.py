"""Who a broadcast goes to: a segment of accounts, as filters that must all hold."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import AccountStatus
from abonent.catalogue.models import ServiceKind, Tariff
from abonent.core.errors import ApplicationError


@dataclass(frozen=True)
class Segment:
    """Filters of a broadcast. ``everyone=True`` with no other filter reaches every account
    that is not closed; a segment with no filter and without ``everyone`` is refused, so that
    a form left empty never writes to all subscribers by accident."""

    everyone: bool = False
    service_kind: str = ""  # ServiceKind.slug of the account's tariff
    tariff_id: int | None = None
    status: str = ""  # AccountStatus
    address_contains: str = ""
    balance_below_kop: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.service_kind
            or self.tariff_id is not None
            or self.status
            or self.address_contains.strip()
            or self.balance_below_kop is not None
        )

    def as_json(self) -> dict[str, Any]:
        """The filters that were given, for the message's record."""
        # "is not False": 0 == False, and a balance below 0 kopecks is a filter that was given
        return {k: v for k, v in asdict(self).items() if v not in ("", None) and v is not False}


def segment_clean(segment: Segment) -> Segment:
    """Check the filters (422 with the field at fault) and normalise the address text."""
    if segment.is_empty and not segment.everyone:
        raise ApplicationError(
            _("Choose whom to send to: everyone, or at least one filter."), field="segment"
        )
    if segment.status and segment.status not in AccountStatus.values:
        raise ApplicationError(_("Unknown account status."), field="status")
    if segment.service_kind and not ServiceKind.objects.filter(slug=segment.service_kind).exists():
        raise ApplicationError(_("Unknown service kind."), field="service_kind")
    if segment.tariff_id is not None and not Tariff.objects.filter(pk=segment.tariff_id).exists():
        raise ApplicationError(_("Unknown tariff."), field="tariff_id")
    address = " ".join(segment.address_contains.split())
    if len(address) > 255:
        raise ApplicationError(_("The address filter is too long."), field="address_contains")
    return Segment(
        everyone=segment.everyone,
        service_kind=segment.service_kind,
        tariff_id=segment.tariff_id,
        status=segment.status,
        address_contains=address,
        balance_below_kop=segment.balance_below_kop,
    )
