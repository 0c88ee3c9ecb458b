"""Factories for staff users with roles."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

STAFF_PASSWORD = "Staff-pass-2026"


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff user; ``roles=["manager"]`` puts them into the role groups."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Мария"
    last_name = "Иванова"
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", STAFF_PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.save()
        for role in extracted or []:
            self.groups.add(Group.objects.get_or_create(name=role)[0])


def make_staff(username: str, *roles: str, **kwargs: Any) -> Any:
    """A staff member holding ``roles`` (password ``STAFF_PASSWORD``)."""
    return StaffFactory(username=username, roles=list(roles), **kwargs)
