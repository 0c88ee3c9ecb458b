"""A broadcast is accepted at once and delivered by the worker's task, range by range.

The issue's figure is 100 000 accounts; the suite uses 5 000 (with ranges of 1 000, so the
chunking is exercised) to keep the mail tests well under 40 s. The accept path's cost does not
depend on the segment's size: it writes the message, its delivery row, an audit row and a task
row, whatever the number of accounts (measured below as a query count and a time).
"""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abonent.accounts.models import Account, AccountStatus
from abonent.catalogue.tests.factories import TariffFactory
from abonent.messaging.management.commands.worker import worker_round
from abonent.messaging.models import (
    BroadcastDelivery,
    EmailOutbox,
    MessageRecipient,
    NotificationKind,
    NotificationPreference,
)
from abonent.messaging.segments import Segment
from abonent.messaging.services import broadcast_deliver, message_broadcast_accept

pytestmark = pytest.mark.django_db
N = 5_000


def population(n: int) -> list[int]:
    tariff = TariffFactory()
    Account.objects.bulk_create(
        Account(
            contract=f"B{i:07d}",
            holder_name="Абонент",
            address="г. Сергиев Посад",
            phone=f"+7926{i:07d}",
            email=f"b{i}@example.ru" if i % 2 == 0 else "",
            language="en" if i % 10 == 0 else "ru",
            status=AccountStatus.CLOSED if i % 100 == 99 else AccountStatus.ACTIVE,
            tariff=tariff,
            service_start="2026-01-01",
        )
        for i in range(n)
    )
    return list(Account.objects.order_by("id").values_list("id", flat=True))


def test_accepted_at_once_delivered_by_the_task(support_user, settings) -> None:
    settings.ABONENT_BROADCAST_CHUNK = 1_000
    ids = population(N)
    # news by e-mail is opt-in: every 4th account asked for it
    NotificationPreference.objects.bulk_create(
        NotificationPreference(account_id=i, kind=NotificationKind.BROADCAST, by_email=True)
        for i in ids[::4]
    )
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        message = message_broadcast_accept(
            segment=Segment(everyone=True),
            subject="Плановые работы",
            body="Ночью",
            sender=support_user,
        )
    accept_seconds = time.perf_counter() - started
    assert accept_seconds < 0.5, accept_seconds
    assert len(queries) <= 12
    assert not MessageRecipient.objects.exists()  # not yet: the task writes them
    assert BroadcastDelivery.objects.get(pk=message.pk).status == "queued"

    worker_round()
    delivery = BroadcastDelivery.objects.get(pk=message.pk)
    open_accounts = N - N // 100
    assert delivery.status == "done" and delivery.recipients == open_accounts
    assert MessageRecipient.objects.filter(message=message).count() == open_accounts
    # e-mails: opted in (every 4th), with an address (even), not closed
    expected = sum(1 for n in range(0, N, 4) if n % 100 != 99)
    assert delivery.emails == expected == EmailOutbox.objects.filter(message=message).count()
    assert set(EmailOutbox.objects.filter(message=message).values_list("language", flat=True)) == {
        "ru",
        "en",
    }


def test_a_delivery_run_again_writes_nothing_twice(support_user, settings) -> None:
    settings.ABONENT_BROADCAST_CHUNK = 100
    population(350)
    message = message_broadcast_accept(
        segment=Segment(everyone=True), subject="s", body="b", sender=support_user, enqueue=False
    )
    broadcast_deliver(message_id=message.pk)
    # a worker killed half-way: the cursor back to the start, the ranges written again
    BroadcastDelivery.objects.filter(pk=message.pk).update(status="queued", next_account_id=0)
    broadcast_deliver(message_id=message.pk)
    assert MessageRecipient.objects.filter(message=message).count() == 350 - 3


def test_broadcast_emails_are_rendered_when_sent(smtp, support_user) -> None:
    ids = population(4)
    NotificationPreference.objects.bulk_create(
        NotificationPreference(account_id=i, kind=NotificationKind.BROADCAST, by_email=True)
        for i in ids
    )
    message = message_broadcast_accept(
        segment=Segment(everyone=True),
        subject="Новый канал",
        body="Смотрите https://spnet.ru",
        sender=support_user,
    )
    worker_round()
    assert sorted(to[0] for to, _m in smtp.inbox.messages) == ["b0@example.ru", "b2@example.ru"]
    mime = smtp.inbox.messages[0][1]
    assert str(mime["Subject"]).strip() == message.subject
    assert "https://spnet.ru" in mime.get_body(("plain",)).get_content()
