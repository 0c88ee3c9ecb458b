"""The back office's speed attributes per NAS type (admins: the rows of each type with an example,
add, change, delete, restore the defaults, each audited) and the log of Disconnect/CoA requests
sent to NASes (support and admins: counts, filters, search, pages, a bounded number of queries,
the last requests on the account page). Both tables exist on SQLite too."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from abonent.accounts.tests.factories import AccountFactory
from abonent.core.models import AuditEntry
from abonent.network import services
from abonent.network.models import Nas, ReplyTemplate, SessionChange
from abonent.network.selectors_coa import change_error_text, policy_text
from abonent.network.services import (
    REPLY_TEMPLATE_DEFAULTS,
    credential_create,
    reply_templates_ensure,
)
from abonent.network.services_nas import reply_templates_restore
from abonent.staff.tests.factories import make_staff

pytestmark = pytest.mark.django_db

SPEED = reverse("network_staff:speed")
SPEED_NEW = reverse("network_staff:speed_new")
RESTORE = reverse("network_staff:speed_restore")
CHANGES = reverse("network_staff:changes")
_ids = itertools.count(1)


def signed_in(client, *roles: str):  # type: ignore[no-untyped-def]
    client.force_login(make_staff("-".join(roles) or "nobody", *roles))
    return client


def body(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


@pytest.fixture(autouse=True)
def defaults():  # type: ignore[no-untyped-def]
    """The seeded speed attributes (a flushed database of a transactional test has none)."""
    reply_templates_ensure()


@pytest.fixture
def known_names(monkeypatch):  # type: ignore[no-untyped-def]
    """FreeRADIUS's dictionaries as far as these tests need them, installed or not."""
    names = {a.lower() for _t, a, _op, _v in REPLY_TEMPLATE_DEFAULTS} | {"erx-service-activate"}
    monkeypatch.setattr(services, "radius_attribute_names", lambda: frozenset(names))


@pytest.fixture
def adm(client, admin_user):  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    return client


def change(  # type: ignore[no-untyped-def]
    *,
    account=None,
    login: str = "",
    nas: Nas | None = None,
    nas_ip: str = "10.0.0.1",
    state: str = "acked",
    kind: str = "disconnect",
    reason: str = "blocked",
    target: str = "abonent:restricted",
    error: str = "",
    attempts: int = 1,
    minutes_ago: int = 5,
    next_in: int | None = None,
    actor=None,
    framed_ip: str | None = "100.64.0.10",
) -> SessionChange:
    n = next(_ids)
    created = timezone.now() - dt.timedelta(minutes=minutes_ago)
    row = SessionChange.objects.create(
        radacct_id=n,
        account=account,
        nas=nas,
        username=login or (account.network_credential.login if account else f"ghost-{n}"),
        acct_session_id=f"s{n}",
        nas_ip=nas_ip,
        framed_ip=framed_ip,
        kind=kind,
        reason=reason,
        granted_class="abonent:full:50000/100000",
        target_class=target,
        state=state,
        attempts=attempts,
        next_attempt_at=None if next_in is None else timezone.now() + dt.timedelta(seconds=next_in),
        last_error=error,
        actor=actor,
        finished_at=None if state == "pending" else created,
    )
    SessionChange.objects.filter(pk=row.pk).update(created_at=created)
    row.refresh_from_db()
    return row


def subscriber():  # type: ignore[no-untyped-def]
    account = AccountFactory()
    credential_create(account=account)
    return account


# --- Who may open what --------------------------------------------------------------------------


def urls() -> dict[str, tuple[str, str, set[str]]]:
    template = ReplyTemplate.objects.order_by("id").first()
    assert template is not None
    admins = {"admin"}
    return {
        "changes": (CHANGES, "get", {"support", "admin"}),
        "speed": (SPEED, "get", admins),
        "speed_new": (SPEED_NEW, "get", admins),
        "speed_edit": (reverse("network_staff:speed_edit", args=[template.pk]), "get", admins),
        "speed_delete": (
            reverse("network_staff:speed_delete", args=[template.pk]),
            "post",
            admins,
        ),
        "speed_restore": (RESTORE, "post", admins),
    }


