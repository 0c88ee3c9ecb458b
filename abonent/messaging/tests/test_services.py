"""Provider mail services and selectors: sending, broadcasting to segments, read state,
immutability, owner scoping, and the security notice of a password reset."""

from __future__ import annotations

import pytest
from django.utils import translation

from abonent.accounts.models import AccountStatus
from abonent.accounts.services import account_reset_password
from abonent.accounts.tests.factories import AccountFactory
from abonent.catalogue.models import ServiceCategory
from abonent.catalogue.tests.factories import ServiceKindFactory, TariffFactory
from abonent.core.errors import ApplicationError, NotFound
from abonent.core.models import AuditEntry
from abonent.messaging.models import (
    BroadcastDelivery,
    Message,
    MessageAudience,
    MessageCategory,
    MessageRecipient,
)
from abonent.messaging.segments import Segment
from abonent.messaging.selectors import (
    inbox_for_account,
    message_get_for_account,
    unread_count,
)
from abonent.messaging.services import (
    message_broadcast,
    message_mark_all_read,
    message_mark_read,
    message_send_to_account,
)

pytestmark = pytest.mark.django_db


def send(account, **kwargs) -> Message:  # type: ignore[no-untyped-def]
    params = {"subject": "Тема", "body": "Текст", "category": MessageCategory.SUPPORT}
    params.update(kwargs)
    return message_send_to_account(account_id=account.pk, **params)


class TestSend:
    def test_to_one_account(self, support_user) -> None:
        account, other = AccountFactory(), AccountFactory()
        message = send(
            account,
            subject="  Плановые   работы ",
            body="Строка 1\r\nСтрока 2\n",
            sender=support_user,
        )
        assert message.subject == "Плановые работы"
        assert message.body == "Строка 1\nСтрока 2"
        assert message.audience == MessageAudience.ACCOUNT and message.sender == support_user
        assert [i.message for i in inbox_for_account(account_id=account.pk)] == [message]
        assert unread_count(account_id=account.pk) == 1
        assert unread_count(account_id=other.pk) == 0
        assert not inbox_for_account(account_id=other.pk).exists()

    def test_system_sender(self) -> None:
        assert send(AccountFactory()).sender is None

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"subject": "  "}, "subject"),
            ({"subject": "x" * 201}, "subject"),
            ({"body": "\n \n"}, "body"),
            ({"body": "x" * 10_001}, "body"),
            ({"category": "spam"}, "category"),
        ],
    )
    def test_refuses_bad_input(self, kwargs, field) -> None:  # type: ignore[no-untyped-def]
        account = AccountFactory()
        with pytest.raises(ApplicationError) as exc:
            send(account, **kwargs)
        assert exc.value.field == field
        assert not Message.objects.exists()

    def test_unknown_account(self) -> None:
        with pytest.raises(NotFound):
            message_send_to_account(account_id=999_999, subject="a", body="b", category="news")
        assert not Message.objects.exists()


class TestImmutable:
    def test_a_sent_message_cannot_change(self) -> None:
        message = send(AccountFactory())
        message.subject = "Другое"
        with pytest.raises(RuntimeError):
            message.save()
        with pytest.raises(RuntimeError):
            Message.objects.filter(pk=message.pk).update(subject="Другое")
        message.refresh_from_db()
        assert message.subject == "Тема"


