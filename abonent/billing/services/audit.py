"""``abonent audit``: the checks that the money is right, as set-based queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection


@dataclass
class AuditReport:
    """What the audit found; ``ok`` when nothing."""

    accounts: int = 0
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


CHECKS: list[tuple[str, str]] = [
    (
        "balance differs from the sum of the ledger",
        """
        SELECT a.contract, a.balance_kop, COALESCE(s.total, 0)
        FROM accounts_account a
        LEFT JOIN (SELECT account_id, SUM(amount_kop) AS total FROM billing_ledgerentry
                   GROUP BY account_id) s ON s.account_id = a.id
        WHERE a.balance_kop <> COALESCE(s.total, 0)
        """,
    ),
    (
        "a charge key appears twice",
        """
        SELECT account_id, item, period_start, COUNT(*) FROM billing_ledgerentry
        WHERE item IS NOT NULL
        GROUP BY account_id, item, period_start HAVING COUNT(*) > 1
        """,
    ),
    (
        "two charges of one item cover the same day",
        """
        SELECT a.account_id, a.item, a.period_start, b.period_start
        FROM billing_ledgerentry a JOIN billing_ledgerentry b
          ON a.account_id = b.account_id AND a.item = b.item AND a.id < b.id
         AND a.period_start <= b.period_end AND b.period_start <= a.period_end
        WHERE a.item IS NOT NULL
        """,
    ),
    (
        "an active account is below its credit limit",
        """
        SELECT contract, balance_kop, credit_limit_kop FROM accounts_account
        WHERE status = 'active' AND balance_kop + credit_limit_kop < 0
        """,
    ),
    (
        "the ledger's running balance is broken",
        """
        SELECT account_id, id FROM (
            SELECT account_id, id, balance_after_kop,
                   SUM(amount_kop) OVER (PARTITION BY account_id ORDER BY id
                                         ROWS UNBOUNDED PRECEDING) AS running
            FROM billing_ledgerentry) t
        WHERE balance_after_kop <> running
        """,
    ),
]


def ledger_audit(*, limit: int = 20, running_balance: bool = True) -> AuditReport:
    """Run every check; each problem is one line naming the check and an example row."""
    report = AuditReport()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM accounts_account")
        report.accounts = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM billing_ledgerentry")
        report.entries = cursor.fetchone()[0]
        for title, sql in CHECKS:
            if not running_balance and "running balance" in title:
                continue
            cursor.execute(sql)
            rows = cursor.fetchmany(limit)
            for row in rows:
                report.problems.append(f"{title}: {', '.join(str(v) for v in row)}")
    return report