@pytest.mark.parametrize("role", ["manager", "cashier", "support", "admin"])
def test_roles(client, role):
    c = signed_in(client, role)
    for name, (url, method, allowed) in urls().items():
        response = getattr(c, method)(url)
        if role in allowed:
            assert response.status_code in (200, 302), (name, response.status_code)
        else:
            assert response.status_code == 403, name
            assert "staff/403.html" in [t.name for t in response.templates]


def test_anonymous_goes_to_the_login_page(client):
    for url, method, _allowed in urls().values():
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login") + "?next=")


def test_support_has_the_log_tab_but_not_the_speed_tab(client):
    html = body(signed_in(client, "support").get(CHANGES))
    assert f'href="{CHANGES}"' in html and f'href="{SPEED}"' not in html
    admin_html = body(signed_in(client, "admin").get(CHANGES))
    assert f'href="{SPEED}"' in admin_html


@pytest.mark.parametrize(("role", "shown"), [("support", True), ("manager", False)])
def test_the_home_page_links_the_log(client, role, shown):
    html = body(signed_in(client, role).get(reverse("staff:home")))
    assert ('data-testid="home-network-changes"' in html) is shown


# --- Speed attributes ---------------------------------------------------------------------------


def test_every_type_is_listed_with_the_example_of_a_100_50_tariff(adm):
    Nas.objects.create(nasname="10.0.0.1", shortname="bras-1", type="mikrotik", secret="s3cret-s3")
    Nas.objects.create(nasname="10.0.0.2", shortname="bras-2", type="mikrotik", secret="s3cret-s3")
    response = adm.get(SPEED)
    html = body(response)
    assert [t.nas_type for t in response.context["types"]] == [
        "mikrotik",
        "juniper",
        "cisco",
        "accel-ppp",
        "other",
    ]
    assert all(t.is_default for t in response.context["types"])
    example = html[html.index('data-testid="example-mikrotik"') :]
    assert 'Mikrotik-Rate-Limit := "50000k/100000k"' in example.split("</pre>")[0]
    cisco = html[html.index('data-testid="example-cisco"') :].split("</pre>")[0]
    assert "rate-limit output 100000000 12500000 12500000" in cisco
    assert "rate-limit input 50000000 6250000 6250000" in cisco
    accel = html[html.index('data-testid="example-accel-ppp"') :].split("</pre>")[0]
    assert 'Filter-Id := "100000/50000"' in accel
    assert "bras-1, bras-2" in html
    assert "100 Мбит/с" in html
    # The truth about reloading: radreply is a view read at every request.
    assert 'data-testid="speed-note"' in html and "Перезапуск не нужен" in html


