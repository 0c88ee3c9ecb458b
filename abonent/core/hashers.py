"""A cheap Argon2 for the test suite only (same algorithm, tiny cost); production uses Django's
default Argon2 parameters."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with 1 MiB of memory and one pass: used when ``ABONENT_TESTING`` is on."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
