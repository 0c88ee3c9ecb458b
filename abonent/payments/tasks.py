"""Background work of payments, as tasks of Django's tasks API (the ``django-tasks`` backport;
the database backend writes an enqueued task as a row in the caller's transaction and
``abonent worker`` runs it). Each task is safe to run again."""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger("abonent.payments")


@task()
def card_check_refund_task(payment_id: int, attempt: int = 1) -> str:
    """Return a card check's money through the gateway if it has not gone back yet (the first
    attempt right after the check's commit may already have done it: then nothing happens).
    A gateway that does not answer is asked again later, with growing pauses."""
    from abonent.payments.gateways.base import GatewayUnavailable
    from abonent.payments.services.card_check import card_check_refund, card_check_retry_at

    try:
        refund = card_check_refund(payment_id=payment_id)
    except GatewayUnavailable:
        when = card_check_retry_at(attempt=attempt)
        if when is None:
            logger.error("card check %s: no answer to its refund, giving up", payment_id)
            return "gave_up"
        card_check_refund_task.using(run_after=when).enqueue(
            payment_id=payment_id, attempt=attempt + 1
        )
        return "retry"
    return refund.status if refund is not None else "none"
