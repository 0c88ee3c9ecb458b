"""Money in the back office: cashiers' corrections and refunds, the forecast and the open
tariff change on the account page, the full ledger, and the approvals queue."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from abonent.accounts.models import AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry, TariffChange, TariffChangeStatus
from abonent.billing.services.posting import ledger_post
from abonent.catalogue.tests.factories import TariffFactory
from abonent.core.models import AuditEntry
from abonent.staff.tests.factories import make_staff

REASON = "Ошибочное списание 01.03"


@pytest.fixture
def account(db):
    account = AccountFactory(status=AccountStatus.ACTIVE)
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=100_000, settle=False)
    account.refresh_from_db()
    return account


def signed_in(client: Client, *roles: str, lang: str = "en") -> Client:
    client.force_login(make_staff(f"u-{'-'.join(roles) or 'none'}", *roles))
    client.cookies["abonent_lang"] = lang
    return client


def correction_url(account) -> str:
    return reverse("staff:account_correction", args=[account.pk])


def token_from(html: str) -> str:
    match = re.search(r'name="once" value="([^"]+)"', html)
    assert match, "no one-time token in the form"
    return match.group(1)


def form_data(token: str, **extra: str) -> dict[str, str]:
    return {"once": token, "operation": "credit", "amount": "150,50", "reason": REASON, **extra}


# --- The account page --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["cashier", "admin"])
def test_cashiers_and_admins_see_the_correction_form(client, account, role):
    html = signed_in(client, role).get(reverse("staff:account", args=[account.pk])).content
    html = html.decode()
    assert 'id="correction"' in html
    assert f'action="{correction_url(account)}"' in html
    assert 'name="operation"' in html and 'name="reason"' in html and token_from(html)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "support"])
def test_managers_and_support_see_no_money_form_and_cannot_post(client, account, role):
    c = signed_in(client, role)
    html = c.get(reverse("staff:account", args=[account.pk])).content.decode()
    assert 'id="correction"' not in html and correction_url(account) not in html
    response = c.post(correction_url(account), form_data("x", confirm="1"))
    assert response.status_code == 403
    assert LedgerEntry.objects.filter(kind=EntryKind.CORRECTION).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "support", "cashier", "admin"])
def test_every_role_sees_the_forecast_and_the_open_change(client, account, role):
    target = TariffFactory(kind=account.tariff.kind, name="Турбо", needs_approval=True)
    TariffChange.objects.create(
        account=account,
        from_tariff=account.tariff,
        to_tariff=target,
        status=TariffChangeStatus.AWAITING_APPROVAL,
        effective_on=dt.date(2030, 1, 1),
    )
    response = signed_in(client, role).get(reverse("staff:account", args=[account.pk]))
    html = response.content.decode()
    forecast = response.context["forecast"]
    assert forecast.next_date is not None
    assert 'data-testid="account-forecast"' in html
    assert "Next charge" in html and "Lasts until" in html
    assert forecast.next_date.strftime("%d.%m.%Y") in html
    assert "Турбо" in html and "01.01.2030" in html and "Waiting for approval" in html
    queue_link = reverse("staff:tariff_changes") in html
    assert queue_link == (role in ("manager", "admin"))


@pytest.mark.django_db
def test_a_blocked_account_shows_what_it_needs(client):
    account = AccountFactory(status=AccountStatus.BLOCKED)
    html = signed_in(client, "support").get(reverse("staff:account", args=[account.pk]))
    html = html.content.decode()
    assert "Needed to resume" in html and "as soon as the balance covers it" in html
    assert "none requested" in html


# --- Correction: form → confirmation → posting -------------------------------------------------


@pytest.mark.django_db
def test_form_confirm_post(client, account):
    c = signed_in(client, "cashier")
    token = token_from(c.get(correction_url(account)).content.decode())
    preview = c.post(correction_url(account), form_data(token))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'data-testid="balance-change"' in html
    assert "₽1,000.00</span> → <strong>₽1,150.50</strong>" in html
    assert not LedgerEntry.objects.filter(kind=EntryKind.CORRECTION).exists()  # not yet
    assert token_from(html) == token  # the same token goes on

    done = c.post(correction_url(account), form_data(token, confirm="1"))
    assert done.status_code == 302 and done["Location"] == reverse(
        "staff:account", args=[account.pk]
    )
    entry = LedgerEntry.objects.get(kind=EntryKind.CORRECTION)
    assert (entry.amount_kop, entry.reason, entry.key) == (15_050, REASON, f"staff:{token}")
    page = c.get(done["Location"]).content.decode()
    assert "Correction of ₽150.50 posted. The balance is now ₽1,150.50." in page
    assert AuditEntry.objects.filter(action="ledger.correction").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("operation", "kind", "amount", "action"),
    [
        ("credit", EntryKind.CORRECTION, 15_050, "ledger.correction"),
        ("debit", EntryKind.CORRECTION, -15_050, "ledger.correction"),
        ("refund", EntryKind.REFUND, -15_050, "ledger.refund"),
    ],
)
def test_each_operation_posts_its_sign(client, account, operation, kind, amount, action):
    c = signed_in(client, "admin")
    token = token_from(c.get(correction_url(account)).content.decode())
    c.post(correction_url(account), form_data(token, operation=operation, confirm="1"))
    entry = LedgerEntry.objects.get(key=f"staff:{token}")
    assert (entry.kind, entry.amount_kop) == (kind, amount)
    account.refresh_from_db()
    assert account.balance_kop == 100_000 + amount
    assert AuditEntry.objects.get(action=action).after["amount_kop"] == amount


@pytest.mark.django_db
def test_the_same_form_sent_twice_posts_once(client, account):
    c = signed_in(client, "cashier")
    token = token_from(c.get(correction_url(account)).content.decode())
    first = c.post(correction_url(account), form_data(token, confirm="1"))
    again = c.post(correction_url(account), form_data(token, confirm="1"))
    assert first.status_code == again.status_code == 302
    assert LedgerEntry.objects.filter(key=f"staff:{token}").count() == 1
    account.refresh_from_db()
    assert account.balance_kop == 115_050
    assert "already sent" in c.get(again["Location"]).content.decode()


@pytest.mark.django_db
def test_a_token_from_another_session_or_account_does_not_post(client, account):
    c = signed_in(client, "cashier")
    other = AccountFactory()
    token = token_from(c.get(correction_url(other)).content.decode())  # issued for `other`
    response = c.post(correction_url(account), form_data(token, confirm="1"))
    assert response.status_code == 422
    assert "The form has expired" in response.content.decode()
    assert token_from(response.content.decode()) != token  # a fresh token, input kept
    assert response.context["form"]["reason"].value() == REASON
    assert not LedgerEntry.objects.filter(kind=EntryKind.CORRECTION).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "0"}, "amount", "The amount must not be zero."),
        ({"amount": "12,345"}, "amount", "Enter an amount in roubles"),
        ({"amount": "-5"}, "amount", "cannot be negative"),
        ({"amount": "1000000,01"}, "amount", "too large"),
        ({"amount": ""}, "amount", "Enter the amount."),
        ({"reason": ""}, "reason", "Give the reason."),
        ({"reason": "ок"}, "reason", "at least 5 characters"),
        ({"operation": ""}, "operation", "Choose a correction or a refund."),
    ],
)
def test_errors_keep_the_input(client, account, data, field, message):
    c = signed_in(client, "cashier")
    token = token_from(c.get(correction_url(account)).content.decode())
    sent = form_data(token, confirm="1", **data)
    response = c.post(correction_url(account), sent)
    assert response.status_code == 422
    form = response.context["form"]
    assert message in " ".join(form.errors.get(field, []))
    html = response.content.decode()
    for name in ("amount", "reason"):
        if sent[name]:
            assert sent[name] in html
    if sent["operation"]:
        assert f'value="{sent["operation"]}" ' in html and "checked" in html
    assert token_from(html) == token
    assert not LedgerEntry.objects.filter(kind=EntryKind.CORRECTION).exists()


@pytest.mark.django_db
def test_change_goes_back_to_the_form_with_the_input(client, account):
    c = signed_in(client, "cashier")
    token = token_from(c.get(correction_url(account)).content.decode())
    response = c.post(correction_url(account), form_data(token, edit="1", operation="refund"))
    assert response.status_code == 200 and response.context["preview"] is None
    html = response.content.decode()
    assert 'value="150,50"' in html and REASON in html
    assert re.search(r'value="refund"[^>]*checked', html)


@pytest.mark.django_db
def test_a_positive_correction_unblocks_from_the_page(client):
    account = AccountFactory(status=AccountStatus.BLOCKED)
    c = signed_in(client, "cashier")
    token = token_from(c.get(correction_url(account)).content.decode())
    preview = c.post(correction_url(account), form_data(token, amount="500"))
    assert "starts working at once" in preview.content.decode()
    c.post(correction_url(account), form_data(token, amount="500", confirm="1"))
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE


@pytest.mark.django_db
def test_correction_needs_csrf(account):
    c = Client(enforce_csrf_checks=True)
    c.force_login(make_staff("kassa", "cashier"))
    response = c.post(correction_url(account), form_data("x", confirm="1"))
    assert response.status_code == 403
    assert not LedgerEntry.objects.filter(kind=EntryKind.CORRECTION).exists()


# --- The full ledger ---------------------------------------------------------------------------


def ledger_url(account) -> str:
    return reverse("staff:account_ledger", args=[account.pk])


@pytest.mark.django_db
def test_the_ledger_pages_and_filters(client, account):
    cashier = make_staff("kassa", "cashier", first_name="Ольга", last_name="Кассирова")
    for n in range(55):
        ledger_post(
            account_id=account.pk,
            kind=EntryKind.CORRECTION,
            amount_kop=n + 1,
            reason=f"n{n}",
            actor=cashier,
        )
    c = signed_in(client, "support")
    first = c.get(ledger_url(account))
    assert first.status_code == 200
    assert first.context["page"].paginator.count == 56
    assert len(first.context["page"].object_list) == 50
    html = first.content.decode()
    assert "Ольга Кассирова" in html and 'rel="next"' in html
    second = c.get(ledger_url(account), {"page": 2})
    assert len(second.context["page"].object_list) == 6
    payments = c.get(ledger_url(account), {"kind": "payment"})
    assert [e.kind for e in payments.context["page"].object_list] == ["payment"]
    assert "system" in payments.content.decode()
    paged = c.get(ledger_url(account), {"kind": "correction", "page": 2})
    assert 'href="?kind=correction&amp;page=1"' in paged.content.decode()
    assert c.get(ledger_url(account), {"kind": "nonsense"}).context["kind"] == ""


@pytest.mark.django_db
def test_the_ledger_query_count_does_not_grow(client, account, django_assert_num_queries):
    c = signed_in(client, "support")
    c.get(ledger_url(account))  # warm the session
    # session, user, roles, account (tariff joined), count, rows (staff joined)
    with django_assert_num_queries(6):
        c.get(ledger_url(account))
    staff = [make_staff(f"k{n}", "cashier") for n in range(5)]
    for n in range(30):
        ledger_post(
            account_id=account.pk, kind=EntryKind.CORRECTION, amount_kop=-1, actor=staff[n % 5]
        )
    with django_assert_num_queries(6):
        response = c.get(ledger_url(account), {"kind": "correction"})
    assert len(response.context["page"].object_list) == 30


@pytest.mark.django_db
def test_the_account_page_links_to_the_whole_history(client, account):
    html = signed_in(client, "manager").get(reverse("staff:account", args=[account.pk]))
    assert ledger_url(account) in html.content.decode()


@pytest.mark.django_db
def test_an_unknown_account_is_404(client):
    c = signed_in(client, "admin")
    assert c.get(reverse("staff:account_ledger", args=[999])).status_code == 404
    assert c.get(reverse("staff:account_correction", args=[999])).status_code == 404


# --- Tariff changes waiting for approval -------------------------------------------------------


@pytest.fixture
def change(account):
    return TariffChange.objects.create(
        account=account,
        from_tariff=account.tariff,
        to_tariff=TariffFactory(kind=account.tariff.kind, name="Гигабит", needs_approval=True),
        status=TariffChangeStatus.AWAITING_APPROVAL,
        effective_on=dt.date(2030, 1, 1),
    )


@pytest.mark.django_db
def test_the_queue_lists_what_waits(client, change):
    TariffChange.objects.create(
        account=AccountFactory(),
        from_tariff=change.from_tariff,
        to_tariff=change.to_tariff,
        status=TariffChangeStatus.PENDING,
        effective_on=dt.date(2030, 1, 1),
    )
    response = signed_in(client, "manager").get(reverse("staff:tariff_changes"))
    rows = response.context["rows"]
    assert [r["change"].pk for r in rows] == [change.pk]
    html = response.content.decode()
    assert "Гигабит" in html and change.from_tariff.name in html and "01.01.2030" in html


@pytest.mark.django_db
def test_approve(client, change):
    c = signed_in(client, "manager")
    url = reverse("staff:tariff_change_decide", args=[change.pk])
    response = c.post(url, {"decision": "approve"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == TariffChangeStatus.PENDING
    assert AuditEntry.objects.filter(action="tariff_change.approve").count() == 1
    assert "is approved" in c.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_reject_needs_a_reason_and_keeps_it(client, change):
    c = signed_in(client, "admin")
    url = reverse("staff:tariff_change_decide", args=[change.pk])
    response = c.post(url, {"decision": "reject", "reason": "  "})
    assert response.status_code == 422
    assert "Give the reason for the refusal." in response.content.decode()
    change.refresh_from_db()
    assert change.status == TariffChangeStatus.AWAITING_APPROVAL
    response = c.post(url, {"decision": "reject", "reason": "Нет технической возможности"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert (change.status, change.reason) == (
        TariffChangeStatus.REJECTED,
        "Нет технической возможности",
    )
    assert AuditEntry.objects.filter(action="tariff_change.reject").count() == 1


@pytest.mark.django_db
def test_a_reason_typed_before_an_error_is_kept(client, change):
    c = signed_in(client, "admin")
    url = reverse("staff:tariff_change_decide", args=[change.pk])
    response = c.post(url, {"decision": "maybe", "reason": "Думаю"})
    assert response.status_code == 422
    assert 'value="Думаю"' in response.content.decode()


@pytest.mark.django_db
def test_deciding_twice_says_it_is_gone(client, change):
    c = signed_in(client, "manager")
    url = reverse("staff:tariff_change_decide", args=[change.pk])
    c.post(url, {"decision": "approve"})
    response = c.post(url, {"decision": "reject", "reason": "Поздно"})
    assert response.status_code == 302
    assert "no longer waits" in c.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(action__startswith="tariff_change.").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "shown"), [("manager", True), ("admin", True), ("cashier", False)]
)
def test_the_home_page_counts_the_changes(client, change, role, shown):
    html = signed_in(client, role).get(reverse("staff:home")).content.decode()
    assert ('data-testid="tariff-changes-count"' in html) == shown
    if shown:
        assert re.search(r'tariff-changes-count"><span class="value">1<', html)


@pytest.mark.django_db
def test_the_queue_query_count(client, change, django_assert_num_queries):
    for _ in range(5):
        TariffChange.objects.create(
            account=AccountFactory(tariff=change.from_tariff),
            from_tariff=change.from_tariff,
            to_tariff=change.to_tariff,
            status=TariffChangeStatus.AWAITING_APPROVAL,
            effective_on=dt.date(2030, 1, 1),
        )
    c = signed_in(client, "manager")
    c.get(reverse("staff:tariff_changes"))
    # session, user, roles, count, rows (account and both tariffs joined)
    with django_assert_num_queries(5):
        c.get(reverse("staff:tariff_changes"))


@pytest.mark.django_db
def test_the_new_pages_speak_russian(client, change):
    c = signed_in(client, "admin", lang="ru")
    account = change.account
    html = c.get(reverse("staff:account", args=[account.pk])).content.decode()
    assert "Корректировка / возврат" in html and "Следующее списание" in html
    assert "Ждёт одобрения" in html and "Решить в очереди" in html
    assert (
        "Смена тарифов на согласовании" in c.get(reverse("staff:tariff_changes")).content.decode()
    )
    assert "Кто провёл" in c.get(ledger_url(account)).content.decode()
    token = token_from(c.get(correction_url(account)).content.decode())
    preview = c.post(correction_url(account), form_data(token, operation="refund"))
    assert "Подтвердите операцию" in preview.content.decode()
    done = c.post(correction_url(account), form_data(token, operation="refund", confirm="1"))
    assert "Возврат -150,50" in c.get(done["Location"]).content.decode()
