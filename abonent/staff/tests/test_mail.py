"""Provider mail in the back office: the list of sent messages, writing to one subscriber or a
segment with a preview and a confirmation, refusals that keep the input, sending once."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from abonent.accounts.models import AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.catalogue.models import ServiceCategory
from abonent.catalogue.tests.factories import ServiceKindFactory, TariffFactory
from abonent.core.models import AuditEntry
from abonent.messaging.models import Message, MessageAudience, MessageCategory, MessageRecipient
from abonent.messaging.segments import Segment
from abonent.messaging.selectors import segment_accounts
from abonent.messaging.services import message_broadcast, message_send_to_account
from abonent.staff.tests.factories import make_staff

LIST = reverse("staff:mail")
NEW = reverse("staff:mail_new")
TEXT = {"category": "news", "subject": "Плановые работы", "body": "Ночью 2 декабря без связи."}
EMPTY_FILTERS = {
    "contract": "",
    "service_kind": "",
    "tariff": "",
    "status": "",
    "address_contains": "",
    "balance_below": "",
}


@pytest.fixture
def sup(client, support_user) -> Client:
    client.force_login(support_user)
    client.cookies["abonent_lang"] = "en"
    return client


@pytest.fixture
def town(db) -> dict:
    """Eight accounts: two service kinds, three tariffs, every status, two streets, balances
    on both sides of zero."""
    internet = ServiceKindFactory()
    tv = ServiceKindFactory(
        slug="tv", name="Телевидение", name_en="TV", category=ServiceCategory.TV
    )
    start = TariffFactory(kind=internet, name="Старт")
    turbo = TariffFactory(kind=internet, name="Турбо")
    cinema = TariffFactory(kind=tv, name="Кино")
    mira, lenina = "г. Сергиев Посад, ул. Мира, д. 7", "пос. Богородское, ул. Ленина, д. 2"
    make = AccountFactory
    return {
        "internet": internet,
        "tv": tv,
        "start": start,
        "turbo": turbo,
        "cinema": cinema,
        "a": make(tariff=start, address=f"{mira}, кв. 1", balance_kop=50_000),
        "b": make(tariff=start, address=f"{mira}, кв. 2", balance_kop=-1_000),
        "c": make(
            tariff=turbo, address=f"{lenina}, кв. 3", status=AccountStatus.BLOCKED, balance_kop=-5
        ),
        "d": make(tariff=turbo, address=f"{lenina}, кв. 4", status=AccountStatus.NEW),
        "e": make(tariff=cinema, address=f"{mira}, кв. 5", balance_kop=9_999),
        "f": make(tariff=cinema, address=f"{lenina}, кв. 6", status=AccountStatus.SUSPENDED),
        "g": make(tariff=start, address=f"{mira}, кв. 8", status=AccountStatus.CLOSED),
        "h": make(tariff=turbo, address=f"{lenina}, кв. 9", balance_kop=100_000),
    }


def segment_post(**fields: str) -> dict[str, str]:
    return {"audience": "segment", **EMPTY_FILTERS, **TEXT, **fields}


def once(client: Client) -> str:
    return client.get(NEW).context["form"].initial["once"]


def send(client: Client, data: dict[str, str]) -> object:
    """Continue to the confirmation, then confirm (with the page's own one-time token)."""
    data = {**data, "once": once(client)}
    confirm = client.post(NEW, data)
    assert confirm.status_code == 200, confirm.content.decode()
    assert "staff/mail_confirm.html" in [t.name for t in confirm.templates]
    return client.post(NEW, {**data, "confirm": "1"})


def reached(message: Message) -> set[int]:
    """Who got the message, once the worker has delivered the broadcast (as it would)."""
    from abonent.messaging.management.commands.worker import worker_round

    worker_round()
    return set(
        MessageRecipient.objects.filter(message=message).values_list("account_id", flat=True)
    )


# --- Writing to one subscriber ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_account_page_links_to_the_form_for_that_subscriber(sup, town, client):
    account = town["a"]
    html = sup.get(reverse("staff:account", args=[account.pk])).content.decode()
    link = f"{NEW}?account={account.pk}"
    assert f'href="{link}"' in html
    form = sup.get(link).context["form"]
    assert form.initial["audience"] == "account"
    assert form.initial["contract"].replace(" ", "") == account.contract
    assert form.initial["category"] == MessageCategory.SUPPORT

    cashier = Client()
    cashier.force_login(make_staff("cashier-x", "cashier"))
    html = cashier.get(reverse("staff:account", args=[account.pk])).content.decode()
    assert f'href="{link}"' not in html


@pytest.mark.django_db
def test_send_to_one_account_by_contract_number(sup, town, support_user):
    account = town["c"]
    number = f"{account.contract[:4]} {account.contract[4:]}"
    data = {"audience": "account", **EMPTY_FILTERS, **TEXT, "contract": number}
    preview = sup.post(NEW, {**data, "preview": "1"})
    assert preview.context["target"].account == account
    assert preview.context["target"].count == 1
    response = send(sup, data)
    assert response.status_code == 302 and response["Location"] == LIST
    message = Message.objects.get()
    assert message.audience == MessageAudience.ACCOUNT
    assert message.sender == support_user
    assert (message.subject, message.body, message.category) == (
        TEXT["subject"],
        TEXT["body"],
        TEXT["category"],
    )
    assert reached(message) == {account.pk}
    page = sup.get(LIST).content.decode()
    assert f"sent to contract {number}" in page


@pytest.mark.django_db
def test_an_unknown_contract_is_refused_with_the_input_kept(sup, town):
    data = {"audience": "account", **EMPTY_FILTERS, **TEXT, "contract": "1111 1111"}
    response = sup.post(NEW, {**data, "once": once(sup)})
    assert response.status_code == 422
    html = response.content.decode()
    assert "No subscriber has the contract number 1111 1111." in html
    assert 'value="1111 1111"' in html and TEXT["subject"] in html and TEXT["body"] in html
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_one_subscriber_needs_a_contract_number(sup, town):
    response = sup.post(NEW, {"audience": "account", **EMPTY_FILTERS, **TEXT})
    assert response.status_code == 422
    assert "Enter the subscriber&#x27;s contract number." in response.content.decode()


# --- Broadcasts ----------------------------------------------------------------------------------

SEGMENTS = [
    ({"audience": "everyone"}, {"a", "b", "c", "d", "e", "f", "h"}),
    ({"service_kind": "tv"}, {"e", "f"}),
    ({"tariff": "turbo"}, {"c", "d", "h"}),
    ({"status": "blocked"}, {"c"}),
    ({"status": "closed"}, {"g"}),
    ({"address_contains": "богородское"}, {"c", "d", "f", "h"}),
    ({"address_contains": "МИРА"}, {"a", "b", "e"}),
    ({"balance_below": "0"}, {"b", "c"}),
    ({"balance_below": "100"}, {"b", "c", "d", "e", "f"}),
    ({"balance_below": "-0,05"}, {"b"}),
    ({"service_kind": "internet", "address_contains": "Мира", "balance_below": "500"}, {"b"}),
]


def resolve(fields: dict[str, str], town: dict) -> dict[str, str]:
    if "tariff" in fields:
        fields = {**fields, "tariff": str(town[fields["tariff"]].pk)}
    return fields


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "expected"), SEGMENTS)
def test_preview_counts_and_the_broadcast_reaches_exactly_the_segment(sup, town, fields, expected):
    data = segment_post(**resolve(fields, town))
    want = {town[key].pk for key in expected}
    preview = sup.post(NEW, {**data, "preview": "1"})
    assert preview.status_code == 200
    target = preview.context["target"]
    assert target.count == len(want)
    assert {a.pk for a in target.sample} <= want and len(target.sample) == min(5, len(want))
    assert f"This will reach <strong>{len(want)}</strong> account" in preview.content.decode()

    response = send(sup, data)
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.audience == MessageAudience.SEGMENT
    assert reached(message) == want
    # the count shown is the one the service reports for the same segment
    _, count = message_broadcast(
        segment=target.segment, subject="x", body="y", category="news", sender=None
    )
    assert count == len(want) == segment_accounts(segment=target.segment).count()


