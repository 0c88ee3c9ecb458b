"""Cashiers' corrections and refunds: money moved by hand, with a reason, audited.

Sign convention: ``amount_kop`` is exactly what lands in the ledger. A correction may take
either sign (+ puts money on the balance, − takes it off); a refund is money paid back to the
subscriber outside a gateway (cash, bank transfer), so it leaves the balance and must be
negative. (The automatic refund of paused days is money *in* and is posted by the pause
service, not here.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from abonent.billing.models import EntryKind, LedgerEntry
from abonent.billing.services.common import account_lock
from abonent.billing.services.posting import ledger_post
from abonent.core.audit import audit_record
from abonent.core.errors import ApplicationError

CORRECTION_KINDS = (EntryKind.CORRECTION, EntryKind.REFUND)
MAX_CORRECTION_KOP = 1_000_000 * 100  # one million roubles either way
MIN_REASON_CHARS = 5
MAX_REASON_CHARS = 255
MAX_REQUEST_KEY_CHARS = 64  # "staff:" + key fits LedgerEntry.key (128)


@dataclass(frozen=True)
class CorrectionResult:
    """The entry and whether this call posted it (``False``: the same form came back)."""

    entry: LedgerEntry
    created: bool


def ledger_correction_check(*, kind: str, amount_kop: int, reason: str) -> str:
    """Validate a correction or refund before it is shown for confirmation or posted;
    returns the reason, trimmed. Raises ``ApplicationError`` naming the field at fault."""
    if not isinstance(amount_kop, int) or isinstance(amount_kop, bool):
        raise TypeError("amount_kop must be int kopecks")
    if kind not in CORRECTION_KINDS:
        raise ApplicationError(_("Choose a correction or a refund."), field="kind")
    if amount_kop == 0:
        raise ApplicationError(_("The amount must not be zero."), field="amount_kop")
    if abs(amount_kop) > MAX_CORRECTION_KOP:
        raise ApplicationError(
            _("The amount is too large: at most 1 000 000 ₽ at a time."), field="amount_kop"
        )
    if kind == EntryKind.REFUND and amount_kop > 0:
        raise ApplicationError(
            _("A refund pays money back to the subscriber: it takes it off the balance."),
            field="amount_kop",
        )
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON_CHARS:
        raise ApplicationError(
            _("Give the reason in a few words (at least %(n)d characters).")
            % {"n": MIN_REASON_CHARS},
            field="reason",
        )
    if len(reason) > MAX_REASON_CHARS:
        raise ApplicationError(
            _("The reason is too long: at most %(n)d characters.") % {"n": MAX_REASON_CHARS},
            field="reason",
        )
    return reason


def ledger_correct(
    *,
    account_id: int,
    amount_kop: int,
    reason: str,
    actor: Any,
    kind: str = EntryKind.CORRECTION,
    request_key: str,
) -> CorrectionResult:
    """Post a cashier's correction (either sign) or refund (negative) with its reason.

    ``request_key`` is the one-time token of the form: the same key posts once, so a form
    sent twice (a double click, a reload) returns the first entry (``created=False``) and
    writes no second audit row. The audit row (``ledger.correction`` / ``ledger.refund``,
    balance before → after) is written in the same transaction as the entry. A positive
    amount settles the account like any money in: a blocked account that now covers the
    rest of its period is unblocked and charged for it at once.
    """
    reason = ledger_correction_check(kind=kind, amount_kop=amount_kop, reason=reason)
    request_key = (request_key or "").strip()
    if not request_key or len(request_key) > MAX_REQUEST_KEY_CHARS:
        raise ApplicationError(_("The form has expired. Send it again."), field=None)
    key = f"staff:{request_key}"
    with transaction.atomic():
        account = account_lock(account_id)
        existing = LedgerEntry.objects.filter(key=key).first()
        if existing is not None:
            if existing.account_id != account.pk:
                raise ApplicationError(_("The form has expired. Send it again."), field=None)
            return CorrectionResult(entry=existing, created=False)
        before = {"balance_kop": account.balance_kop, "status": account.status}
        entry = ledger_post(
            account_id=account.pk,
            kind=kind,
            amount_kop=amount_kop,
            reason=reason,
            key=key,
            actor=actor,
        )
        account.refresh_from_db(fields=["balance_kop", "status"])
        audit_record(
            actor=actor,
            action=f"ledger.{kind}",
            obj=account,
            before=before,
            after={
                "balance_kop": account.balance_kop,
                "status": account.status,
                "amount_kop": amount_kop,
                "reason": reason,
                "entry": entry.pk,
            },
        )
        return CorrectionResult(entry=entry, created=True)
