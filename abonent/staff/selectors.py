"""Reads for the back office that no domain app offers: the whole catalogue (archived included),
the audit log, the counts on the staff home page, an account's recent ledger, the tariff
changes waiting for approval, and the provider mail sent so far."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from abonent.accounts.contract import contract_clean
from abonent.accounts.models import Account
from abonent.billing.models import LedgerEntry, TariffChange, TariffChangeStatus
from abonent.catalogue.models import Addon, ServiceKind, Tariff
from abonent.core.errors import NotFound
from abonent.core.models import AuditEntry
from abonent.messaging.models import Message, MessageRecipient


def tariff_staff_list() -> QuerySet[Tariff]:
    """Every tariff, archived ones too, with its service kind and how many requests use it."""
    return (
        Tariff.objects.select_related("kind")
        .annotate(lead_count=Count("leads"))
        .order_by("is_archived", "kind__position", "kind_id", "building_type", "position", "id")
    )


def tariff_choices() -> list[tuple[int, str]]:
    """(id, "Service — Tariff") for filters, archived tariffs last; one query."""
    rows = Tariff.objects.select_related("kind").order_by(
        "is_archived", "kind__position", "kind_id", "position", "fee_kop", "id"
    )
    return [(t.pk, f"{t.kind.name} — {t.name}") for t in rows]


def tariff_staff_get(*, tariff_id: int) -> Tariff:
    """One tariff (archived too), or ``NotFound``."""
    tariff = Tariff.objects.select_related("kind").filter(pk=tariff_id).first()
    if tariff is None:
        raise NotFound("No such tariff.")
    return tariff


def addon_staff_list() -> QuerySet[Addon]:
    """Every add-on, archived ones too, with its service kind."""
    return Addon.objects.select_related("kind").order_by("is_archived", "position", "fee_kop", "id")


def addon_staff_get(*, addon_id: int) -> Addon:
    """One add-on (archived too), or ``NotFound``."""
    addon = Addon.objects.select_related("kind").filter(pk=addon_id).first()
    if addon is None:
        raise NotFound("No such add-on.")
    return addon


def service_kind_staff_list() -> QuerySet[ServiceKind]:
    """Every service kind with how many tariffs and add-ons it has."""
    return ServiceKind.objects.annotate(
        tariff_count=Count("tariffs", distinct=True), addon_count=Count("addons", distinct=True)
    ).order_by("position", "id")


def service_kind_staff_get(*, kind_id: int) -> ServiceKind:
    """One service kind, or ``NotFound``."""
    kind = ServiceKind.objects.filter(pk=kind_id).first()
    if kind is None:
        raise NotFound("No such service kind.")
    return kind


def audit_log(*, action: str = "", object_type: str = "") -> QuerySet[AuditEntry]:
    """The audit log, newest first, optionally filtered by action and object type."""
    qs = AuditEntry.objects.select_related("actor").order_by("-created_at", "-id")
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs


def audit_filter_values() -> tuple[list[str], list[str]]:
    """The actions and the object types present in the log, for its filters."""
    actions = list(
        AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    )
    types = list(
        AuditEntry.objects.order_by("object_type").values_list("object_type", flat=True).distinct()
    )
    return actions, types


def audit_count_since(*, hours: int = 24) -> int:
    """How many audited changes were made in the last ``hours``."""
    since = timezone.now() - dt.timedelta(hours=hours)
    return AuditEntry.objects.filter(created_at__gte=since).count()


def catalogue_counts() -> dict[str, int]:
    """Active and archived tariffs, add-ons and service kinds, for the home page."""
    tariffs = Tariff.objects.aggregate(
        total=Count("id"),
        archived=Count("id", filter=Q(is_archived=True)),
    )
    return {
        "tariffs": tariffs["total"] - tariffs["archived"],
        "tariffs_archived": tariffs["archived"],
        "addons": Addon.objects.filter(is_archived=False).count(),
        "kinds": ServiceKind.objects.count(),
    }


def tariffs_for_contracts() -> list[Tariff]:
    """Tariffs a new contract may take (not archived, hidden ones too), with their service
    kind, in the catalogue's order; one query."""
    return list(
        Tariff.objects.select_related("kind")
        .filter(is_archived=False)
        .order_by("kind__position", "kind_id", "building_type", "position", "fee_kop", "id")
    )


