"""Back-office support pages: roles, the queue, a ticket with the account beside it, reply with
the subscriber notified, take, status, canned answers, attachments, CSRF, query counts."""

from __future__ import annotations

import pytest
from django.test import Client

from abonent.accounts.tests.factories import AccountFactory
from abonent.messaging.models import Message
from abonent.staff.tests.factories import STAFF_PASSWORD, make_staff
from abonent.support.models import Attachment, CannedAnswer, TicketStatus
from abonent.support.services import ticket_open, ticket_reply
from abonent.support.tests.factories import png_upload

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


def staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _open(account=None, **kwargs):
    data = {"category": "payments", "subject": "Платёж не дошёл", "text": "Оплатил вчера"}
    data.update(kwargs)
    return ticket_open(account=account or AccountFactory(), **data)


def test_only_support_and_admins_open_support_pages(
    support_user, admin_user, manager, cashier
) -> None:
    ticket = _open(files=[png_upload()])
    attachment = Attachment.objects.get()
    urls = [
        "/staff/support/",
        f"/staff/support/{ticket.pk}/",
        f"/staff/support/{ticket.pk}/files/{attachment.pk}/",
        "/staff/support/canned/",
    ]
    for user in (manager, cashier):
        client = staff_client(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(f"/staff/support/{ticket.pk}/take/").status_code == 403
        assert client.post(f"/staff/support/{ticket.pk}/", {"text": "x"}).status_code == 403
    for user in (support_user, admin_user):
        client = staff_client(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    anonymous = Client().get("/staff/support/")
    assert anonymous.status_code == 302 and "/staff/login/" in anonymous["Location"]


def test_the_staff_nav_shows_support_to_support_only(support_user, manager) -> None:
    assert 'href="/staff/support/"' in staff_client(support_user).get("/staff/").content.decode()
    assert 'href="/staff/support/"' not in staff_client(manager).get("/staff/").content.decode()


def test_ticket_page_shows_the_account_and_escapes_everything(support_user) -> None:
    account = AccountFactory(holder_name=f"Иван {XSS}", balance_kop=12_345)
    ticket = _open(account, subject=XSS, text=XSS)
    html = staff_client(support_user).get(f"/staff/support/{ticket.pk}/").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "123,45" in html  # the balance
    assert "Следующее списание" in html
    assert "Перезагрузка роутера" in html  # a seeded canned answer


def test_reply_answers_and_notifies_the_subscriber(support_user) -> None:
    account = AccountFactory()
    ticket = _open(account)
    client = staff_client(support_user)
    response = client.post(f"/staff/support/{ticket.pk}/", {"text": "Платёж зачислен."})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ANSWERED
    assert Message.objects.filter(subject__contains="Платёж не дошёл").exists()
    empty = client.post(f"/staff/support/{ticket.pk}/", {"text": ""})
    assert empty.status_code == 422


def test_take_and_status(support_user) -> None:
    ticket = _open()
    client = staff_client(support_user)
    client.post(f"/staff/support/{ticket.pk}/take/")
    ticket.refresh_from_db()
    assert ticket.assigned_to == support_user
    client.post(f"/staff/support/{ticket.pk}/status/", {"status": "closed"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert client.get(f"/staff/support/{ticket.pk}/take/").status_code == 405
    assert client.get("/staff/support/999999/").status_code == 404


def test_queue_finds_by_contract(support_user) -> None:
    account = AccountFactory()
    _open(account, subject="Искомое")
    _open(subject="Другое")
    client = staff_client(support_user)
    html = client.get("/staff/support/", {"contract": account.contract}).content.decode()
    assert "Искомое" in html and "Другое" not in html


def test_canned_answers_pages(support_user) -> None:
    client = staff_client(support_user)
    response = client.post("/staff/support/canned/", {"title": "Тест", "text": "Текст шаблона"})
    assert response.status_code == 302
    answer = CannedAnswer.objects.get(title="Тест")
    client.post(f"/staff/support/canned/{answer.pk}/", {"title": "Тест", "text": "Новый текст"})
    answer.refresh_from_db()
    assert answer.text == "Новый текст"
    client.post(f"/staff/support/canned/{answer.pk}/", {"delete": "1"})
    assert not CannedAnswer.objects.filter(pk=answer.pk).exists()


def test_staff_forms_need_the_csrf_token(support_user) -> None:
    ticket = _open()
    client = Client(enforce_csrf_checks=True)
    client.force_login(support_user)
    assert client.post(f"/staff/support/{ticket.pk}/", {"text": "x"}).status_code == 403
    assert client.post(f"/staff/support/{ticket.pk}/take/").status_code == 403
    assert (
        client.post(f"/staff/support/{ticket.pk}/status/", {"status": "closed"}).status_code == 403
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.assigned_to is None


def test_queue_queries_do_not_grow_with_tickets(support_user, django_assert_num_queries) -> None:
    client = Client()
    client.post("/staff/login/", {"username": support_user.username, "password": STAFF_PASSWORD})
    other = make_staff("other", "support")

    def fill(n: int) -> None:
        for i in range(n):
            ticket = _open(subject=f"Тема {i}")
            if i % 2:
                ticket_reply(ticket_id=ticket.pk, staff=other, text="ответ")

    fill(2)
    client.get("/staff/support/?show=all")
    with django_assert_num_queries(6):
        assert client.get("/staff/support/?show=all").status_code == 200
    fill(10)
    with django_assert_num_queries(6):
        assert client.get("/staff/support/?show=all").status_code == 200
