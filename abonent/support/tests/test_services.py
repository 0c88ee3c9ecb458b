"""Support services: opening, replying, statuses, taking, notices, attachments on disk."""

from __future__ import annotations

import pytest

from abonent.accounts.tests.factories import AccountFactory
from abonent.core.errors import ApplicationError, NotFound, PermissionDenied
from abonent.core.models import AuditEntry
from abonent.messaging.models import Message, MessageRecipient
from abonent.support.models import Attachment, Ticket, TicketStatus
from abonent.support.selectors import (
    staff_queue,
    ticket_get_for_account,
    tickets_for_account,
)
from abonent.support.services import (
    canned_answer_delete,
    canned_answer_save,
    ticket_close,
    ticket_open,
    ticket_reopen,
    ticket_reply,
    ticket_status_set,
    ticket_take,
)
from abonent.support.tests.factories import big_png, image_bytes, png_upload, upload

pytestmark = pytest.mark.django_db


def _open(account, **kwargs):
    data = {"category": "no_connection", "subject": "Нет интернета", "text": "С утра не работает."}
    data.update(kwargs)
    return ticket_open(account=account, **data)


def test_open_writes_ticket_message_files_and_audit(media_root) -> None:
    account = AccountFactory()
    ticket = _open(account, files=[png_upload("экран.png"), upload("p.jpg", image_bytes("JPEG"))])
    assert ticket.status == TicketStatus.OPEN
    assert ticket.waiting_since == ticket.last_message_at
    message = ticket.messages.get()
    assert message.author_staff is None
    files = list(Attachment.objects.filter(message=message).order_by("id"))
    assert [(a.original_name, a.content_type) for a in files] == [
        ("экран.png", "image/png"),
        ("p.jpg", "image/jpeg"),
    ]
    for a in files:
        path = media_root / a.file.name
        assert path.is_file() and path.stat().st_size == a.size
        assert a.file.name.startswith("private/support/")
        assert "экран" not in a.file.name  # the subscriber's name is never a path
        with pytest.raises(ValueError):
            a.file.url  # noqa: B018 — no public URL
    assert AuditEntry.objects.filter(action="ticket.open", object_id=str(ticket.pk)).exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 151}, "subject"),
        ({"text": " \n "}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"category": "spam"}, "category"),
    ],
)
def test_open_refuses_bad_input(kwargs, field) -> None:
    with pytest.raises(ApplicationError) as exc:
        _open(AccountFactory(), **kwargs)
    assert exc.value.field == field
    assert not Ticket.objects.exists()


def test_open_refuses_a_renamed_executable_and_writes_nothing(media_root) -> None:
    account = AccountFactory()
    with pytest.raises(ApplicationError) as exc:
        _open(account, files=[png_upload("ok.png"), upload("photo.png", b"MZ\x90\x00" * 100)])
    assert exc.value.field == "files"
    assert "photo.png" in str(exc.value.message)
    assert not Ticket.objects.exists()
    assert not (media_root / "private").exists() or not any((media_root / "private").rglob("*.*"))


def test_open_refuses_a_6_mb_image() -> None:
    with pytest.raises(ApplicationError) as exc:
        _open(AccountFactory(), files=[upload("big.png", big_png(6))])
    assert "big.png" in str(exc.value.message) and "5" in str(exc.value.message)


def test_open_refuses_a_fourth_image() -> None:
    with pytest.raises(ApplicationError) as exc:
        _open(AccountFactory(), files=[png_upload(f"{n}.png") for n in range(4)])
    assert exc.value.code == "too_many"


def test_files_written_before_a_failure_are_removed(media_root, monkeypatch) -> None:
    from abonent.support import services

    def boom(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "audit_record", boom)
    with pytest.raises(RuntimeError):
        _open(AccountFactory(), files=[png_upload()])
    assert not list((media_root / "private" / "support").glob("*"))
    assert not Attachment.objects.exists()


def test_staff_reply_answers_assigns_and_notifies(support_user) -> None:
    account = AccountFactory(language="ru")
    ticket = _open(account)
    message = ticket_reply(ticket_id=ticket.pk, staff=support_user, text="Перезагрузите роутер.")
    ticket.refresh_from_db()
    assert message.from_staff
    assert ticket.status == TicketStatus.ANSWERED
    assert ticket.waiting_since is None
    assert ticket.answered_by == support_user
    assert ticket.assigned_to == support_user
    note = Message.objects.get()
    assert note.category == "support"
    assert "Нет интернета" in note.subject
    assert "Перезагрузите роутер." in note.body
    assert f"/support/{ticket.pk}/" in note.body
    assert MessageRecipient.objects.filter(account=account, message=note).exists()
    audit = AuditEntry.objects.get(action="ticket.status")
    assert audit.before == {"status": "open"}
    assert audit.after["status"] == "answered"
    assert audit.actor == support_user