def test_an_admin_adds_an_attribute_audited(adm, admin_user, known_names):
    response = adm.post(
        SPEED_NEW,
        {
            "nas_type": "juniper",
            "attribute": " ERX-Service-Activate:1 ",
            "op": "+=",
            "value": "svc-{down}k",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == SPEED + "#type-juniper"
    added = ReplyTemplate.objects.get(attribute="ERX-Service-Activate:1")
    assert (added.nas_type, added.op, added.value) == ("juniper", "+=", "svc-{down}k")
    entry = AuditEntry.objects.get(action="network.reply_template_save")
    assert entry.actor == admin_user and entry.after["value"] == "svc-{down}k"
    html = body(response)
    assert "alert-success" in html and "svc-100000k" in html
    juniper = response.context["types"][1]
    assert juniper.nas_type == "juniper" and not juniper.is_default


def test_the_form_opens_on_the_type_asked_for_and_shows_an_example(adm):
    html = body(adm.get(SPEED_NEW, {"type": "cisco"}))
    assert '<option value="cisco" selected>' in html
    template = ReplyTemplate.objects.get(nas_type="mikrotik")
    html = body(adm.get(reverse("network_staff:speed_edit", args=[template.pk])))
    assert 'value="{up}k/{down}k"' in html
    example = html[html.index('data-testid="speed-example"') :].split("</pre>")[0]
    assert 'Mikrotik-Rate-Limit := "50000k/100000k"' in example


def test_an_admin_changes_an_attribute_audited(adm, known_names):
    template = ReplyTemplate.objects.get(nas_type="mikrotik")
    url = reverse("network_staff:speed_edit", args=[template.pk])
    response = adm.post(
        url,
        {
            "nas_type": "mikrotik",
            "attribute": "Mikrotik-Rate-Limit",
            "op": ":=",
            "value": "{up}k/{down}k 0/0 0/0 0/0 8 {up}k/{down}k",
        },
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.value.startswith("{up}k/{down}k 0/0")
    entry = AuditEntry.objects.get(action="network.reply_template_save")
    assert entry.before["value"] == "{up}k/{down}k"
    assert entry.after["value"] == template.value
    assert adm.get(reverse("network_staff:speed_edit", args=[999_999])).status_code == 404


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"attribute": "Mikrotik-Rate-Limt"}, "attribute", "не знает атрибута Mikrotik-Rate-Limt"),
        ({"value": "{upload}k/{down}k"}, "value", "Неизвестная подстановка {upload}"),
        ({"attribute": "   "}, "attribute", "Заполните"),
        ({"value": ""}, "value", "Заполните"),
        ({"nas_type": "huawei"}, "nas_type", "Выберите"),
        ({"op": "-="}, "op", "Выберите"),
    ],
)
def test_mistakes_are_translated_and_keep_the_input(adm, known_names, typed, field, message):
    before = list(ReplyTemplate.objects.values_list("id", "attribute", "op", "value"))
    data = {"nas_type": "mikrotik", "attribute": "Mikrotik-Rate-Limit", "op": ":=", "value": "x"}
    data.update(typed)
    response = adm.post(SPEED_NEW, data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    html = body(response)
    for name in ("attribute", "value"):
        if data[name].strip():
            assert f'value="{data[name].strip()}"' in html or f'value="{data[name]}"' in html
    assert list(ReplyTemplate.objects.values_list("id", "attribute", "op", "value")) == before
    assert not AuditEntry.objects.filter(action="network.reply_template_save").exists()


def test_every_mistake_is_shown_at_once(adm, known_names):
    data = {
        "nas_type": "juniper",
        "attribute": "ERX-Egress-Policy-Nam",
        "op": ":=",
        "value": "{download}",
    }
    response = adm.post(SPEED_NEW, data)
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"attribute", "value"}


def test_a_mistake_on_a_change_keeps_the_row_as_it_was(adm, known_names):
    template = ReplyTemplate.objects.get(nas_type="mikrotik")
    url = reverse("network_staff:speed_edit", args=[template.pk])
    data = {"nas_type": "mikrotik", "attribute": "Nonsense-Attr", "op": ":=", "value": "{up}k"}
    response = adm.post(url, data)
    assert response.status_code == 422
    assert 'value="Nonsense-Attr"' in body(response)
    template.refresh_from_db()
    assert template.attribute == "Mikrotik-Rate-Limit"


def test_an_admin_deletes_an_attribute_audited_and_is_told_when_none_is_left(adm):
    first, second = ReplyTemplate.objects.filter(nas_type="cisco").order_by("id")
    response = adm.post(reverse("network_staff:speed_delete", args=[first.pk]), follow=True)
    assert response.redirect_chain[-1][0] == SPEED + "#type-cisco"
    assert "alert-warning" not in body(response)
    response = adm.post(reverse("network_staff:speed_delete", args=[second.pk]), follow=True)
    html = body(response)
    assert "alert-warning" in html and "без ограничения скорости" in html
    assert 'data-testid="speed-empty-cisco"' in html
    entries = AuditEntry.objects.filter(action="network.reply_template_delete")
    assert {e.object_id for e in entries} == {str(first.pk), str(second.pk)}
    assert adm.post(reverse("network_staff:speed_delete", args=[first.pk])).status_code == 404