@pytest.mark.django_db
def test_roubles_become_kopecks_in_the_segment(sup, town):
    preview = sup.post(NEW, {**segment_post(balance_below="-1 000,5"), "preview": "1"})
    assert preview.context["target"].segment == Segment(balance_below_kop=-100_050)


@pytest.mark.django_db
def test_preview_needs_no_text_yet(sup, town):
    data = {**segment_post(status="blocked"), "subject": "", "body": "", "preview": "1"}
    response = sup.post(NEW, data)
    assert response.status_code == 200
    assert response.context["target"].count == 1
    assert not response.context["form"].errors
    assert "staff/mail_new.html" in [t.name for t in response.templates]


@pytest.mark.django_db
def test_the_confirmation_shows_the_count_and_carries_the_input(sup, town):
    data = {**segment_post(status="active"), "once": once(sup)}
    response = sup.post(NEW, data)
    html = response.content.decode()
    assert "The broadcast goes to <strong>4</strong> subscribers." in html
    assert "Send to 4 subscribers" in html
    assert "status: active" in html
    for name in ("status", "subject", "body", "once", "audience"):
        assert f'name="{name}"' in html
    assert not Message.objects.exists()
    back = sup.post(NEW, {**data, "edit": "1"})
    assert "staff/mail_new.html" in [t.name for t in back.templates]
    assert back.context["form"]["subject"].value() == TEXT["subject"]