@pytest.fixture
def population():
    """Accounts across kinds, tariffs, statuses, addresses and balances."""
    internet = ServiceKindFactory(slug="internet")
    tv = ServiceKindFactory(slug="tv-digital", category=ServiceCategory.TV, name="ТВ")
    fast, slow = TariffFactory(kind=internet), TariffFactory(kind=internet)
    tv_basic = TariffFactory(kind=tv)
    rows = [
        (fast, AccountStatus.ACTIVE, "г. Сергиев Посад, ул. Разина, д. 1", 100_000),
        (fast, AccountStatus.BLOCKED, "г. Сергиев Посад, ул. Разина, д. 2", -5_000),
        (slow, AccountStatus.ACTIVE, "г. Сергиев Посад, пр. Красной Армии, д. 10", 20_000),
        (slow, AccountStatus.SUSPENDED, "пос. Богородское, д. 5", 0),
        (tv_basic, AccountStatus.ACTIVE, "г. Сергиев Посад, ул. Разина, д. 3", 49_999),
        (tv_basic, AccountStatus.NEW, "пос. Богородское, д. 7", 50_000),
        (fast, AccountStatus.CLOSED, "г. Сергиев Посад, ул. Разина, д. 9", 0),
    ]
    accounts = [AccountFactory(tariff=t, status=s, address=a, balance_kop=b) for t, s, a, b in rows]
    return {"accounts": accounts, "fast": fast, "slow": slow, "tv": tv_basic}


def reached(message: Message) -> set[int]:
    return set(
        MessageRecipient.objects.filter(message=message).values_list("account_id", flat=True)
    )


class TestBroadcast:
    @pytest.mark.parametrize(
        ("make_segment", "expected"),
        [
            (lambda p: Segment(everyone=True), {0, 1, 2, 3, 4, 5}),
            (lambda p: Segment(service_kind="internet"), {0, 1, 2, 3}),
            (lambda p: Segment(service_kind="tv-digital"), {4, 5}),
            (lambda p: Segment(tariff_id=p["fast"].pk), {0, 1}),
            (lambda p: Segment(tariff_id=p["slow"].pk), {2, 3}),
            (lambda p: Segment(status=AccountStatus.BLOCKED), {1}),
            (lambda p: Segment(status=AccountStatus.ACTIVE), {0, 2, 4}),
            (lambda p: Segment(status=AccountStatus.CLOSED), {6}),
            (lambda p: Segment(address_contains="Разина"), {0, 1, 4}),
            (lambda p: Segment(address_contains="  богородское "), {3, 5}),
            (lambda p: Segment(balance_below_kop=50_000), {1, 2, 3, 4}),
            (lambda p: Segment(balance_below_kop=0), {1}),
            (
                lambda p: Segment(service_kind="internet", address_contains="Разина"),
                {0, 1},
            ),
            (
                lambda p: Segment(status=AccountStatus.ACTIVE, balance_below_kop=50_000),
                {2, 4},
            ),
            (lambda p: Segment(tariff_id=p["tv"].pk, status=AccountStatus.BLOCKED), set()),
        ],
    )
    def test_reaches_exactly_the_segment(self, population, support_user, make_segment, expected):  # type: ignore[no-untyped-def]
        accounts = population["accounts"]
        message, count = message_broadcast(
            segment=make_segment(population),
            subject="Новости",
            body="Текст",
            sender=support_user,
        )
        ids = {accounts[i].pk for i in expected}
        assert reached(message) == ids
        assert count == len(ids)
        for account in accounts:
            assert unread_count(account_id=account.pk) == (1 if account.pk in ids else 0)

    def test_one_message_row_and_an_audit_entry(self, population, support_user) -> None:
        message, count = message_broadcast(
            segment=Segment(status=AccountStatus.ACTIVE),
            subject="Работы",
            body="Текст",
            category=MessageCategory.SUPPORT,
            sender=support_user,
        )
        assert Message.objects.count() == 1
        assert message.audience == MessageAudience.SEGMENT
        assert message.segment == {"status": "active"}
        entry = AuditEntry.objects.get(action="message.broadcast")
        assert entry.actor == support_user and entry.after["segment"] == {"status": "active"}
        assert BroadcastDelivery.objects.get(pk=message.pk).recipients == count == 3

    @pytest.mark.parametrize(
        ("segment", "field"),
        [
            (Segment(), "segment"),
            (Segment(address_contains="   "), "segment"),
            (Segment(status="vip"), "status"),
            (Segment(service_kind="nope"), "service_kind"),
            (Segment(tariff_id=999_999), "tariff_id"),
        ],
    )
    def test_refuses_bad_segments(self, population, support_user, segment, field) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ApplicationError) as exc:
            message_broadcast(segment=segment, subject="a", body="b", sender=support_user)
        assert exc.value.field == field
        assert not Message.objects.exists() and not MessageRecipient.objects.exists()

    def test_read_state_is_per_account(self, population, support_user) -> None:
        a, b = population["accounts"][0], population["accounts"][2]
        message, _ = message_broadcast(
            segment=Segment(everyone=True), subject="a", body="b", sender=support_user
        )
        message_mark_read(account_id=a.pk, message_id=message.pk)
        assert unread_count(account_id=a.pk) == 0
        assert unread_count(account_id=b.pk) == 1


