"""Reads of connection requests for the back office."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from abonent.core.errors import NotFound
from abonent.leads.models import Lead, LeadStatus


def lead_queue(
    *, status: str = "", tariff_id: int | None = None, query: str = ""
) -> QuerySet[Lead]:
    """The managers' queue, filtered; newest first, with tariff and manager joined."""
    qs = Lead.objects.select_related("tariff", "tariff__kind", "assigned_to")
    if status:
        qs = qs.filter(status=status)
    if tariff_id:
        qs = qs.filter(tariff_id=tariff_id)
    query = (query or "").strip()
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        condition = Q()
        # SQLite folds the case of ASCII letters only, so "петров" would miss "Петров" there;
        # trying the usual spellings of a Cyrillic word keeps the search portable.
        for variant in {query, query.lower(), query.upper(), query.title(), query.capitalize()}:
            condition |= Q(name__icontains=variant) | Q(address__icontains=variant)
        if len(digits) >= 3:
            if len(digits) == 11 and digits[0] in "78":
                digits = digits[1:]
            condition |= Q(phone__contains=digits)
        qs = qs.filter(condition)
    return qs


def lead_status_counts() -> dict[str, int]:
    """How many requests are in each status (for the queue's tabs)."""
    rows = Lead.objects.values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in LeadStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def lead_get(*, lead_id: int) -> Lead:
    """One request with its notes, or ``NotFound``."""
    lead = (
        Lead.objects.select_related("tariff", "tariff__kind", "assigned_to")
        .prefetch_related("notes__author")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None:
        raise NotFound("No such request.")
    return lead
