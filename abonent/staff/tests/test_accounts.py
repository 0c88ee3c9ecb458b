"""Subscribers in the back office: the list and its search, one account's page, the home card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from abonent.accounts.contract import contract_display
from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import LedgerEntry
from abonent.billing.services.posting import ledger_post
from abonent.catalogue.tests.factories import TariffFactory
from abonent.leads.models import LeadStatus
from abonent.leads.tests.factories import LeadFactory

LIST = "/staff/accounts/"


@pytest.fixture
def sup_client(client, support_user):
    client.force_login(support_user)
    return client


def ids(response) -> list[int]:
    return [a.pk for a in response.context["page"].object_list]


# --- The list and its search --------------------------------------------------------------------


@pytest.mark.django_db
def test_list_rows_show_contract_holder_address_phone_tariff_status_balance(sup_client):
    tariff = TariffFactory(name="Оптимальный")
    account = AccountFactory(
        contract="12345674",
        holder_name="Анна Белова",
        address="ул. Мира, 7, кв. 3",
        phone="+79161234567",
        tariff=tariff,
        status=AccountStatus.BLOCKED,
        balance_kop=-12_050,
    )
    response = sup_client.get(LIST)
    assert ids(response) == [account.pk]
    html = response.content.decode()
    assert "1234 5674" in html
    assert "Анна Белова" in html and "ул. Мира, 7, кв. 3" in html
    assert "+7 916 123-45-67" in html and 'href="tel:+79161234567"' in html
    assert "Оптимальный" in html
    assert 'class="badge badge-blocked"' in html
    assert "120,50\u00a0₽" in html
    assert f'href="{reverse("staff:account", args=[account.pk])}"' in html


@pytest.fixture
def people(db):
    return {
        "anna": AccountFactory(
            contract="12345674",
            holder_name="Анна Белова",
            address="г. Сергиев Посад, ул. Разина, д. 5",
            phone="+79031112233",
        ),
        "boris": AccountFactory(
            contract="76543216",
            legacy_contract="SP-00917",
            holder_name="Борис Котов",
            address="д. Березники, д. 12",
            phone="+79264445566",
            status=AccountStatus.NEW,
        ),
        "john": AccountFactory(
            holder_name="John Smith", address="Lenin st. 1", phone="+74965522222"
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("1234 5674", ["anna"]),  # the contract as printed
        ("12345674", ["anna"]),
        (" 1234-5674 ", ["anna"]),
        ("SP-00917", ["boris"]),  # the previous system's number
        ("sp-00917", ["boris"]),
        ("8 (926) 444-55-66", ["boris"]),  # phone spellings
        ("+7 926 444 55 66", ["boris"]),
        ("9264445566", ["boris"]),
        ("79264445566", ["boris"]),
        ("4445566", ["boris"]),
        ("белова", ["anna"]),  # Cyrillic in any case, SQLite included
        ("БЕЛОВА", ["anna"]),
        ("Анна белова", ["anna"]),  # title case is one of the spellings tried
        ("котов", ["boris"]),
        ("smith", ["john"]),
        ("разина", ["anna"]),  # a part of the address
        ("Березники", ["boris"]),
        ("Нет такого", []),
    ],
)
def test_search(sup_client, people, query, who):
    response = sup_client.get(LIST, {"q": query})
    assert sorted(ids(response)) == sorted(people[name].pk for name in who)


@pytest.mark.django_db
def test_search_with_a_mistyped_contract_finds_nothing(sup_client, people):
    # 1234 5647: two neighbouring digits swapped (the check digit exists to catch this)
    assert ids(sup_client.get(LIST, {"q": "1234 5647"})) == []


@pytest.mark.django_db
def test_status_filter_and_tabs_keep_the_search(sup_client, people):
    response = sup_client.get(LIST, {"status": "new"})
    assert ids(response) == [people["boris"].pk]
    counts = [tab["count"] for tab in response.context["tabs"]]
    assert counts == [3, 1, 2, 0, 0, 0]  # all, new, active, blocked, paused, closed
    assert [tab["active"] for tab in response.context["tabs"]] == [False, True] + [False] * 4
    searched = sup_client.get(LIST, {"q": "котов"})
    assert all("q=" in tab["url"] for tab in searched.context["tabs"])
    assert ids(sup_client.get(LIST, {"status": "active", "q": "котов"})) == []
    # An unknown status is ignored rather than failing.
    assert len(ids(sup_client.get(LIST, {"status": "bogus"}))) == 3


@pytest.mark.django_db
def test_pagination_fifty_a_page_keeping_the_filters(sup_client):
    tariff = TariffFactory()
    AccountFactory.create_batch(120, tariff=tariff)
    first = sup_client.get(LIST)
    assert len(ids(first)) == 50
    assert first.context["page"].paginator.num_pages == 3
    third = sup_client.get(LIST, {"page": 3})
    assert len(ids(third)) == 20
    assert set(ids(first)).isdisjoint(ids(third))
    filtered = sup_client.get(LIST, {"status": "active", "page": 2})
    assert "status=active&amp;page=3" in filtered.content.decode()


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_accounts(
    sup_client, django_assert_num_queries, django_assert_max_num_queries
):
    tariffs = TariffFactory.create_batch(3)
    for n in range(60):
        AccountFactory(tariff=tariffs[n % 3])
    # session, user, roles, status counts, page count, page rows (tariff joined)
    with django_assert_num_queries(6):
        response = sup_client.get(LIST, {"q": "Абонент"})
    assert response.status_code == 200
    with django_assert_max_num_queries(6):
        sup_client.get(LIST, {"status": "active", "page": 2})


@pytest.mark.django_db
def test_empty_list_and_empty_search_say_so(sup_client):
    sup_client.cookies["abonent_lang"] = "en"
    assert "No subscribers yet." in sup_client.get(LIST).content.decode()
    assert "No accounts match." in sup_client.get(LIST, {"q": "x"}).content.decode()


# --- One account --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_account_page_shows_the_contract_and_the_last_twenty_ledger_entries(client, manager):
    lead = LeadFactory(status=LeadStatus.CONNECTED)
    account = AccountFactory(
        lead=lead,
        credit_limit_kop=30_000,
        service_start=dt.date(2026, 3, 1),
        email="anna@example.ru",
    )
    for n in range(25):
        ledger_post(account_id=account.pk, kind="payment", amount_kop=100 * (n + 1), reason=f"r{n}")
    ledger_post(account_id=account.pk, kind="fee", amount_kop=-50_000, reason="Абонплата")
    start = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    for n, entry in enumerate(LedgerEntry.objects.filter(account=account).order_by("id")):
        when = start + dt.timedelta(hours=n)
        if entry.kind == "fee":
            when = dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC)
        LedgerEntry.objects.filter(pk=entry.pk).update(created_at=when)
    client.force_login(manager)
    response = client.get(reverse("staff:account", args=[account.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    ledger = response.context["ledger"]
    assert len(ledger) == 20
    assert ledger[0].reason == "Абонплата"
    assert "r5" not in [e.reason for e in ledger]  # the oldest are left out
    assert contract_display(account.contract) in html
    assert account.holder_name in html and "anna@example.ru" in html
    assert "01.03.2026" in html  # service start
    assert "300,00\u00a0₽" in html  # credit limit
    assert "01.04.2026 03:05" in html  # Moscow time
    assert "−500,00\u00a0₽" in html or "-500,00\u00a0₽" in html
    account.refresh_from_db()
    assert response.context["account"].balance_kop == account.balance_kop
    assert f'href="{reverse("staff:lead", args=[lead.pk])}"' in html  # managers open leads
    # A manager may not reset passwords: no such action on the page.
    assert reverse("staff:account_password", args=[account.pk]) not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "reset_shown", "lead_linked"),
    [("support", True, False), ("admin", True, True), ("cashier", False, False)],
)
def test_account_page_actions_follow_the_roles(client, role, reset_shown, lead_linked):
    from abonent.staff.tests.factories import make_staff

    lead = LeadFactory(status=LeadStatus.CONNECTED)
    account = AccountFactory(lead=lead)
    client.force_login(make_staff(f"u-{role}", role))
    html = client.get(reverse("staff:account", args=[account.pk])).content.decode()
    assert (reverse("staff:account_password", args=[account.pk]) in html) is reset_shown
    assert (f'href="{reverse("staff:lead", args=[lead.pk])}"' in html) is lead_linked
    assert f"#{lead.pk}" in html


@pytest.mark.django_db
def test_unknown_account_is_404(sup_client):
    assert sup_client.get(reverse("staff:account", args=[999_999])).status_code == 404
    assert sup_client.get(reverse("staff:account_password", args=[999_999])).status_code == 404


@pytest.mark.django_db
def test_imported_account_without_a_password_offers_the_first_sheet(sup_client):
    account = AccountFactory(password="!unusable")
    sup_client.cookies["abonent_lang"] = "en"
    html = sup_client.get(reverse("staff:account", args=[account.pk])).content.decode()
    assert "Print the first sheet" in html
    assert Account.objects.get(pk=account.pk).has_usable_password is False
    assert reverse("staff:account_password", args=[account.pk]) in html


# --- Home -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "cashier", "manager", "admin"])
def test_home_has_an_accounts_card_with_counts_by_status(client, role):
    from abonent.staff.tests.factories import make_staff

    AccountFactory.create_batch(2, status=AccountStatus.ACTIVE)
    AccountFactory(status=AccountStatus.BLOCKED)
    client.force_login(make_staff(f"h-{role}", role))
    response = client.get(reverse("staff:home"))
    assert response.context["account_total"] == 3
    assert response.context["account_counts"]["active"] == 2
    assert response.context["account_counts"]["blocked"] == 1
    html = response.content.decode()
    assert 'href="/staff/accounts/?status=blocked"' in html
    assert ('href="/staff/accounts/new/"' in html) is (role in ("manager", "admin"))


@pytest.mark.django_db
def test_home_without_roles_has_no_accounts_card(client):
    from abonent.staff.tests.factories import make_staff

    client.force_login(make_staff("nobody"))
    response = client.get(reverse("staff:home"))
    assert "account_counts" not in response.context