class TestReadState:
    def test_mark_read_keeps_the_first_reading(self) -> None:
        account = AccountFactory()
        message = send(account)
        first = message_mark_read(account_id=account.pk, message_id=message.pk)
        assert first.read_at is not None and first.message == message
        again = message_mark_read(account_id=account.pk, message_id=message.pk)
        assert again.read_at == first.read_at
        assert unread_count(account_id=account.pk) == 0

    def test_mark_all_read(self) -> None:
        account, other = AccountFactory(), AccountFactory()
        for _ in range(3):
            send(account)
        send(other)
        message_mark_read(
            account_id=account.pk, message_id=inbox_for_account(account_id=account.pk)[0].message_id
        )
        assert message_mark_all_read(account_id=account.pk) == 2
        assert message_mark_all_read(account_id=account.pk) == 0
        assert unread_count(account_id=account.pk) == 0
        assert unread_count(account_id=other.pk) == 1

    def test_filters(self) -> None:
        account = AccountFactory()
        news = send(account, category=MessageCategory.NEWS)
        bill = send(account, category=MessageCategory.BILLING)
        message_mark_read(account_id=account.pk, message_id=news.pk)
        assert [i.message for i in inbox_for_account(account_id=account.pk)] == [bill, news]
        assert [i.message for i in inbox_for_account(account_id=account.pk, unread_only=True)] == [
            bill
        ]
        assert [i.message for i in inbox_for_account(account_id=account.pk, category="news")] == [
            news
        ]
        with pytest.raises(ApplicationError):
            inbox_for_account(account_id=account.pk, category="spam")


class TestOwnerScope:
    def test_another_accounts_message_is_not_found(self) -> None:
        mine, other = AccountFactory(), AccountFactory()
        theirs = send(other)
        with pytest.raises(NotFound):
            message_get_for_account(account_id=mine.pk, message_id=theirs.pk)
        with pytest.raises(NotFound):
            message_mark_read(account_id=mine.pk, message_id=theirs.pk)
        with pytest.raises(NotFound):
            message_get_for_account(account_id=mine.pk, message_id=999_999)
        assert unread_count(account_id=other.pk) == 1


class TestPasswordResetNotice:
    def test_reset_by_staff_sends_a_security_notice(self, support_user, settings) -> None:
        account = AccountFactory()
        account_reset_password(account_id=account.pk, actor=support_user)
        item = inbox_for_account(account_id=account.pk).get()
        message = item.message
        assert message.category == MessageCategory.SECURITY
        assert message.sender == support_user
        assert item.read_at is None
        assert message.subject == "Ваш пароль изменён"
        assert "сменён сотрудником SPNET" in message.body
        assert "если это были не вы" in message.body.lower()
        assert settings.ABONENT_PROVIDER["phone"] in message.body

    def test_in_the_accounts_language(self, support_user) -> None:
        account = AccountFactory(language="en")
        with translation.override("ru"):
            account_reset_password(account_id=account.pk, actor=support_user)
        message = inbox_for_account(account_id=account.pk).get().message
        assert message.subject == "Your password has been changed"
        assert "If it was not you" in message.body

    def test_no_notice_when_the_reset_fails(self, support_user) -> None:
        with pytest.raises(NotFound):
            account_reset_password(account_id=999_999, actor=support_user)
        assert not Message.objects.exists()
