"""The cabinet's mail pages: inbox, filters, reading, mark all read, the header's badge, query
counts that do not grow with the inbox, another account's message, escaping."""

from __future__ import annotations

import pytest
from django.test import Client

from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.messaging.models import MessageCategory
from abonent.messaging.selectors import unread_count
from abonent.messaging.services import message_send_to_account
from abonent.messaging.tests.factories import inbox_fill

pytestmark = pytest.mark.django_db

XSS_SUBJECT = '<script>alert("s")</script>'
XSS_BODY = (
    '"><img src=x onerror=alert(1)> javascript:alert(2) '
    "https://spnet.ru/pay?a=1&b=<b>2</b>\n\nВторой абзац"
)


def logged_in(account) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(
        "/cabinet/login/", {"contract": account.contract, "password": ACCOUNT_PASSWORD}
    )
    assert response.status_code == 302
    return client


def send(account, **kwargs):  # type: ignore[no-untyped-def]
    params = {"subject": "Тема", "body": "Текст", "category": MessageCategory.NEWS}
    params.update(kwargs)
    return message_send_to_account(account_id=account.pk, **params)


class TestInbox:
    def test_lists_with_unread_markers_and_badge(self) -> None:
        account = AccountFactory()
        read = send(account, subject="Прочитанное")
        unread = send(account, subject="Новое", category=MessageCategory.SECURITY)
        client = logged_in(account)
        client.get(f"/cabinet/mail/{read.pk}/")
        body = client.get("/cabinet/mail/").content.decode()
        assert body.index("Новое") < body.index("Прочитанное")  # newest first
        assert body.count('class="mail-item is-unread"') == 1
        assert f'href="/cabinet/mail/{unread.pk}/"' in body
        assert "Безопасность" in body  # the category, in Russian
        assert "1 непрочитанное." in body
        # the header: "Почта" with its badge, on other cabinet pages too
        home = client.get("/cabinet/").content.decode()
        assert ">Почта" in home and 'class="badge badge-danger"' in home

    def test_filters_and_pages(self) -> None:
        account = AccountFactory()
        inbox_fill(account_id=account.pk, count=45)  # every third unread: 15
        client = logged_in(account)
        first = client.get("/cabinet/mail/").content.decode()
        assert first.count('<li class="mail-item') == 20 and "1 из 3" in first
        last = client.get("/cabinet/mail/?page=3").content.decode()
        assert last.count('<li class="mail-item') == 5
        unread = client.get("/cabinet/mail/?show=unread").content.decode()
        assert unread.count('<li class="mail-item is-unread"') == 15
        news = client.get("/cabinet/mail/?category=news").content.decode()
        assert news.count('<li class="mail-item') == 11  # 45 in four categories in turn
        odd = client.get("/cabinet/mail/?category=spam&show=what&page=x")
        assert odd.status_code == 200  # unknown filters mean "all"

    def test_empty(self) -> None:
        body = logged_in(AccountFactory()).get("/cabinet/mail/").content.decode()
        assert "Сообщений пока нет" in body
        assert "mail:read_all" not in body and "Отметить все" not in body

    @pytest.mark.parametrize("count", [10, 10_000])
    def test_query_count_does_not_grow(self, count, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
        account = AccountFactory()
        inbox_fill(account_id=account.pk, count=count)
        client = logged_in(account)
        client.get("/cabinet/mail/")  # the session's first touch is not the point here
        # session, account, unread count (badge and page share it), page count, page rows
        with django_assert_num_queries(5):
            response = client.get("/cabinet/mail/")
        assert response.status_code == 200
        with django_assert_num_queries(5):
            assert client.get("/cabinet/mail/?show=unread&category=news&page=2").status_code == 200


class TestReading:
    def test_opening_marks_read(self) -> None:
        account = AccountFactory()
        message = send(account, subject="Плановые работы", body="Строка 1\nСтрока 2")
        client = logged_in(account)
        response = client.get(f"/cabinet/mail/{message.pk}/")
        body = response.content.decode()
        assert response.status_code == 200
        assert "Плановые работы" in body and "Строка 1<br>Строка 2" in body
        assert unread_count(account_id=account.pk) == 0
        assert 'class="badge badge-danger"' not in body  # the badge counts after reading

    def test_another_accounts_message_is_404(self) -> None:
        mine, other = AccountFactory(), AccountFactory()
        theirs = send(other, subject="Секрет Бориса")
        client = logged_in(mine)
        response = client.get(f"/cabinet/mail/{theirs.pk}/")
        assert response.status_code == 404
        assert "Секрет Бориса" not in response.content.decode()
        assert client.get("/cabinet/mail/999999/").status_code == 404
        assert unread_count(account_id=other.pk) == 1

    def test_anonymous_goes_to_login(self) -> None:
        message = send(AccountFactory())
        response = Client().get(f"/cabinet/mail/{message.pk}/")
        assert response.status_code == 302 and response["Location"].startswith("/cabinet/login/")


class TestReadAll:
    def test_post_marks_everything_read(self) -> None:
        account, other = AccountFactory(), AccountFactory()
        send(account), send(account), send(other)
        client = logged_in(account)
        response = client.post("/cabinet/mail/read-all/", follow=True)
        assert response.redirect_chain[-1][0] == "/cabinet/mail/"
        assert "2 сообщения отмечены прочитанными." in response.content.decode()
        assert unread_count(account_id=account.pk) == 0
        assert unread_count(account_id=other.pk) == 1

    def test_get_is_refused_and_csrf_is_checked(self) -> None:
        account = AccountFactory()
        send(account)
        client = logged_in(account)
        assert client.get("/cabinet/mail/read-all/").status_code == 405
        strict = Client(enforce_csrf_checks=True)
        strict.cookies = client.cookies
        assert strict.post("/cabinet/mail/read-all/").status_code == 403
        assert unread_count(account_id=account.pk) == 1


class TestEscaping:
    def test_subject_and_body_are_escaped_and_links_clickable(self) -> None:
        account = AccountFactory()
        message = send(account, subject=XSS_SUBJECT, body=XSS_BODY)
        client = logged_in(account)
        for url in ("/cabinet/mail/", f"/cabinet/mail/{message.pk}/"):
            body = client.get(url).content.decode()
            assert "<script>alert" not in body and "<img src=x" not in body, url
            assert "&lt;script&gt;alert(&quot;s&quot;)&lt;/script&gt;" in body, url
            assert 'href="javascript' not in body, url
        page = client.get(f"/cabinet/mail/{message.pk}/").content.decode()
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
        assert (
            '<a href="https://spnet.ru/pay?a=1&amp;b=" rel="nofollow noopener noreferrer">' in page
        )
        assert "<b>2</b>" not in page and "&lt;b&gt;2&lt;/b&gt;" in page
        assert "<p>Второй абзац</p>" in page


class TestBadge:
    def test_no_query_for_the_badge_outside_the_cabinet(self, django_assert_num_queries) -> None:
        account = AccountFactory()
        send(account)
        client = logged_in(account)
        with django_assert_num_queries(0):
            assert client.get("/cabinet/forgot/").status_code == 200


class TestMailSettings:
    def test_shows_and_saves_the_choice_and_language(self) -> None:
        from abonent.messaging.models import NotificationKind
        from abonent.messaging.preferences import email_preferences

        account = AccountFactory(email="me@example.ru")
        client = logged_in(account)
        page = client.get("/cabinet/mail/settings/").content.decode()
        assert "Настройки почты" in page and "me@example.ru" in page
        assert "Новости и объявления" in page and 'name="csrfmiddlewaretoken"' in page
        response = client.post(
            "/cabinet/mail/settings/",
            {"by_email": [NotificationKind.BLOCKED, NotificationKind.BROADCAST], "language": "en"},
        )
        assert response.status_code == 302 and response["Location"] == "/cabinet/mail/settings/"
        chosen = email_preferences(account_id=account.pk)
        assert {k for k, on in chosen.items() if on} == {"blocked", "broadcast"}
        account.refresh_from_db()
        assert account.language == "en"

    def test_refuses_a_post_without_the_csrf_token(self) -> None:
        account = AccountFactory()
        client = Client(enforce_csrf_checks=True)
        login = client.get("/cabinet/login/")
        token = login.cookies["csrftoken"].value if "csrftoken" in login.cookies else ""
        client.post(
            "/cabinet/login/",
            {
                "contract": account.contract,
                "password": ACCOUNT_PASSWORD,
                "csrfmiddlewaretoken": token,
            },
        )
        response = client.post("/cabinet/mail/settings/", {"language": "en"})
        assert response.status_code == 403
        account.refresh_from_db()
        assert account.language == "ru"

    def test_needs_a_login(self) -> None:
        response = Client().get("/cabinet/mail/settings/")
        assert response.status_code == 302 and "/cabinet/login/" in response["Location"]

    def test_bad_language_is_refused(self) -> None:
        account = AccountFactory()
        response = logged_in(account).post("/cabinet/mail/settings/", {"language": "de"})
        assert response.status_code == 200
        account.refresh_from_db()
        assert account.language == "ru"