def test_restore_puts_back_the_defaults_of_one_type_audited(adm, admin_user, known_names):
    mikrotik = ReplyTemplate.objects.get(nas_type="mikrotik")
    adm.post(
        reverse("network_staff:speed_edit", args=[mikrotik.pk]),
        {"nas_type": "mikrotik", "attribute": "Mikrotik-Rate-Limit", "op": ":=", "value": "1k/1k"},
    )
    adm.post(
        SPEED_NEW,
        {"nas_type": "mikrotik", "attribute": "Filter-Id", "op": ":=", "value": "{down}"},
    )
    others = list(ReplyTemplate.objects.exclude(nas_type="mikrotik").values_list("id", flat=True))
    assert not adm.get(SPEED).context["types"][0].is_default

    response = adm.post(RESTORE, {"nas_type": "mikrotik"}, follow=True)
    assert response.redirect_chain[-1][0] == SPEED + "#type-mikrotik"
    assert "alert-success" in body(response)
    rows = list(
        ReplyTemplate.objects.filter(nas_type="mikrotik").values_list("attribute", "op", "value")
    )
    assert rows == [("Mikrotik-Rate-Limit", ":=", "{up}k/{down}k")]
    assert sorted(
        ReplyTemplate.objects.exclude(nas_type="mikrotik").values_list("id", flat=True)
    ) == sorted(others)
    entry = AuditEntry.objects.get(action="network.reply_templates_restore")
    assert entry.actor == admin_user
    assert entry.before["rows"] == [
        ["Mikrotik-Rate-Limit", ":=", "1k/1k"],
        ["Filter-Id", ":=", "{down}"],
    ]
    assert entry.after["rows"] == [["Mikrotik-Rate-Limit", ":=", "{up}k/{down}k"]]

    again = adm.post(RESTORE, {"nas_type": "mikrotik"}, follow=True)
    assert "alert-info" in body(again)
    assert AuditEntry.objects.filter(action="network.reply_templates_restore").count() == 1
    assert "alert-error" in body(adm.post(RESTORE, {"nas_type": "huawei"}, follow=True))


def test_restore_fills_a_type_left_empty():
    ReplyTemplate.objects.filter(nas_type="cisco").delete()
    assert reply_templates_restore(actor=None, nas_type="cisco") == 2
    assert ReplyTemplate.objects.filter(nas_type="cisco").count() == 2
    assert reply_templates_restore(actor=None, nas_type="cisco") == 0


def test_the_speed_list_takes_a_fixed_number_of_queries(adm):
    adm.get(SPEED)
    with CaptureQueriesContext(connection) as few:
        adm.get(SPEED)
    for n in range(20):
        ReplyTemplate.objects.create(nas_type="other", attribute="Filter-Id", value=f"x{n}")
        Nas.objects.create(nasname=f"10.1.0.{n}", shortname=f"n{n}", secret="s3cret-s3")
    with CaptureQueriesContext(connection) as many:
        adm.get(SPEED)
    # session, user, roles, the templates, the NASes
    assert len(few) == len(many) == 5, [q["sql"] for q in many.captured_queries]


# --- The log of requests to NASes ---------------------------------------------------------------


