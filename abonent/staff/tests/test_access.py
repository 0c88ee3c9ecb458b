"""Who may open what: every back-office URL × every role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import TariffChange, TariffChangeStatus
from abonent.catalogue.tests.factories import AddonFactory, ServiceKindFactory, TariffFactory
from abonent.leads.tests.factories import LeadFactory
from abonent.payments.tests.factories import PaymentFactory
from abonent.staff.tests.factories import make_staff

ALL = {"manager", "admin", "support", "cashier", "none"}
LEADS = {"manager", "admin"}
ADMIN = {"admin"}
ACCOUNTS = {"manager", "admin", "support", "cashier"}
CONTRACTS = {"manager", "admin"}
PASSWORDS = {"support", "admin"}
MONEY = {"cashier", "admin"}
TARIFF_CHANGES = {"manager", "admin"}
MAIL = {"support", "admin"}

# (url name, kwargs key, method, roles allowed)
URLS = [
    ("staff:home", None, "get", ALL),
    ("staff:leads", None, "get", LEADS),
    ("staff:lead", "lead", "get", LEADS),
    ("staff:lead_transition", "lead", "post", LEADS),
    ("staff:lead_note", "lead", "post", LEADS),
    ("staff:accounts", None, "get", ACCOUNTS),
    ("staff:account", "account", "get", ACCOUNTS),
    ("staff:account_new", None, "get", CONTRACTS),
    ("staff:account_new", None, "post", CONTRACTS),
    ("staff:account_password", "account", "get", PASSWORDS),
    ("staff:account_password", "account", "post", PASSWORDS),
    ("staff:account_correction", "account", "get", MONEY),
    ("staff:account_correction", "account", "post", MONEY),
    ("staff:account_ledger", "account", "get", ACCOUNTS),
    ("staff:payment_refund", "payment", "get", MONEY),
    ("staff:payment_refund", "payment", "post", MONEY),
    ("staff:payment_problems", None, "get", MONEY),
    ("staff:tariff_changes", None, "get", TARIFF_CHANGES),
    ("staff:tariff_change_decide", "change", "post", TARIFF_CHANGES),
    ("staff:tariffs", None, "get", ADMIN),
    ("staff:tariff_new", None, "get", ADMIN),
    ("staff:tariff_edit", "tariff", "get", ADMIN),
    ("staff:tariff_remove", "tariff", "post", ADMIN),
    ("staff:addons", None, "get", ADMIN),
    ("staff:addon_new", None, "get", ADMIN),
    ("staff:addon_edit", "addon", "get", ADMIN),
    ("staff:addon_remove", "addon", "post", ADMIN),
    ("staff:kinds", None, "get", ADMIN),
    ("staff:kind_new", None, "get", ADMIN),
    ("staff:kind_edit", "kind", "get", ADMIN),
    ("staff:mail", None, "get", MAIL),
    ("staff:mail_new", None, "get", MAIL),
    ("staff:mail_new", None, "post", MAIL),
    ("staff:audit", None, "get", ADMIN),
]
ROLES = ["manager", "admin", "support", "cashier", "none"]


@pytest.fixture
def objects(db):
    kind = ServiceKindFactory()
    tariff = TariffFactory(kind=kind)
    account = AccountFactory(tariff=tariff)
    change = TariffChange.objects.create(
        account=account,
        from_tariff=tariff,
        to_tariff=TariffFactory(kind=kind, needs_approval=True),
        status=TariffChangeStatus.AWAITING_APPROVAL,
        effective_on=dt.date(2026, 2, 1),
    )
    return {
        "kind": {"kind_id": kind.pk},
        "tariff": {"tariff_id": tariff.pk},
        "addon": {"addon_id": AddonFactory(kind=kind).pk},
        "lead": {"lead_id": LeadFactory(tariff=tariff).pk},
        "account": {"account_id": account.pk},
        "change": {"change_id": change.pk},
        "payment": {
            "account_id": account.pk,
            "payment_id": PaymentFactory(account=account, status="succeeded").pk,
        },
    }


def url_of(name: str, key: str | None, objects: dict) -> str:
    return reverse(name, kwargs=objects[key] if key else None)


def test_every_staff_url_is_in_the_table():
    from abonent.staff import urls

    names = {f"staff:{p.name}" for p in urls.urlpatterns}
    assert names - {"staff:login", "staff:logout"} == {name for name, *_ in URLS}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "key", "method", "allowed"), URLS)
def test_role_limits(client, objects, role, name, key, method, allowed):
    user = make_staff(f"user-{role}", *([] if role == "none" else [role]))
    client.force_login(user)
    response = getattr(client, method)(url_of(name, key, objects))
    if role in allowed:
        assert response.status_code in (200, 302, 422), response.status_code
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("staff:login"))
    else:
        assert response.status_code == 403
        assert "staff/403.html" in [t.name for t in response.templates]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "key", "method", "allowed"), URLS)
def test_anonymous_goes_to_login(client, objects, name, key, method, allowed):
    url = url_of(name, key, objects)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login") + "?next=")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "key", "method", "allowed"), URLS)
def test_signed_in_non_staff_goes_to_login(client, objects, name, key, method, allowed):
    user = make_staff("not-staff", "admin", is_staff=False)
    client.force_login(user)
    response = getattr(client, method)(url_of(name, key, objects))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))


@pytest.mark.django_db
def test_superuser_holds_every_role(client, objects):
    client.force_login(make_staff("root", is_superuser=True))
    assert client.get(reverse("staff:audit")).status_code == 200
    assert client.get(reverse("staff:leads")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "manager",
            ["/staff/leads/", "/staff/accounts/"],
            ["/staff/catalogue/tariffs/", "/staff/audit/", "/staff/mail/"],
        ),
        (
            "admin",
            [
                "/staff/leads/",
                "/staff/accounts/",
                "/staff/mail/",
                "/staff/catalogue/tariffs/",
                "/staff/audit/",
            ],
            [],
        ),
        (
            "support",
            ["/staff/accounts/", "/staff/mail/"],
            ["/staff/leads/", "/staff/catalogue/tariffs/", "/staff/audit/"],
        ),
        (
            "cashier",
            ["/staff/accounts/"],
            ["/staff/leads/", "/staff/catalogue/tariffs/", "/staff/audit/", "/staff/mail/"],
        ),
    ],
)
def test_navigation_shows_only_allowed_sections(client, role, shown, hidden):
    client.force_login(make_staff(f"nav-{role}", role, first_name="Ольга", last_name="Орлова"))
    html = client.get(reverse("staff:home")).content.decode()
    nav = html[
        html.index('class="main-nav"') : html.index("</nav>", html.index('class="main-nav"'))
    ]
    for href in shown:
        assert f'href="{href}"' in nav
    for href in hidden:
        assert f'href="{href}"' not in nav
    assert "Ольга Орлова" in nav
    assert 'action="/staff/logout/"' in nav