@pytest.mark.django_db
def test_an_empty_segment_is_refused_with_the_input_kept(sup, town):
    response = sup.post(NEW, {**segment_post(), "once": once(sup)})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose whom to send to: everyone, or at least one filter." in html
    assert TEXT["subject"] in html and TEXT["body"] in html
    preview = sup.post(NEW, {**segment_post(), "preview": "1"})
    assert preview.status_code == 422 and preview.context["target"] is None
    confirm = sup.post(NEW, {**segment_post(), "once": once(sup), "confirm": "1"})
    assert confirm.status_code == 422
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_everyone_with_filters_is_refused(sup, town):
    response = sup.post(NEW, {**segment_post(audience="everyone", status="blocked")})
    assert response.status_code == 422
    assert "ignores filters" in response.content.decode()
    assert response.context["form"]["status"].value() == "blocked"


@pytest.mark.django_db
def test_a_segment_of_nobody_is_not_sent(sup, town):
    data = {**segment_post(address_contains="Нет такой улицы"), "once": once(sup)}
    preview = sup.post(NEW, {**data, "preview": "1"})
    assert preview.context["target"].count == 0
    assert "This will reach <strong>0</strong> accounts" in preview.content.decode()
    response = sup.post(NEW, {**data, "confirm": "1"})
    assert response.status_code == 422
    assert "nobody to send to" in response.content.decode()
    assert not Message.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"subject": ""}, "Write a subject."),
        ({"body": "   "}, "Write the text of the message."),
        ({"subject": "x" * 201}, "at most 200 characters"),
        ({"category": "spam"}, "Select a valid choice."),
        ({"balance_below": "сто"}, "Enter an amount in roubles"),
        ({"status": "gone"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_and_kept(sup, town, fields, error):
    data = {**segment_post(status="active", address_contains="Мира"), **fields}
    response = sup.post(NEW, {**data, "once": once(sup), "confirm": "1"})
    assert response.status_code == 422
    html = response.content.decode()
    assert error in html
    assert 'value="Мира"' in html
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_the_confirmation_sent_twice_sends_once(sup, town):
    data = {**segment_post(status="active"), "once": once(sup)}
    first = sup.post(NEW, {**data, "confirm": "1"})
    second = sup.post(NEW, {**data, "confirm": "1"})
    assert first.status_code == second.status_code == 302
    assert Message.objects.count() == 1
    assert "went out only once" in sup.get(LIST).content.decode()


@pytest.mark.django_db
def test_a_forged_token_sends_nothing(sup, town):
    response = sup.post(NEW, {**segment_post(status="active"), "once": "x", "confirm": "1"})
    assert response.status_code == 422
    assert "The form has expired." in response.content.decode()
    assert response.context["form"]["once"].value() != "x"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_broadcast_is_audited(sup, town, support_user):
    send(sup, segment_post(status="blocked"))
    entry = AuditEntry.objects.get(action="message.broadcast")
    assert entry.actor == support_user and entry.after["segment"] == {"status": "blocked"}


# --- The list ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_counts_reads_whom_and_who(sup, town, support_user):
    personal = message_send_to_account(
        account_id=town["a"].pk,
        subject="Лично",
        body="Текст",
        category="support",
        sender=support_user,
    )
    broadcast, _ = message_broadcast(
        segment=Segment(tariff_id=town["turbo"].pk, balance_below_kop=-1),
        subject="<script>alert(1)</script>",
        body="Всем",
        category="billing",
        sender=make_staff("boss", "admin", first_name="Пётр", last_name="Петров"),
    )
    MessageRecipient.objects.filter(message=broadcast, account=town["c"]).update(
        read_at="2026-01-01T00:00Z"
    )
    message_send_to_account(account_id=town["b"].pk, subject="Авто", body="x", category="security")
    response = sup.get(LIST)
    rows = {r["message"].pk: r for r in response.context["rows"]}
    assert list(rows) == [broadcast.pk, personal.pk]  # the system's notice is on its own tab
    assert (
        rows[broadcast.pk]["message"].recipient_count,
        rows[broadcast.pk]["message"].read_count,
    ) == (1, 1)
    assert rows[personal.pk]["to"]["account"] == town["a"]
    html = response.content.decode()
    assert "tariff: Турбо; balance below -₽0.01" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Пётр Петров" in html and "Мария Иванова" in html
    assert f'href="{reverse("staff:account", args=[town["a"].pk])}"' in html
    automatic = sup.get(LIST, {"who": "system"})
    assert [r["message"].subject for r in automatic.context["rows"]] == ["Авто"]
    assert "the system" in automatic.content.decode()


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_any_page(
    sup, town, support_user, django_assert_num_queries
):
    for n in range(30):
        message_send_to_account(
            account_id=town["a"].pk,
            subject=f"№{n}",
            body="x",
            category="news",
            sender=support_user,
        )
        message_broadcast(
            segment=Segment(service_kind="tv", tariff_id=town["cinema"].pk, status="active"),
            subject=f"Б{n}",
            body="x",
            category="news",
            sender=support_user,
        )
    # session, user, roles, count, page (sender and counts joined), then one query each for
    # the accounts, tariffs and service kinds the page's messages name
    with django_assert_num_queries(8):
        first = sup.get(LIST)
    assert len(first.context["rows"]) == 50
    with django_assert_num_queries(8):
        second = sup.get(LIST, {"page": 2})
    assert len(second.context["rows"]) == 10


@pytest.mark.django_db
def test_sent_messages_cannot_be_changed_through_the_back_office(sup, town):
    from abonent.staff import urls

    assert not [p for p in urls.urlpatterns if "mail/<" in str(p.pattern)]
    assert sup.post(LIST).status_code == 405
    assert sup.delete(LIST).status_code == 405


@pytest.mark.django_db
def test_pages_are_in_russian(client, support_user, town):
    client.force_login(support_user)
    client.cookies["abonent_lang"] = "ru"
    html = client.get(NEW).content.decode()
    assert "Новое сообщение" in html and "Кому" in html
    preview = client.post(NEW, {**segment_post(status="blocked"), "preview": "1"})
    assert "Сообщение получит <strong>1</strong> абонент" in preview.content.decode()
    assert "статус: заблокирован" in preview.content.decode()
    assert "Почта" in client.get(LIST).content.decode()