def test_subscriber_reply_puts_the_ticket_back_in_the_queue(support_user) -> None:
    account = AccountFactory()
    ticket = _open(account)
    ticket_reply(ticket_id=ticket.pk, staff=support_user, text="Ответ")
    ticket_reply(ticket_id=ticket.pk, account_id=account.pk, text="Не помогло")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.waiting_since is not None
    assert ticket.messages.count() == 3


def test_subscriber_reply_to_a_closed_ticket_reopens_it() -> None:
    account = AccountFactory()
    ticket = _open(account)
    ticket_close(ticket_id=ticket.pk, account_id=account.pk)
    ticket_reply(ticket_id=ticket.pk, account_id=account.pk, text="Снова не работает")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_another_accounts_ticket_is_not_found() -> None:
    mine, other = AccountFactory(), AccountFactory()
    ticket = _open(other)
    with pytest.raises(NotFound):
        ticket_get_for_account(account_id=mine.pk, ticket_id=ticket.pk)
    with pytest.raises(NotFound):
        ticket_reply(ticket_id=ticket.pk, account_id=mine.pk, text="чужое")
    with pytest.raises(NotFound):
        ticket_close(ticket_id=ticket.pk, account_id=mine.pk)
    assert list(tickets_for_account(account_id=mine.pk)) == []
    assert ticket.messages.count() == 1


def test_close_and_reopen_are_audited_and_idempotent() -> None:
    account = AccountFactory()
    ticket = _open(account)
    ticket_close(ticket_id=ticket.pk, account_id=account.pk)
    ticket_close(ticket_id=ticket.pk, account_id=account.pk)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.waiting_since is None
    ticket_reopen(ticket_id=ticket.pk, account_id=account.pk)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.waiting_since is not None
    changes = list(
        AuditEntry.objects.filter(action="ticket.status")
        .order_by("id")
        .values_list("after", flat=True)
    )
    assert [c["status"] for c in changes] == ["closed", "open"]
    assert changes[0]["by"] == "subscriber"


def test_subscribers_cannot_mark_their_ticket_answered() -> None:
    account = AccountFactory()
    ticket = _open(account)
    with pytest.raises(ApplicationError):
        ticket_status_set(ticket_id=ticket.pk, account_id=account.pk, status="answered")


def test_only_support_and_admins_reply_take_or_change_status(manager, admin_user) -> None:
    ticket = _open(AccountFactory())
    for call in (
        lambda: ticket_reply(ticket_id=ticket.pk, staff=manager, text="x"),
        lambda: ticket_take(ticket_id=ticket.pk, staff=manager),
        lambda: ticket_status_set(ticket_id=ticket.pk, staff=manager, status="closed"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    ticket_take(ticket_id=ticket.pk, staff=admin_user)
    ticket.refresh_from_db()
    assert ticket.assigned_to == admin_user
    assert AuditEntry.objects.filter(action="ticket.take", actor=admin_user).exists()


def test_queue_new_first_then_longest_waiting(support_user) -> None:
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    taken_old = _open(AccountFactory(), subject="взят давно")
    new_recent = _open(AccountFactory(), subject="новый недавно")
    new_old = _open(AccountFactory(), subject="новый давно")
    answered = _open(AccountFactory(), subject="отвечен")
    ticket_take(ticket_id=taken_old.pk, staff=support_user)
    ticket_reply(ticket_id=answered.pk, staff=support_user, text="ответ")
    for ticket, hours in ((taken_old, 10), (new_recent, 1), (new_old, 5)):
        Ticket.objects.filter(pk=ticket.pk).update(waiting_since=now - dt.timedelta(hours=hours))
    waiting = [t.subject for t in staff_queue(show="waiting")]
    assert waiting == ["новый давно", "новый недавно", "взят давно"]
    everything = [t.subject for t in staff_queue(show="all")]
    assert everything == waiting + ["отвечен"]
    assert [t.subject for t in staff_queue(show="mine", user_id=support_user.pk)] == [
        "взят давно",
        "отвечен",
    ]


def test_queue_finds_by_contract_with_spaces() -> None:
    account = AccountFactory()
    _open(account, subject="его")
    _open(AccountFactory(), subject="чужой")
    spaced = f"{account.contract[:4]} {account.contract[4:]}"
    assert [t.subject for t in staff_queue(show="all", contract=spaced)] == ["его"]


def test_canned_answers_are_managed_by_support(support_user, manager) -> None:
    answer = canned_answer_save(staff=support_user, title="Привет", text="Здравствуйте!")
    canned_answer_save(staff=support_user, answer_id=answer.pk, title="Привет", text="Добрый день!")
    answer.refresh_from_db()
    assert answer.text == "Добрый день!"
    with pytest.raises(ApplicationError):
        canned_answer_save(staff=support_user, title="Привет", text="дубль")
    with pytest.raises(PermissionDenied):
        canned_answer_save(staff=manager, title="Другое", text="x")
    canned_answer_delete(staff=support_user, answer_id=answer.pk)
    assert AuditEntry.objects.filter(action__startswith="canned_answer.").count() == 3


def test_seeded_canned_answers_exist() -> None:
    from abonent.support.selectors import canned_answers

    assert len(canned_answers()) >= 3