def ledger_recent(*, account_id: int, limit: int = 20) -> list[LedgerEntry]:
    """An account's newest ledger entries, newest first."""
    return list(
        LedgerEntry.objects.filter(account_id=account_id).order_by("-created_at", "-id")[:limit]
    )


def tariff_changes_awaiting() -> QuerySet[TariffChange]:
    """Tariff changes waiting for staff approval, oldest request first, with the account and
    both tariffs."""
    return (
        TariffChange.objects.filter(status=TariffChangeStatus.AWAITING_APPROVAL)
        .select_related("account", "from_tariff__kind", "to_tariff__kind")
        .order_by("requested_at", "id")
    )


def tariff_changes_awaiting_count() -> int:
    """How many tariff changes wait for approval (the home page's number)."""
    return TariffChange.objects.filter(status=TariffChangeStatus.AWAITING_APPROVAL).count()


# --- Provider mail -------------------------------------------------------------------------------


def mail_sent_list(*, automatic: bool = False) -> QuerySet[Message]:
    """Sent messages, newest first, with the sender and how many accounts received and read
    each (two counting subqueries on the recipients' message index, so a page is one query
    whatever the broadcasts' sizes). Written by staff, or with ``automatic`` the ones the
    system sent by itself."""
    rows = MessageRecipient.objects.filter(message_id=OuterRef("pk")).order_by()
    counted = rows.values("message_id").annotate(n=Count("id")).values("n")
    read = (
        rows.filter(read_at__isnull=False).values("message_id").annotate(n=Count("id")).values("n")
    )
    return (
        Message.objects.filter(sender__isnull=automatic)
        .select_related("sender")
        .annotate(
            recipient_count=Coalesce(Subquery(counted), 0),
            read_count=Coalesce(Subquery(read), 0),
        )
        .order_by("-id")
    )


@dataclass
class SegmentNames:
    """Names behind the ids a page of messages' segments mention."""

    accounts: dict[int, Account] = field(default_factory=dict)
    tariffs: dict[int, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)


def mail_segment_names(segments: list[dict[str, Any]]) -> SegmentNames:
    """The accounts, tariffs and service kinds named in ``segments`` (the JSON a message keeps
    of whom it went to): at most one query for each of the three, none when none is named."""
    account_ids = {s["account_id"] for s in segments if isinstance(s.get("account_id"), int)}
    tariff_ids = {s["tariff_id"] for s in segments if isinstance(s.get("tariff_id"), int)}
    slugs = {s["service_kind"] for s in segments if s.get("service_kind")}
    names = SegmentNames()
    if account_ids:
        names.accounts = {
            a.pk: a
            for a in Account.objects.filter(pk__in=account_ids).only(
                "id", "contract", "holder_name"
            )
        }
    if tariff_ids:
        names.tariffs = dict(Tariff.objects.filter(pk__in=tariff_ids).values_list("id", "name"))
    if slugs:
        names.kinds = dict(ServiceKind.objects.filter(slug__in=slugs).values_list("slug", "name"))
    return names


def mail_account_by_contract(*, contract: str) -> Account | None:
    """The account with this contract number (ours, spaces or dashes allowed, or the previous
    system's), with its tariff."""
    number = contract_clean(contract)
    if not number:
        return None
    return (
        Account.objects.select_related("tariff")
        .filter(Q(contract=number) | Q(legacy_contract__in={number, contract.strip()}))
        .order_by("id")
        .first()
    )


def service_kind_choices() -> list[tuple[str, str]]:
    """(slug, name) of every service kind, in the catalogue's order."""
    return list(ServiceKind.objects.order_by("position", "id").values_list("slug", "name"))
