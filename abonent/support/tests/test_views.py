"""The cabinet's support pages: list, new ticket with images, conversation, reply, close,
attachments (only for the ticket's account), escaping, CSRF, query counts."""

from __future__ import annotations

import pytest
from django.test import Client

from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.support.models import Attachment, Ticket, TicketStatus
from abonent.support.services import ticket_open, ticket_reply
from abonent.support.tests.factories import big_png, image_bytes, png_upload, upload

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def login(client: Client, account) -> Client:
    response = client.post(
        "/cabinet/login/", {"contract": account.contract, "password": ACCOUNT_PASSWORD}
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def subscriber(client):
    account = AccountFactory(holder_name="Алиса Первая")
    login(client, account)
    return account


def _open(account, **kwargs):
    data = {"category": "slow_speed", "subject": "Медленно", "text": "Вечером 2 Мбит/с"}
    data.update(kwargs)
    return ticket_open(account=account, **data)


def test_new_ticket_with_a_screenshot(client, subscriber) -> None:
    page = client.get("/cabinet/support/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'accept="image/png,image/jpeg,image/webp,image/gif"' in html
    response = client.post(
        "/cabinet/support/new/",
        {
            "category": "no_connection",
            "subject": "Нет связи",
            "text": "Первая строка\nвторая строка",
            "files": [png_upload("снимок.png")],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cabinet/support/{ticket.pk}/"
    page = client.get(response["Location"]).content.decode()
    attachment = Attachment.objects.get()
    assert "снимок.png" in page
    assert f"/cabinet/support/{ticket.pk}/files/{attachment.pk}/" in page
    assert "Первая строка\nвторая строка" in page  # kept, shown with white-space: pre-line


def test_errors_keep_the_text_and_ask_to_choose_files_again(client, subscriber) -> None:
    response = client.post(
        "/cabinet/support/new/",
        {
            "category": "other",
            "subject": "Тема остаётся",
            "text": "Текст остаётся",
            "files": [upload("photo.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 100)],
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Тема остаётся" in html and "Текст остаётся" in html
    assert "«photo.png»" in html or "“photo.png”" in html
    assert "не изображение" in html or "is not a PNG" in html
    assert "reselect" in html
    assert not Ticket.objects.exists()


def test_a_6_mb_image_is_refused_on_the_form(client, subscriber) -> None:
    response = client.post(
        "/cabinet/support/new/",
        {
            "category": "other",
            "subject": "Большой",
            "text": "файл",
            "files": [upload("big.png", big_png(6))],
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "big.png" in html and "5 МБ" in html
    assert not Ticket.objects.exists()


def test_missing_fields_are_marked(client, subscriber) -> None:
    response = client.post("/cabinet/support/new/", {"category": "", "subject": "", "text": ""})
    assert response.status_code == 422
    assert response.content.decode().count('class="field-error"') == 3


def test_subject_and_text_come_back_escaped(client, subscriber) -> None:
    ticket = _open(subscriber, subject=XSS, text=XSS)
    for url in ("/cabinet/support/", f"/cabinet/support/{ticket.pk}/"):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, url


def test_staff_reply_shows_with_who_answered(client, subscriber, support_user) -> None:
    ticket = _open(subscriber)
    ticket_reply(ticket_id=ticket.pk, staff=support_user, text=f"Проверили линию {XSS}")
    listing = client.get("/cabinet/support/").content.decode()
    assert "Есть ответ" in listing
    assert "Ответила: Мария" in listing or "Ответил(а): Мария" in listing or "Мария" in listing
    page = client.get(f"/cabinet/support/{ticket.pk}/").content.decode()
    assert "Проверили линию" in page
    assert "<script>alert" not in page


def test_reply_and_close_and_reopen(client, subscriber) -> None:
    ticket = _open(subscriber)
    response = client.post(f"/cabinet/support/{ticket.pk}/", {"text": "Ещё деталь"})
    assert response.status_code == 302
    assert ticket.messages.count() == 2
    assert client.post(f"/cabinet/support/{ticket.pk}/close/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert "Возобновить" in client.get(f"/cabinet/support/{ticket.pk}/").content.decode()
    client.post(f"/cabinet/support/{ticket.pk}/reopen/")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert client.get(f"/cabinet/support/{ticket.pk}/close/").status_code == 405


def test_an_empty_reply_is_refused(client, subscriber) -> None:
    ticket = _open(subscriber)
    response = client.post(f"/cabinet/support/{ticket.pk}/", {"text": "  "})
    assert response.status_code == 422
    assert ticket.messages.count() == 1


def test_attachment_is_served_safely_to_its_account_only(client, subscriber) -> None:
    data = image_bytes("JPEG")
    ticket = _open(subscriber, files=[upload('my "holiday".jpg', data, "text/html")])
    attachment = Attachment.objects.get()
    url = f"/cabinet/support/{ticket.pk}/files/{attachment.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert '"' not in response["Content-Disposition"].split("filename=")[1].strip('"')
    assert b"".join(response.streaming_content) == data
    download = client.get(url + "?download=1")
    assert download["Content-Disposition"].startswith("attachment;")

    other = AccountFactory()
    stranger = login(Client(), other)
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/cabinet/support/{ticket.pk}/").status_code == 404
    assert stranger.post(f"/cabinet/support/{ticket.pk}/", {"text": "чужое"}).status_code == 404
    assert stranger.post(f"/cabinet/support/{ticket.pk}/close/").status_code == 404
    # the right attachment id under the stranger's own ticket is still not theirs
    theirs = _open(other)
    assert stranger.get(f"/cabinet/support/{theirs.pk}/files/{attachment.pk}/").status_code == 404
    assert Client().get(url).status_code == 302  # anonymous → login


def test_forms_need_the_csrf_token(subscriber) -> None:
    client = Client(enforce_csrf_checks=True)
    login_page = client.get("/cabinet/login/")
    token = login_page.cookies["csrftoken"].value
    client.post(
        "/cabinet/login/",
        {
            "contract": subscriber.contract,
            "password": ACCOUNT_PASSWORD,
            "csrfmiddlewaretoken": token,
        },
    )
    ticket = _open(subscriber)
    data = {"category": "other", "subject": "x", "text": "y"}
    assert client.post("/cabinet/support/new/", data).status_code == 403
    assert client.post(f"/cabinet/support/{ticket.pk}/", {"text": "y"}).status_code == 403
    assert client.post(f"/cabinet/support/{ticket.pk}/close/").status_code == 403
    assert Ticket.objects.count() == 1 and ticket.messages.count() == 1


def test_list_page_queries_do_not_grow_with_tickets(
    client, subscriber, support_user, django_assert_num_queries
) -> None:
    def fill(n: int) -> None:
        for i in range(n):
            ticket = _open(subscriber, subject=f"Тема {i}")
            ticket_reply(ticket_id=ticket.pk, staff=support_user, text="ответ")

    fill(2)
    client.get("/cabinet/support/")
    with django_assert_num_queries(5):
        assert client.get("/cabinet/support/").status_code == 200
    fill(10)
    with django_assert_num_queries(5):
        assert client.get("/cabinet/support/").status_code == 200


def test_ticket_page_queries_do_not_grow_with_messages(
    client, subscriber, django_assert_num_queries
) -> None:
    ticket = _open(subscriber, files=[png_upload()])
    for i in range(8):
        ticket_reply(ticket_id=ticket.pk, account_id=subscriber.pk, text=f"{i}")
    client.get(f"/cabinet/support/{ticket.pk}/")
    with django_assert_num_queries(6):
        assert client.get(f"/cabinet/support/{ticket.pk}/").status_code == 200


def test_nav_has_the_support_link(client, subscriber) -> None:
    html = client.get("/cabinet/support/").content.decode()
    assert 'href="/cabinet/support/" aria-current="page">Поддержка' in html


def test_the_attachment_hint_follows_the_page_language() -> None:
    """The hint is translated when shown, not once at import in the default language."""
    account = AccountFactory()
    ru = login(Client(), account).get("/cabinet/support/new/").content.decode()
    assert "снимков экрана" in ru
    en_client = login(Client(), account)
    en_client.cookies["abonent_lang"] = "en"
    en = en_client.get("/cabinet/support/new/").content.decode()
    assert "screenshots or photos" in en and "снимков экрана" not in en