def test_the_log_shows_each_request_in_words(client, support_user):
    nas = Nas.objects.create(nasname="10.0.0.1", shortname="bras-1", secret="s3cret-s3")
    account = subscriber()
    change(
        account=account,
        nas=nas,
        state="naked",
        kind="coa",
        reason="speed",
        target="abonent:full:20000/50000:10.1.0.9",
        error="CoA-NAK: Session-Context-Not-Found",
    )
    change(
        login="ghost", nas_ip="10.0.0.77", state="failed", error="no NAS 10.0.0.77 in the nas table"
    )
    change(
        account=account,
        nas=nas,
        state="pending",
        reason="staff",
        target="",
        error="no answer from 10.0.0.1:3799",
        next_in=30,
        actor=support_user,
    )
    client.force_login(support_user)
    response = client.get(CHANGES)
    html = body(response)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 3
    assert reverse("staff:account", args=[account.pk]) in html
    assert "bras-1" in html
    assert "Смена скорости (CoA)" in html and "Изменилась скорость" in html
    assert "полный доступ, 50 Мбит/с к абоненту / 20 Мбит/с от абонента, IP 10.1.0.9" in html
    assert "NAS отказал: у него нет такой сессии" in html
    assert "CoA-NAK: Session-Context-Not-Found" in html  # the raw answer beside the words
    assert "Не зарегистрирован NAS с адресом 10.0.0.77" in html
    assert "не зарегистрирован" in html
    assert "NAS не ответил на 10.0.0.1:3799" in html
    assert "Отключено сотрудником" in html and support_user.get_username() in html
    assert timezone.localtime(timezone.now() + dt.timedelta(seconds=30)).strftime("%H:%M") in html


def test_the_counts_show_an_outage(client):
    change(state="pending", next_in=10)
    change(state="pending", next_in=-600)  # nobody has sent it for ten minutes
    change(state="failed", error="no answer from 10.0.0.1:3799", minutes_ago=30)
    change(state="failed", minutes_ago=60 * 30)  # older than a day: not counted
    change(state="naked", error="Disconnect-NAK", minutes_ago=10)
    change(state="acked")
    response = signed_in(client, "support").get(CHANGES)
    counts = response.context["counts"]
    assert (counts.pending, counts.overdue, counts.failed, counts.refused) == (2, 1, 1, 1)
    html = body(response)
    assert 'data-testid="changes-overdue"' in html and "radius-sync" in html
    assert "stat-danger" in html


def test_no_overdue_warning_when_all_is_well(client):
    change(state="pending", next_in=10)
    html = body(signed_in(client, "support").get(CHANGES))
    assert 'data-testid="changes-overdue"' not in html


def test_filters_by_state_and_nas_and_search(client):
    bras1 = Nas.objects.create(nasname="10.0.0.1", shortname="bras-1", secret="s3cret-s3")
    bras2 = Nas.objects.create(nasname="10.0.0.2", shortname="bras-2", secret="s3cret-s3")
    account = subscriber()
    mine = change(account=account, nas=bras2, state="failed", framed_ip="100.64.7.7")
    change(account=subscriber(), nas=bras1, state="failed")
    change(account=subscriber(), nas=bras2, state="acked")
    c = signed_in(client, "support")

    def ids(**params):  # type: ignore[no-untyped-def]
        return [row.change.pk for row in c.get(CHANGES, params).context["rows"]]

    assert len(ids()) == 3
    assert len(ids(state="failed")) == 2
    assert len(ids(nas=bras2.pk)) == 2
    assert ids(state="failed", nas=bras2.pk) == [mine.pk]
    login = account.network_credential.login
    assert ids(q=login) == [mine.pk]
    assert ids(q=account.contract) == [mine.pk]
    assert ids(q=f"{account.contract[:4]} {account.contract[4:]}") == [mine.pk]
    assert ids(q="100.64.7.7") == [mine.pk]
    assert ids(q="nobody") == []
    assert 'data-testid="no-changes"' in body(c.get(CHANGES, {"q": "nobody"}))
    # A value that is not a choice is ignored, the rest still applies.
    assert len(ids(state="bogus", nas=bras2.pk)) == 2
    assert len(ids(nas="x")) == 3
    assert f'value="{login}"' in body(c.get(CHANGES, {"q": login}))


