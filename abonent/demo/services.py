"""Fill a database with the demo provider: catalogue, staff logins, connection requests,
subscribers (``abonent.demo.subscribers``).

Every step is an upsert keyed by a natural key (slug, username, phone), so running the demo
again gives the same data. ``demo_fill`` runs the steps in one transaction and returns a
``DemoResult``; a later step (subscribers, payments…) adds its own function here, a field to
``DemoResult`` and its key to ``DemoResult.as_json``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from abonent.catalogue.models import Addon, ServiceKind, Tariff
from abonent.core.phone import normalize_phone
from abonent.demo.catalogue_data import ADDONS, SERVICE_KINDS, TARIFFS
from abonent.demo.people_data import (
    DEFAULT_PASSWORD,
    LEADS,
    LEADS_MANAGER,
    PAYMENTS_CASHIER,
    STAFF,
)
from abonent.demo.subscribers import SubscriberLogin, demo_subscribers_ensure
from abonent.leads.models import Lead, LeadSource
from abonent.leads.services import lead_create, lead_transition

# Model defaults restated so that a re-run also undoes edits made to demo rows in between.
_TARIFF_DEFAULTS: dict[str, Any] = {
    "building_type": "any",
    "fee_period": "month",
    "download_kbps": None,
    "upload_kbps": None,
    "channels": None,
    "is_public": True,
    "is_archived": False,
    "needs_approval": False,
    "is_featured": False,
    "position": 100,
}
_ADDON_DEFAULTS: dict[str, Any] = {
    "period": "month",
    "is_public": True,
    "is_archived": False,
    "grants_static_ip": False,
    "position": 100,
}


@dataclass
class StaffLogin:
    """A demo staff user and, when this run set it, the password."""

    username: str
    roles: list[str]
    is_superuser: bool = False
    created: bool = False
    password: str | None = None


@dataclass
class DemoResult:
    """What ``demo_fill`` made (or found already made)."""

    service_kinds: int = 0
    tariffs: int = 0
    addons: int = 0
    staff: list[StaffLogin] = field(default_factory=list)
    leads: int = 0
    leads_created: int = 0
    subscribers: list[SubscriberLogin] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The ``abonent demo --json`` document scripts rely on."""
        return {
            "staff": [{"username": s.username, "roles": list(s.roles)} for s in self.staff],
            "subscribers": [
                {"contract": s.contract, "status": s.status, "tariff": s.tariff}
                for s in self.subscribers
            ],
            "tariffs": self.tariffs,
            "addons": self.addons,
        }


def demo_catalogue_load() -> tuple[dict[str, ServiceKind], dict[str, Tariff], dict[str, Addon]]:
    """Upsert the demo service kinds, tariffs and add-ons by slug; returns them by slug."""
    kinds: dict[str, ServiceKind] = {}
    for spec in SERVICE_KINDS:
        data = {"is_public": True, **spec}
        slug = data.pop("slug")
        kinds[slug], _ = ServiceKind.objects.update_or_create(slug=slug, defaults=data)
    tariffs: dict[str, Tariff] = {}
    for spec in TARIFFS:
        data = {**_TARIFF_DEFAULTS, **spec}
        slug = data.pop("slug")
        data["kind"] = kinds[data["kind"]]
        tariffs[slug], _ = Tariff.objects.update_or_create(slug=slug, defaults=data)
    addons: dict[str, Addon] = {}
    for spec in ADDONS:
        data = {**_ADDON_DEFAULTS, **spec}
        slug = data.pop("slug")
        data["kind"] = kinds[data["kind"]] if data["kind"] else None
        addons[slug], _ = Addon.objects.update_or_create(slug=slug, defaults=data)
    return kinds, tariffs, addons


def demo_staff_ensure(*, password: str | None) -> list[StaffLogin]:
    """One staff login per role, holding exactly its demo roles.

    ``password`` is set on every demo user; without it a new user gets ``DEFAULT_PASSWORD``
    and an existing one keeps the password it has (``StaffLogin.password`` is then ``None``).
    """
    user_model = get_user_model()
    logins: list[StaffLogin] = []
    for spec in STAFF:
        user, created = user_model.objects.get_or_create(username=spec["username"])
        user.first_name = spec["first_name"]
        user.last_name = spec["last_name"]
        user.email = f"{spec['username']}@demo.abonent.local"
        user.is_staff = True
        user.is_active = True
        user.is_superuser = bool(spec.get("is_superuser", False))
        new_password = password
        if new_password is None and (created or not user.has_usable_password()):
            new_password = DEFAULT_PASSWORD
        if new_password is not None:
            user.set_password(new_password)
        user.save()
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in spec["roles"]])
        logins.append(
            StaffLogin(
                username=user.get_username(),
                roles=list(spec["roles"]),
                is_superuser=user.is_superuser,
                created=created,
                password=new_password,
            )
        )
    return logins


def _local_time(*, days: int, hour: int) -> dt.datetime:
    """Today ± ``days`` at ``hour``:00 in the provider's time zone."""
    base = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + dt.timedelta(days=days)


def demo_leads_ensure(*, tariffs: dict[str, Tariff], manager: Any) -> int:
    """Connection requests in every status, made through the leads services.

    A request is keyed by its phone: one that exists already is left as it is.
    Returns how many were created.
    """
    created = 0
    for spec in LEADS:
        if Lead.objects.filter(phone=normalize_phone(spec["phone"])).exists():
            continue
        lead = lead_create(
            tariff_id=tariffs[spec["tariff"]].pk,
            name=spec["name"],
            phone=spec["phone"],
            address=spec["address"],
            comment=spec["comment"],
            consent=True,
            ip=None,
            language="ru",
            source=LeadSource.SITE,
        )
        for status, note, *extra in spec["steps"]:
            kwargs: dict[str, Any] = {}
            if extra:
                kwargs["scheduled_address"] = extra[0]["address"]
                kwargs["scheduled_at"] = _local_time(days=extra[0]["days"], hour=extra[0]["hour"])
            lead_transition(lead_id=lead.pk, actor=manager, to_status=status, note=note, **kwargs)
        created += 1
    return created


def demo_fill(*, password: str | None = None, now: dt.datetime | None = None) -> DemoResult:
    """Make (or bring back) the whole demo in one transaction; the subscribers' history runs
    up to ``now`` (default: the present; tests pass other moments)."""
    with transaction.atomic():
        kinds, tariffs, addons = demo_catalogue_load()
        staff = demo_staff_ensure(password=password)
        users = get_user_model().objects
        manager = users.get(username=LEADS_MANAGER)
        leads_created = demo_leads_ensure(tariffs=tariffs, manager=manager)
        subscribers = demo_subscribers_ensure(
            tariffs=tariffs,
            manager=manager,
            cashier=users.get(username=PAYMENTS_CASHIER),
            password=password,
            now=now,
        )
    demo_phones = [normalize_phone(spec["phone"]) for spec in LEADS]
    return DemoResult(
        service_kinds=len(kinds),
        tariffs=len(tariffs),
        addons=len(addons),
        staff=staff,
        leads=Lead.objects.filter(phone__in=demo_phones).count(),
        leads_created=leads_created,
        subscribers=subscribers,
    )
