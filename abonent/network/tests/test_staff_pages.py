"""The back office's network pages: live sessions (search, NAS filter, counts, a bounded number
of queries), an account's network block, credential and password, and the NAS list (audited,
refused while in use). Sessions come from radacct/radpostauth on PostgreSQL; on SQLite the pages
say that network data needs PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from abonent.accounts.tests.factories import AccountFactory
from abonent.core.models import AuditEntry
from abonent.network import views_staff
from abonent.network.models import (
    GroupAttribute,
    Nas,
    NetworkCredential,
    RadAcct,
    RadPostAuth,
    SessionChange,
)
from abonent.network.services import credential_create, group_defaults_ensure
from abonent.staff.tests.factories import make_staff

from .conftest import needs_postgres

pytestmark = pytest.mark.django_db

SESSIONS = reverse("network_staff:sessions")
NAS_LIST = reverse("network_staff:nas_list")
NAS_NEW = reverse("network_staff:nas_new")
GB = 1_000_000_000
_ids = itertools.count(1)
needs_sqlite = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="the message shown where there is no radacct"
)


def signed_in(client, *roles: str):  # type: ignore[no-untyped-def]
    client.force_login(make_staff("-".join(roles) or "nobody", *roles))
    return client


def session(  # type: ignore[no-untyped-def]
    login: str,
    *,
    nas: str = "10.0.0.1",
    ip: str | None = "100.64.0.10",
    mac: str = "AA-BB-CC-00-00-01",
    minutes_ago: int = 90,
    down: int = 2 * GB,
    up: int = 300_000_000,
    open_: bool = True,
) -> RadAcct:
    n = next(_ids)
    start = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return RadAcct.objects.create(
        acctsessionid=f"s{n}",
        acctuniqueid=f"u{n}-{login}",
        username=login,
        nasipaddress=nas,
        acctstarttime=start,
        acctupdatetime=start + dt.timedelta(minutes=minutes_ago - 1),
        acctstoptime=None if open_ else start + dt.timedelta(minutes=30),
        acctinputoctets=up,
        acctoutputoctets=down,
        callingstationid=mac,
        framedipaddress=ip,
        acctterminatecause=None if open_ else "User-Request",
    )


def auth(login: str, reply: str, reason: str | None, minutes_ago: int) -> RadPostAuth:
    return RadPostAuth.objects.create(
        username=login,
        reply=reply,
        reason=reason,
        callingstationid="AA-BB-CC-00-00-01",
        authdate=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


def online(status: str = "active", **session_fields):  # type: ignore[no-untyped-def]
    account = AccountFactory(status=status)
    credential = credential_create(account=account)
    return account, credential, session(credential.login, **session_fields)


def body(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# --- Who may open what --------------------------------------------------------------------------


def urls() -> dict[str, tuple[str, str, set[str]]]:
    account = AccountFactory()
    credential_create(account=account)
    nas = Nas.objects.create(nasname="10.9.9.9", shortname="edge", secret="s3cret-s3cret")
    network = {"support", "admin"}
    return {
        "sessions": (SESSIONS, "get", network),
        "disconnect": (reverse("network_staff:disconnect", args=[999_999]), "post", network),
        "history": (
            reverse("network_staff:account_sessions", args=[account.pk]),
            "get",
            network,
        ),
        "credential": (reverse("network_staff:credential", args=[account.pk]), "get", network),
        "password": (reverse("network_staff:password", args=[account.pk]), "post", network),
        "nas_list": (NAS_LIST, "get", {"admin"}),
        "nas_new": (NAS_NEW, "get", {"admin"}),
        "nas_edit": (reverse("network_staff:nas_edit", args=[nas.pk]), "get", {"admin"}),
        "nas_delete": (reverse("network_staff:nas_delete", args=[nas.pk]), "post", {"admin"}),
        "restricted": (reverse("network_staff:restricted"), "post", {"admin"}),
    }


@pytest.mark.parametrize("role", ["manager", "cashier", "support", "admin"])
def test_roles(client, role):
    table = urls()
    c = signed_in(client, role)
    for name, (url, method, allowed) in table.items():
        response = getattr(c, method)(url)
        if role in allowed:
            assert response.status_code in (200, 302, 422), (name, response.status_code)
        else:
            assert response.status_code == 403, name
            assert "staff/403.html" in [t.name for t in response.templates]


def test_anonymous_goes_to_the_login_page(client):
    for url, method, _allowed in urls().values():
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login") + "?next=")


@pytest.mark.parametrize(
    ("role", "shown"), [("support", True), ("admin", True), ("manager", False)]
)
def test_the_network_section_is_in_the_menu_for_support_and_admins(client, role, shown):
    html = body(signed_in(client, role).get(reverse("staff:home")))
    nav = html[
        html.index('class="main-nav"') : html.index("</nav>", html.index('class="main-nav"'))
    ]
    assert (f'href="{SESSIONS}"' in nav) is shown
    assert ('data-testid="home-network"' in html) is shown


def test_support_sees_no_nas_tab(client):
    html = body(signed_in(client, "support").get(SESSIONS))
    assert NAS_LIST not in html
    assert NAS_LIST in body(signed_in(client, "admin").get(SESSIONS))


# --- SQLite ---------------------------------------------------------------------------------------


@needs_sqlite
def test_without_postgres_the_pages_say_so_instead_of_failing(client):
    account = AccountFactory()
    credential = credential_create(account=account)
    c = signed_in(client, "support")
    for url in (SESSIONS, reverse("network_staff:account_sessions", args=[account.pk])):
        response = c.get(url)
        assert response.status_code == 200
        assert 'data-testid="no-radius"' in body(response)
        assert "PostgreSQL" in body(response)
    page = body(c.get(reverse("staff:account", args=[account.pk])))
    assert credential.login in page
    assert "PostgreSQL" in page


# --- Live sessions (PostgreSQL) -------------------------------------------------------------------


@needs_postgres
def test_live_sessions_show_the_account_nas_address_and_traffic(client):
    Nas.objects.create(nasname="10.0.0.1", shortname="bras-1", secret="s3cret-s3cret")
    account, credential, open_session = online("blocked", mac="AA-BB-CC-00-00-07")
    session(credential.login, open_=False, minutes_ago=600, ip="100.64.9.9")  # closed: not shown
    response = signed_in(client, "support").get(SESSIONS)
    html = body(response)
    assert response.status_code == 200
    assert [row.session.pk for row in response.context["rows"]] == [open_session.pk]
    assert credential.login in html
    assert reverse("staff:account", args=[account.pk]) in html
    assert "badge-blocked" in html
    assert "bras-1" in html
    assert "100.64.0.10" in html and "100.64.9.9" not in html
    assert "AA-BB-CC-00-00-07" in html
    assert "2,0 ГБ" in html and "300 МБ" in html
    assert "1 ч 30 мин" in html
    assert response.context["counts"].total == 1


@needs_postgres
def test_counts_per_nas_and_the_nas_filter(client):
    Nas.objects.create(nasname="10.0.0.1", shortname="bras-1", secret="s3cret-s3cret")
    Nas.objects.create(nasname="10.0.0.2", shortname="bras-2", secret="s3cret-s3cret")
    for _ in range(3):
        online(nas="10.0.0.1")
    _account, _credential, on_two = online(nas="10.0.0.2")
    online(nas="10.0.0.99")  # a NAS nobody registered still counts
    c = signed_in(client, "support")
    counts = c.get(SESSIONS).context["counts"]
    assert counts.total == 5
    assert [(n.name, n.address, n.sessions) for n in counts.per_nas] == [
        ("bras-1", "10.0.0.1", 3),
        ("bras-2", "10.0.0.2", 1),
        ("", "10.0.0.99", 1),
    ]
    filtered = c.get(SESSIONS, {"nas": "10.0.0.2"})
    assert [row.session.pk for row in filtered.context["rows"]] == [on_two.pk]
    assert c.get(SESSIONS, {"nas": "not-an-ip"}).status_code == 200


@needs_postgres
@pytest.mark.parametrize("how", ["login", "contract", "spaced contract", "ip", "mac", "colon mac"])
def test_search_by_login_contract_ip_and_mac(client, how):
    online(ip="100.64.0.1", mac="AA-BB-CC-00-00-01")
    account, credential, wanted = online(ip="100.64.0.2", mac="AA-BB-CC-00-00-02")
    credential.login = "pppoe-petrov"
    credential.save()
    wanted.username = "pppoe-petrov"
    wanted.save(update_fields=["username"])
    typed = {
        "login": "pppoe-petrov",
        "contract": account.contract,
        "spaced contract": f"{account.contract[:4]} {account.contract[4:]}",
        "ip": "100.64.0.2",
        "mac": "AA-BB-CC-00-00-02",
        "colon mac": "aa:bb:cc:00:00:02",
    }[how]
    response = signed_in(client, "support").get(SESSIONS, {"q": typed})
    assert [row.session.pk for row in response.context["rows"]] == [wanted.pk]
    assert f'value="{typed}"' in body(response)


@needs_postgres
def test_nothing_found_says_so(client):
    online()
    response = signed_in(client, "support").get(SESSIONS, {"q": "nobody-here"})
    assert 'data-testid="no-sessions"' in body(response)


@needs_postgres
def test_the_query_count_does_not_grow_with_the_sessions(client):
    Nas.objects.create(nasname="10.0.0.1", shortname="bras-1", secret="s3cret-s3cret")
    c = signed_in(client, "support")
    c.get(SESSIONS)  # warm the session
    accounts = [online()[0] for _ in range(3)]
    with CaptureQueriesContext(connection) as few:
        assert len(c.get(SESSIONS).context["rows"]) == 3
    for _ in range(40):
        online(nas="10.0.0.2")
    with CaptureQueriesContext(connection) as many:
        response = c.get(SESSIONS)
    assert len(response.context["rows"]) == 43
    assert len(many) == len(few) <= 9, [q["sql"] for q in many.captured_queries]
    # session, user, roles, NASes, counts per NAS, page count, page rows, their accounts
    assert len(few) == 8
    with CaptureQueriesContext(connection) as searched:
        c.get(SESSIONS, {"q": "100.64.0.10", "nas": "10.0.0.2"})
    assert len(searched) == len(few)
    with CaptureQueriesContext(connection) as by_contract:  # + the contract's login
        found = c.get(SESSIONS, {"q": accounts[0].contract})
    assert len(found.context["rows"]) == 1
    assert len(by_contract) == len(few) + 1


@needs_postgres
def test_pages_of_fifty(client):
    for _ in range(51):
        online()
    c = signed_in(client, "support")
    first = c.get(SESSIONS)
    assert len(first.context["rows"]) == 50
    assert 'href="?page=2"' in body(first)
    assert len(c.get(SESSIONS, {"page": 2}).context["rows"]) == 1


# --- Disconnect (PostgreSQL) ---------------------------------------------------------------------


@pytest.fixture
def nas_answers(monkeypatch):
    """Stand in for ``coa.session_disconnect`` (its own tests send real packets): record the
    call and answer with ``nas_answers.state`` / ``nas_answers.error``."""

    class Fake:
        state = "acked"
        error = ""
        calls: list[dict] = []

    def fake_disconnect(*, radacct_id: int, actor) -> SessionChange:  # type: ignore[no-untyped-def]
        Fake.calls.append({"radacct_id": radacct_id, "actor": actor})
        session = RadAcct.objects.get(pk=radacct_id)
        return SessionChange(
            radacct_id=radacct_id,
            username=session.username,
            acct_session_id=session.acctsessionid,
            nas_ip=session.nasipaddress,
            kind="disconnect",
            reason="staff",
            state=Fake.state,
            last_error=Fake.error,
        )

    Fake.calls = []
    monkeypatch.setattr(views_staff, "session_disconnect", fake_disconnect)
    return Fake


def disconnect(c, session, next_url=SESSIONS + "?nas=10.0.0.1"):  # type: ignore[no-untyped-def]
    url = reverse("network_staff:disconnect", args=[session.pk])
    return c.post(url, {"next": next_url}, follow=True)


@needs_postgres
def test_every_session_has_a_disconnect_button(client):
    Nas.objects.create(nasname="10.0.0.1", shortname="bras-1", secret="s3cret-s3cret")
    _account, _credential, s = online()
    html = body(signed_in(client, "support").get(SESSIONS))
    assert f'action="{reverse("network_staff:disconnect", args=[s.pk])}"' in html
    assert "csrfmiddlewaretoken" in html


@needs_postgres
def test_disconnect_calls_the_service_and_shows_the_acknowledgement(
    client, nas_answers, support_user
):
    _account, credential, s = online()
    client.force_login(support_user)
    response = disconnect(client, s)
    assert response.redirect_chain[-1][0] == SESSIONS + "?nas=10.0.0.1"
    assert nas_answers.calls == [{"radacct_id": s.pk, "actor": support_user}]
    html = body(response)
    assert "alert-success" in html and credential.login in html and "отключена" in html


@needs_postgres
@pytest.mark.parametrize(
    ("state", "error", "alert", "words"),
    [
        ("naked", "Disconnect-NAK: Session-Context-Not-Found", "alert-error", "отказался"),
        ("failed", "no NAS 10.0.0.77 in the nas table", "alert-error", "Не удалось"),
        ("pending", "no answer from 10.0.0.1:3799", "alert-warning", "не ответил"),
        ("cancelled", "", "alert-info", "уже закончилась"),
    ],
)
def test_disconnect_outcomes_are_shown_with_the_reason(
    client, nas_answers, state, error, alert, words
):
    _account, _credential, s = online()
    nas_answers.state, nas_answers.error = state, error
    html = body(disconnect(signed_in(client, "support"), s))
    assert alert in html and words in html and error in html


@needs_postgres
def test_disconnect_from_the_account_page_returns_there(client, nas_answers):
    account, _credential, s = online()
    c = signed_in(client, "support")
    account_url = reverse("staff:account", args=[account.pk])
    html = body(c.get(account_url))
    assert f'action="{reverse("network_staff:disconnect", args=[s.pk])}"' in html
    assert disconnect(c, s, next_url=account_url).redirect_chain[-1][0] == account_url
    # anywhere else: back to the live sessions
    assert disconnect(c, s, next_url="https://evil.example/").redirect_chain[-1][0] == SESSIONS


@needs_postgres
def test_an_ended_session_is_not_disconnected(client):
    _account, _credential, s = online(open_=False)
    html = body(disconnect(signed_in(client, "support"), s))
    assert "alert-error" in html and "уже завершилась" in html
    assert not SessionChange.objects.exists()


@needs_postgres
@pytest.mark.parametrize("role", ["manager", "cashier"])
def test_only_support_and_admins_disconnect(client, nas_answers, role):
    _account, _credential, s = online()
    response = signed_in(client, role).post(reverse("network_staff:disconnect", args=[s.pk]))
    assert response.status_code == 403
    assert not nas_answers.calls


# --- An account's network block, credential and password ------------------------------------------


def test_the_account_page_shows_the_network_block(client):
    account = AccountFactory()
    credential = credential_create(account=account)
    credential.mac = "AA-BB-CC-DD-EE-FF"
    credential.static_ip = "10.50.0.7"
    credential.save()
    html = body(signed_in(client, "support").get(reverse("staff:account", args=[account.pk])))
    assert 'data-testid="account-network"' in html
    assert credential.login in html and "AA-BB-CC-DD-EE-FF" in html and "10.50.0.7" in html
    assert credential.password not in html
    assert reverse("network_staff:credential", args=[account.pk]) in html
    assert reverse("network_staff:password", args=[account.pk]) in html
    # a cashier sees the facts, not the network actions
    cashier_html = body(
        signed_in(client, "cashier").get(reverse("staff:account", args=[account.pk]))
    )
    assert credential.login in cashier_html
    assert reverse("network_staff:credential", args=[account.pk]) not in cashier_html


@needs_postgres
def test_the_account_block_shows_the_session_and_the_last_answers_in_words(client):
    account, credential, _s = online(ip="100.64.3.3")
    auth(credential.login, "Access-Reject", "wrong_password", 120)
    auth(credential.login, "Access-Accept", "blocked", 60)
    auth(credential.login, "Access-Accept", None, 30)
    for n in range(12):
        auth("someone-else", "Access-Reject", "unknown_login", n)
    c = signed_in(client, "support")
    html = body(c.get(reverse("staff:account", args=[account.pk])))
    assert "100.64.3.3" in html
    block = html[html.index('data-testid="account-network"') :]
    assert "Неверный сетевой пароль" in block
    assert "Заблокирован" in block
    assert block.count("<li>") == 3
    assert reverse("network_staff:account_sessions", args=[account.pk]) in block


@needs_postgres
def test_offline_shows_when_the_last_session_ended_and_at_most_ten_answers(client):
    account = AccountFactory()
    credential = credential_create(account=account)
    closed = session(credential.login, open_=False, minutes_ago=600)
    for n in range(15):
        auth(credential.login, "Access-Accept", None, n)
    response = signed_in(client, "support").get(reverse("staff:account", args=[account.pk]))
    network = response.context["network"]
    assert network.open_session is None and network.last_session.pk == closed.pk
    assert len(network.auth_results) == 10
    assert timezone.localtime(closed.acctstoptime).strftime("%d.%m.%Y %H:%M") in body(response)


@needs_postgres
def test_the_sessions_history_of_an_account(client):
    account, credential, open_session = online()
    closed = session(credential.login, open_=False, minutes_ago=3000)
    other = online()[2]
    response = signed_in(client, "support").get(
        reverse("network_staff:account_sessions", args=[account.pk])
    )
    assert [row.session.pk for row in response.context["rows"]] == [open_session.pk, closed.pk]
    assert str(other.pk) not in [str(row.session.pk) for row in response.context["rows"]]
    assert "User-Request" in body(response)


def test_credential_change_is_saved_and_audited(client, support_user):
    account = AccountFactory()
    credential_create(account=account)
    client.force_login(support_user)
    url = reverse("network_staff:credential", args=[account.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"login": "pppoe-ivanov", "mac": "aa:bb:cc:dd:ee:01", "static_ip": "10.50.0.9"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:account", args=[account.pk])
    credential = NetworkCredential.objects.get(account=account)
    assert (credential.login, credential.mac, credential.static_ip) == (
        "pppoe-ivanov",
        "AA-BB-CC-DD-EE-01",
        "10.50.0.9",
    )
    entry = AuditEntry.objects.get(action="network.credential_update")
    assert entry.actor == support_user
    assert entry.after["login"] == "pppoe-ivanov"


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"mac": "not-a-mac"}, "mac", "MAC"),
        ({"static_ip": "10.50.0.300"}, "static_ip", "IPv4"),
        ({"static_ip": "10.50.0.8"}, "static_ip", "уже существует"),
        ({"login": "taken-login"}, None, "уже"),
        ({"login": ""}, "login", "Заполните"),
    ],
)
def test_credential_errors_are_translated_and_keep_the_input(client, typed, field, message):
    other = AccountFactory()
    taken = credential_create(account=other)
    taken.login = "taken-login"
    taken.static_ip = "10.50.0.8"
    taken.save()
    account = AccountFactory()
    before = credential_create(account=account)
    data = {"login": "pppoe-new", "mac": "AA-BB-CC-DD-EE-02", "static_ip": "", **typed}
    response = signed_in(client, "support").post(
        reverse("network_staff:credential", args=[account.pk]), data
    )
    assert response.status_code == 422
    form = response.context["form"]
    errors = form.errors.get(field, []) if field else sum(form.errors.values(), [])
    assert any(message in str(e) for e in errors), form.errors
    html = body(response)
    for value in data.values():
        if value:
            assert f'value="{value}"' in html
    after = NetworkCredential.objects.get(account=account)
    assert (after.login, after.mac) == (before.login, before.mac)


def test_a_new_network_password_is_shown_once_and_audited(client, support_user):
    account = AccountFactory()
    old = credential_create(account=account).password
    client.force_login(support_user)
    url = reverse("network_staff:password", args=[account.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200
    new = NetworkCredential.objects.get(account=account).password
    assert new != old
    assert new in body(response)
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="network.password_rotate")
    assert new not in json.dumps([entry.before, entry.after])


# --- NASes ---------------------------------------------------------------------------------------


def nas_data(**overrides) -> dict[str, str]:
    data = {
        "nasname": "10.0.0.1",
        "shortname": "bras-1",
        "type": "mikrotik",
        "secret": "Very-Secret-1",
        "coa_port": "3799",
        "description": "Узел на Сергиевской",
    }
    data.update(overrides)
    return data


@pytest.fixture
def adm(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_admin_adds_a_nas_audited_without_the_secret(adm, admin_user):
    response = adm.post(NAS_NEW, nas_data(nasname=" 10.0.0.1 "), follow=True)
    assert response.redirect_chain[-1][0] == NAS_LIST
    nas = Nas.objects.get()
    assert (nas.nasname, nas.shortname, nas.type, nas.secret, nas.coa_port) == (
        "10.0.0.1",
        "bras-1",
        "mikrotik",
        "Very-Secret-1",
        3799,
    )
    html = body(response)
    assert "bras-1" in html and "Very-Secret-1" not in html
    assert "systemctl restart freeradius" in html
    entry = AuditEntry.objects.get(action="network.nas_create")
    assert entry.actor == admin_user
    assert entry.after["nasname"] == "10.0.0.1" and entry.after["secret_set"] is True
    assert "Very-Secret-1" not in json.dumps([entry.before, entry.after, entry.object_repr])


def test_the_edit_page_never_shows_the_secret_and_empty_keeps_it(adm):
    nas = Nas.objects.create(
        nasname="10.0.0.1", shortname="bras-1", type="mikrotik", secret="Old-Secret-1"
    )
    url = reverse("network_staff:nas_edit", args=[nas.pk])
    assert "Old-Secret-1" not in body(adm.get(url))
    response = adm.post(url, nas_data(shortname="bras-one", secret="", coa_port="1700"))
    assert response.status_code == 302
    nas.refresh_from_db()
    assert (nas.shortname, nas.coa_port, nas.secret) == ("bras-one", 1700, "Old-Secret-1")
    entry = AuditEntry.objects.get(action="network.nas_update")
    assert entry.before == {"shortname": "bras-1", "coa_port": 3799, "description": ""}
    assert entry.after["shortname"] == "bras-one" and "secret_changed" not in entry.after


def test_a_changed_secret_is_audited_as_changed_only(adm):
    nas = Nas.objects.create(nasname="10.0.0.1", shortname="bras-1", secret="Old-Secret-1")
    adm.post(reverse("network_staff:nas_edit", args=[nas.pk]), nas_data(secret="New-Secret-2"))
    nas.refresh_from_db()
    assert nas.secret == "New-Secret-2"
    entry = AuditEntry.objects.get(action="network.nas_update")
    assert entry.after["secret_changed"] is True
    dumped = json.dumps([entry.before, entry.after])
    assert "Old-Secret-1" not in dumped and "New-Secret-2" not in dumped


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"nasname": "10.0.0.256"}, "nasname", "Введите IP-адрес"),
        ({"nasname": "10.0.0.1/24"}, "nasname", "Введите IP-адрес"),
        ({"nasname": "10.0.0.7"}, "nasname", "уже"),
        ({"shortname": "   "}, "shortname", "Заполните"),
        ({"secret": "short"}, "secret", "от 8 до 64"),
        ({"secret": "with space 123"}, "secret", "без пробелов"),
        ({"coa_port": "70000"}, "coa_port", "65535"),
        ({"type": "huawei"}, "type", "Выберите"),
    ],
)
def test_nas_validation_errors_are_translated_and_keep_the_input(adm, typed, field, message):
    Nas.objects.create(nasname="10.0.0.7", shortname="old", secret="s3cret-s3cret")
    data = nas_data(**typed)
    response = adm.post(NAS_NEW, data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    html = body(response)
    assert f'value="{data["shortname"]}"' in html or field == "shortname"
    assert f'value="{data["nasname"]}"' in html
    assert Nas.objects.count() == 1
    assert not AuditEntry.objects.filter(action="network.nas_create").exists()


def test_every_mistake_is_shown_at_once(adm):
    response = adm.post(NAS_NEW, nas_data(nasname="10.0.0.300", secret="short", coa_port="0"))
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"nasname", "secret", "coa_port"}


def test_a_network_nas_is_accepted(adm):
    assert adm.post(NAS_NEW, nas_data(nasname="10.0.1.0/24")).status_code == 302
    assert Nas.objects.get().nasname == "10.0.1.0/24"


def test_an_admin_deletes_a_nas_audited(adm):
    nas = Nas.objects.create(nasname="10.0.0.1", shortname="bras-1", secret="Old-Secret-1")
    response = adm.post(reverse("network_staff:nas_delete", args=[nas.pk]), follow=True)
    assert response.redirect_chain[-1][0] == NAS_LIST
    assert not Nas.objects.exists()
    entry = AuditEntry.objects.get(action="network.nas_delete")
    assert entry.before["nasname"] == "10.0.0.1"
    assert "Old-Secret-1" not in json.dumps([entry.before, entry.after])
    assert adm.post(reverse("network_staff:nas_delete", args=[nas.pk])).status_code == 404


@needs_postgres
@pytest.mark.parametrize("nasname", ["10.0.0.1", "10.0.0.0/24"])
def test_a_nas_with_open_sessions_is_not_deleted(adm, nasname):
    nas = Nas.objects.create(nasname=nasname, shortname="bras-1", secret="Old-Secret-1")
    online(nas="10.0.0.1")
    online(nas="10.0.0.1", open_=False)
    edit = reverse("network_staff:nas_edit", args=[nas.pk])
    page = body(adm.get(edit))
    assert reverse("network_staff:nas_delete", args=[nas.pk]) not in page
    assert "открыта 1 сессия" in page
    response = adm.post(reverse("network_staff:nas_delete", args=[nas.pk]), follow=True)
    assert response.redirect_chain[-1][0] == edit
    assert "нельзя удалить" in body(response)
    assert Nas.objects.filter(pk=nas.pk).exists()
    assert not AuditEntry.objects.filter(action="network.nas_delete").exists()
    listed = adm.get(NAS_LIST).context["rows"]
    assert [row.sessions for row in listed] == [1]


# --- The restricted group ------------------------------------------------------------------------


def test_an_admin_changes_the_restricted_access_audited(adm, admin_user):
    group_defaults_ensure()
    speed = GroupAttribute.objects.get(group="restricted", attribute="Mikrotik-Rate-Limit")
    address_list = GroupAttribute.objects.get(attribute="Mikrotik-Address-List")
    page = body(adm.get(NAS_LIST))
    assert 'value="1024k/1024k"' in page and 'value="abonent-blocked"' in page
    response = adm.post(
        reverse("network_staff:restricted"),
        {f"attr-{speed.pk}": " 512k/512k ", f"attr-{address_list.pk}": "abonent-blocked"},
    )
    assert response.status_code == 302
    speed.refresh_from_db()
    assert speed.value == "512k/512k"
    [entry] = AuditEntry.objects.filter(action="network.group_attribute_update")
    assert (entry.actor, entry.before, entry.after) == (
        admin_user,
        {"value": "1024k/1024k"},
        {"value": "512k/512k"},
    )


def test_an_empty_restricted_value_is_refused_and_nothing_changes(adm):
    group_defaults_ensure()
    speed = GroupAttribute.objects.get(group="restricted", attribute="Mikrotik-Rate-Limit")
    address_list = GroupAttribute.objects.get(attribute="Mikrotik-Address-List")
    response = adm.post(
        reverse("network_staff:restricted"),
        {f"attr-{speed.pk}": "256k/256k", f"attr-{address_list.pk}": "   "},
    )
    assert response.status_code == 422
    errors = response.context["group_form"].errors
    assert any("Заполните" in e for e in errors[f"attr-{address_list.pk}"]), errors
    assert 'value="256k/256k"' in body(response)
    speed.refresh_from_db()
    assert speed.value == "1024k/1024k"
    assert not AuditEntry.objects.filter(action="network.group_attribute_update").exists()