def test_pages_of_fifty(client):
    for _ in range(51):
        change()
    c = signed_in(client, "support")
    first = c.get(CHANGES, {"state": "acked"})
    assert len(first.context["rows"]) == 50
    assert 'href="?state=acked&amp;page=2"' in body(first)
    assert len(c.get(CHANGES, {"state": "acked", "page": 2}).context["rows"]) == 1


def test_the_query_count_does_not_grow_with_the_log(client):
    nas = Nas.objects.create(nasname="10.0.0.1", shortname="bras-1", secret="s3cret-s3")
    c = signed_in(client, "admin")
    c.get(CHANGES)  # warm the session
    actor = make_staff("someone", "support")
    accounts = [subscriber() for _ in range(3)]
    for account in accounts:
        change(account=account, nas=nas, actor=actor)
    with CaptureQueriesContext(connection) as few:
        assert len(c.get(CHANGES).context["rows"]) == 3
    for n in range(40):
        change(
            account=subscriber(),
            nas=Nas.objects.create(nasname=f"10.2.0.{n}", shortname=f"n{n}", secret="s3cret-s3"),
            actor=actor,
            state="pending",
            next_in=5,
        )
    with CaptureQueriesContext(connection) as many:
        response = c.get(CHANGES)
    assert len(response.context["rows"]) == 43
    # session, user, roles, NAS choices, the counts, page count, page rows (joined)
    assert len(few) == len(many) == 7, [q["sql"] for q in many.captured_queries]
    with CaptureQueriesContext(connection) as filtered:
        c.get(CHANGES, {"state": "pending", "nas": nas.pk, "q": "100.64.0.10"})
    assert len(filtered) == 7
    with CaptureQueriesContext(connection) as by_contract:  # + the contract's account
        found = c.get(CHANGES, {"q": accounts[0].contract})
    assert len(found.context["rows"]) == 1
    assert len(by_contract) == 8


def test_the_account_page_shows_its_last_five_requests(client):
    account = subscriber()
    for n in range(7):
        change(account=account, state="acked", minutes_ago=100 - n)
    change(account=account, state="failed", error="no answer from 10.0.0.1:3799", minutes_ago=1)
    change(account=subscriber(), state="naked", error="Disconnect-NAK")
    response = signed_in(client, "support").get(reverse("staff:account", args=[account.pk]))
    rows = response.context["network"].changes
    assert len(rows) == 5
    assert rows[0].change.state == "failed"
    html = body(response)
    block = html[html.index('data-testid="account-changes"') :]
    assert block.count("<li") == 5
    assert "NAS не ответил" in block
    assert f"{CHANGES}?q={account.contract}" in html


def test_an_account_without_requests_has_no_such_list(client):
    account = subscriber()
    html = body(signed_in(client, "cashier").get(reverse("staff:account", args=[account.pk])))
    assert 'data-testid="account-changes"' not in html


# --- In words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", ""),
        ("Disconnect-NAK", "NAS отказал, не сказав почему."),
        (
            "CoA-NAK: Unsupported-Attribute",
            "NAS отказал: в запросе атрибут, который NAS не поддерживает.",
        ),
        ("Disconnect-NAK: Weird-Cause", "NAS отказал: Weird-Cause."),
        ("no answer from 10.0.0.1:3799", "NAS не ответил на 10.0.0.1:3799"),
        ("no speed attributes for NAS type cisco", "У типа NAS Cisco нет атрибутов скорости"),
        ("no speed to set", "У тарифа нет скорости"),
        ("radclient not found: install freeradius-utils.", "radclient не установлен"),
        ("something new", "something new"),
    ],
)
def test_errors_in_words(raw, words):
    assert words in change_error_text(raw)


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        ("", ""),
        ("abonent:restricted", "ограниченный"),
        ("abonent:reject", "нет доступа"),
        ("abonent:full:-", "без ограничения скорости"),
        ("abonent:full:1024/2048", "2048 кбит/с к абоненту / 1024 кбит/с от абонента"),
        ("foreign", "foreign"),
    ],
)
def test_policies_in_words(policy, words):
    assert words in policy_text(policy)
