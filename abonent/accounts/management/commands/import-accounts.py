"""``abonent import-accounts``: the dashed name of ``import_accounts`` (the CLI spells it so)."""

from abonent.accounts.management.commands.import_accounts import Command

__all__ = ["Command"]
