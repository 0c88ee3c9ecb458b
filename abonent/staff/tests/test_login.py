"""Staff sign-in: the form, the lockout per username and per IP, sign-out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from abonent.core.models import RateLimitEvent
from abonent.staff.services import SCOPE_USER
from abonent.staff.tests.factories import STAFF_PASSWORD, StaffFactory

LOGIN = "/staff/login/"


def attempt(client, username: str, password: str, ip: str = "127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_login_page_renders_with_csrf_field(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_right_password_signs_in_and_rotates_session(client, manager):
    client.get(LOGIN)
    session = client.session
    session["marker"] = "before"
    session.save()
    old_key = session.session_key
    response = attempt(client, "manager", STAFF_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:home")
    assert client.session.session_key != old_key
    assert client.session["_auth_user_id"] == str(manager.pk)


@pytest.mark.django_db
def test_wrong_password_is_refused_without_saying_which_part(client, manager):
    response = attempt(client, "manager", "nope")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    unknown = attempt(client, "nobody-here", "nope")
    assert response.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


@pytest.mark.django_db
def test_non_staff_user_cannot_sign_in(client):
    StaffFactory(username="visitor", is_staff=False)
    response = attempt(client, "visitor", STAFF_PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_next_is_followed_only_when_it_is_ours(client, manager):
    response = client.post(
        LOGIN + "?next=/staff/leads/", {"username": "manager", "password": STAFF_PASSWORD}
    )
    assert response["Location"] == "/staff/leads/"
    client.logout()
    response = client.post(
        LOGIN, {"username": "manager", "password": STAFF_PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("staff:home")


@pytest.mark.django_db
def test_ten_failures_lock_the_username_even_for_the_right_password(client, manager, pass_time):
    for _ in range(9):
        assert attempt(client, "manager", "wrong").status_code == 200
    tenth = attempt(client, "manager", "wrong")
    assert tenth.status_code == 429
    locked = attempt(client, "manager", STAFF_PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "15" in locked.content.decode()  # says for how long
    # Case does not dodge the lock; attempts while locked are not counted.
    assert attempt(client, "MANAGER", STAFF_PASSWORD).status_code == 429
    assert RateLimitEvent.objects.filter(scope=SCOPE_USER).count() == 10

    pass_time(14)
    assert attempt(client, "manager", STAFF_PASSWORD).status_code == 429
    pass_time(2)  # 16 minutes after the lock
    response = attempt(client, "manager", STAFF_PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)


@pytest.mark.django_db
def test_lock_of_one_username_does_not_lock_another(client, manager, admin_user):
    for _ in range(10):
        attempt(client, "manager", "wrong")
    assert attempt(client, "manager", STAFF_PASSWORD).status_code == 429
    assert attempt(client, "admin", STAFF_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_thirty_failures_from_one_ip_lock_that_ip(client, manager, pass_time):
    for n in range(29):
        assert attempt(client, f"guess{n}", "wrong", ip="10.0.0.9").status_code == 200
    assert attempt(client, "guess29", "wrong", ip="10.0.0.9").status_code == 429
    assert attempt(client, "manager", STAFF_PASSWORD, ip="10.0.0.9").status_code == 429
    # Another address is not affected.
    assert attempt(client, "manager", STAFF_PASSWORD, ip="10.0.0.10").status_code == 302
    client.logout()
    pass_time(16)
    assert attempt(client, "manager", STAFF_PASSWORD, ip="10.0.0.9").status_code == 302


@pytest.mark.django_db
def test_success_forgives_earlier_typos_of_that_username(client, manager):
    for _ in range(9):
        attempt(client, "manager", "wrong")
    assert attempt(client, "manager", STAFF_PASSWORD).status_code == 302
    client.logout()
    assert attempt(client, "manager", "wrong").status_code == 200  # not locked by the 10th


@pytest.mark.django_db
def test_logout_is_post_only(client, manager):
    client.force_login(manager)
    assert client.get("/staff/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/staff/logout/")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:login")
    assert "_auth_user_id" not in client.session
    assert client.get("/staff/").status_code == 302


@pytest.mark.django_db
def test_signed_in_staff_skip_the_login_page(client, manager):
    client.force_login(manager)
    response = client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:home")
