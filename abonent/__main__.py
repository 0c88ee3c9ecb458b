"""The ``abonent`` command: Django's management for this project.

``abonent serve``, ``abonent demo``, ``abonent migrate``… Errors in our own commands end with
exit status 1 and one readable line (``CommandError``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command, as ``django-admin`` would with our settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "abonent.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        args = list(sys.argv[1:] if argv is None else argv)
        if args and not args[0].startswith("-"):
            # `abonent import-accounts` and `abonent radius-config` read better with dashes;
            # Django's command modules are named with underscores.
            args[0] = args[0].replace("-", "_")
        execute_from_command_line(["abonent", *args])
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"abonent: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
