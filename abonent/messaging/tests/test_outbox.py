"""The e-mail outbox against a real SMTP server on loopback: what arrives (multipart, the
account's language, the recipient), an outage that delays mail and loses none, refusals with
backoff and the failed marker, and claims that never hand one row to two senders."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from abonent.accounts.services import account_reset_password
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind
from abonent.billing.services.posting import ledger_post
from abonent.messaging.models import EmailOutbox, EmailStatus, NotificationKind
from abonent.messaging.outbox import LEASE, backoff, outbox_add, outbox_claim, outbox_send_due

pytestmark = pytest.mark.django_db


def parts(mime) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The text parts by type, with no-break spaces as plain ones."""
    return {
        part.get_content_type(): part.get_content().replace("\xa0", " ")
        for part in mime.walk()
        if part.get_content_maintype() == "text"
    }


class TestDelivery:
    def test_a_payment_notice_arrives_multipart_in_russian(self, smtp) -> None:
        account = AccountFactory(email="ivan@example.ru", language="ru")
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=150_000)
        report = outbox_send_due()
        assert report.sent == 1
        [(to, mime)] = smtp.inbox.messages
        assert to == ["ivan@example.ru"]
        assert mime.is_multipart() and mime.get_content_type() == "multipart/alternative"
        body = parts(mime)
        assert set(body) == {"text/plain", "text/html"}
        assert str(mime["Subject"]).replace("\xa0", " ").strip() == "Платёж получен: 1 500,00 ₽"
        assert "1 500,00 ₽" in body["text/plain"]
        assert "зачислено" in body["text/plain"]
        assert "<html" in body["text/html"] and "1 500,00 ₽" in body["text/html"]
        assert mime["Content-Language"] == "ru"
        assert EmailOutbox.objects.get().status == EmailStatus.SENT

    def test_in_english_for_an_english_account(self, smtp, support_user) -> None:
        account = AccountFactory(email="john@example.com", language="en")
        account_reset_password(account_id=account.pk, actor=support_user)
        outbox_send_due()
        [(to, mime)] = smtp.inbox.messages
        assert to == ["john@example.com"]
        assert str(mime["Subject"]) == "Your password has been changed"
        text = parts(mime)["text/plain"]
        assert "If it was not you" in text and "please do not reply" in text
        # a security notice has no "choose which notices" link: it cannot be turned off
        assert "mail/settings" not in text

    def test_html_escapes_what_the_text_carries(self, smtp) -> None:
        account = AccountFactory(email="x@example.ru")
        outbox_add(
            account=account,
            kind=NotificationKind.TICKET_ANSWERED,
            subject="Тема",
            body="<script>alert(1)</script> https://spnet.ru/?a=1&b=2",
        )
        outbox_send_due()
        html = parts(smtp.inbox.messages[0][1])["text/html"]
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert 'href="https://spnet.ru/?a=1&amp;b=2"' in html

    def test_no_address_no_email(self, smtp) -> None:
        account = AccountFactory(email="")
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=10_000)
        assert not EmailOutbox.objects.exists()


class TestOutage:
    def test_smtp_down_delays_mail_and_loses_none(self, smtp, support_user) -> None:
        """Stop the server, make notices, send (fails: all stay pending with backoff), start it
        again, send: every e-mail arrives exactly once."""
        smtp.stop()
        accounts = [AccountFactory(email=f"a{n}@example.ru") for n in range(4)]
        for account in accounts:
            ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=20_000)
        account_reset_password(account_id=accounts[0].pk, actor=support_user)
        assert EmailOutbox.objects.count() == 5

        now = timezone.now()
        report = outbox_send_due(now=now)
        assert report.server_down and report.sent == 0
        rows = list(EmailOutbox.objects.all())
        assert {r.status for r in rows} == {EmailStatus.PENDING}
        assert {r.attempts for r in rows} == {1} and {r.refusals for r in rows} == {0}
        assert all(r.next_attempt_at == now + backoff(1) for r in rows)
        assert "ConnectionRefusedError" in rows[0].last_error
        # not due yet: nothing is tried before the backoff ends
        assert outbox_send_due(now=now + dt.timedelta(seconds=1)).sent == 0

        again = now + dt.timedelta(seconds=30)
        assert outbox_send_due(now=again + backoff(1)).server_down  # still down: 2nd backoff
        assert {r.attempts for r in EmailOutbox.objects.all()} == {2}

        smtp.start()
        later = again + backoff(1) + backoff(2)
        assert outbox_send_due(now=later).sent == 5
        assert outbox_send_due(now=later + dt.timedelta(days=1)).sent == 0
        ids = smtp.inbox.ids()
        assert len(ids) == 5 and max(Counter(ids).values()) == 1
        received = Counter(to[0] for to, _m in smtp.inbox.messages)
        assert received == Counter(
            {"a0@example.ru": 2, "a1@example.ru": 1, "a2@example.ru": 1, "a3@example.ru": 1}
        )
        assert set(EmailOutbox.objects.values_list("status", flat=True)) == {EmailStatus.SENT}

    def test_refused_message_backs_off_then_is_marked_failed(self, smtp, settings) -> None:
        settings.ABONENT_EMAIL_MAX_ATTEMPTS = 3
        smtp.inbox.refuse.add("gone@example.ru")
        bad = AccountFactory(email="gone@example.ru")
        good = AccountFactory(email="ok@example.ru")
        for account in (bad, good):
            ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=10_000)
        now = timezone.now()
        for attempt in range(1, 4):
            report = outbox_send_due(now=now)
            row = EmailOutbox.objects.get(to_email="gone@example.ru")
            assert row.refusals == attempt and "550" in row.last_error
            now = row.next_attempt_at
        assert row.status == EmailStatus.FAILED and report.failed == 1
        assert EmailOutbox.objects.get(to_email="ok@example.ru").status == EmailStatus.SENT
        assert outbox_send_due(now=now + dt.timedelta(days=30)).sent == 0
        assert [to for to, _m in smtp.inbox.messages] == [["ok@example.ru"]]

    def test_backoff_is_exponential_and_capped(self, settings) -> None:
        settings.ABONENT_EMAIL_RETRY_BASE_SECONDS = 60
        settings.ABONENT_EMAIL_RETRY_MAX_SECONDS = 3600
        assert [backoff(n).total_seconds() for n in range(1, 9)] == [
            60,
            120,
            240,
            480,
            960,
            1920,
            3600,
            3600,
        ]


class TestClaims:
    def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(self) -> None:
        account = AccountFactory(email="a@example.ru")
        for _ in range(3):
            outbox_add(account=account, kind=NotificationKind.BROADCAST, subject="s", body="b")
        now = timezone.now()
        token, first = outbox_claim(limit=2, now=now)
        _token2, second = outbox_claim(limit=10, now=now)
        assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
        assert outbox_claim(limit=10, now=now)[1] == []
        # a sender that died: after the lease its rows are taken again
        assert sorted(outbox_claim(limit=10, now=now + LEASE)[1]) == sorted(first + second)
        assert EmailOutbox.objects.filter(claim=token).count() == 0
