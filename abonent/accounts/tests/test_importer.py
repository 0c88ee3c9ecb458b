"""``abonent import-accounts``: good, bad, re-run and huge files (accounts.importer)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from abonent.accounts import importer
from abonent.accounts.contract import contract_is_valid
from abonent.accounts.importer import ImportRejected, accounts_import
from abonent.accounts.models import Account, AccountStatus
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.catalogue.tests.factories import TariffFactory
from abonent.core.models import AuditEntry

HEADER = [
    "legacy_contract",
    "holder_name",
    "address",
    "building_type",
    "phone",
    "email",
    "tariff",
    "service_start",
    "balance",
    "status",
    "credit_limit",
]


def csv_bytes(rows: list[list[str]], *, sep: str = ",", header: list[str] | None = None) -> bytes:
    """A CSV file; fields holding the separator or quotes are quoted."""

    def cell(value: str) -> str:
        if sep in value or '"' in value or "\n" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [sep.join(cell(v) for v in (header or HEADER))]
    lines += [sep.join(cell(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def good_row(n: int, tariff: str = "home-100", balance: str = "100.00") -> list[str]:
    return [
        f"L{n:06d}",
        f"Иванов Иван {n}",
        f"ул. Ленина, д. {n}, кв. 1",
        "apartment",
        f"+7 916 {n % 1000:03d}-{n // 1000 % 100:02d}-00",
        "",
        tariff,
        "2019-02-01",
        balance,
        "",
        "",
    ]


@pytest.fixture
def tariff(db):
    return TariffFactory(slug="home-100")


def ledger_sum(account: Account) -> int:
    return LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount_kop"))["s"] or 0


def test_good_file_imports_every_account_with_its_opening_balance(tariff) -> None:
    other = TariffFactory(slug="house-50", is_archived=True)
    data = csv_bytes(
        [
            ["A-1", " Иванов  Иван ", "ул. Ленина, д. 1, кв. 2", "квартира", "8 (916) 123-45-67",
             "ivanov@example.com", "home-100", "01.02.2019", "1234.50", "", ""],
            ["A-2", "Петрова Анна", "пос. Луговой, д. 7", "частный", "9261234567",
             "", str(other.pk), "2020-03-04", "-300,00", "", "500"],
            ["A-3", "Сидоров", "ул. Мира, д. 3", "МКД", "7-903-111-22-33",
             "", "HOME-100", "5.6.2021", "", "suspended", ""],
            ["A-4", "Кузнецов", "ул. Мира, д. 4", "дом", "+7 903 111-22-44",
             "", "home-100", "2021-06-05", "-0,01", "", ""],
        ]
    )  # fmt: skip

    result = accounts_import(data=data, source="old.csv")

    assert (result.created, result.rows, result.ledger_entries) == (4, 4, 3)
    assert result.total_balance_kop == 123_450 - 30_000 - 1
    accounts = {a.legacy_contract: a for a in Account.objects.all()}
    assert set(accounts) == {"A-1", "A-2", "A-3", "A-4"}
    a1, a2, a3, a4 = (accounts[k] for k in ("A-1", "A-2", "A-3", "A-4"))
    assert (a1.holder_name, a1.building_type, a1.phone, a1.email) == (
        "Иванов Иван",
        "apartment",
        "+79161234567",
        "ivanov@example.com",
    )
    assert (a1.tariff, a1.service_start.isoformat(), a1.status) == (tariff, "2019-02-01", "active")
    assert (a2.building_type, a2.tariff, a2.credit_limit_kop) == ("house", other, 50_000)
    assert a2.status == AccountStatus.ACTIVE  # -300 ₽ within a 500 ₽ credit limit
    assert (a3.building_type, a3.status, a3.service_start.isoformat()) == (
        "apartment",
        "suspended",
        "2021-06-05",
    )
    assert a4.status == AccountStatus.BLOCKED  # below zero, no credit
    assert [a.balance_kop for a in (a1, a2, a3, a4)] == [123_450, -30_000, 0, -1]
    contracts = [a.contract for a in accounts.values()]
    assert all(contract_is_valid(c) for c in contracts)
    assert len(set(contracts)) == 4
    assert sorted(contracts) == sorted(result.contracts)
    for account in accounts.values():
        assert account.balance_kop == ledger_sum(account)
        assert account.password == "!"
        assert not account.has_usable_password
        assert account.must_change_password
    entry = LedgerEntry.objects.get(account=a1)
    assert (entry.kind, entry.amount_kop, entry.balance_after_kop, entry.key, entry.reason) == (
        EntryKind.CORRECTION,
        123_450,
        123_450,
        "import:A-1",
        "Opening balance (import)",
    )
    assert not LedgerEntry.objects.filter(account=a3).exists()  # zero balances get no entry
    audit = AuditEntry.objects.get(action="accounts.import")
    assert audit.after["accounts"] == 4
    assert audit.after["total_balance_kop"] == result.total_balance_kop
    assert audit.after["source"] == "old.csv"
    assert audit.actor is None


def test_semicolons_bom_crlf_and_quotes_as_excel_writes_them(tariff) -> None:
    row = good_row(1, balance="1 000,50")
    row[2] = 'ул. Мира; д. 5, кв. "7"'
    data = "\ufeff".encode() + csv_bytes([row, [""] * len(HEADER)], sep=";")

    result = accounts_import(data=data)

    assert (result.created, result.delimiter) == (1, ";")
    account = Account.objects.get()
    assert account.address == 'ул. Мира; д. 5, кв. "7"'
    assert account.balance_kop == 100_050


def test_cp1251_with_the_encoding_option(tariff) -> None:
    data = csv_bytes([good_row(1)], sep=";").decode().encode("cp1251")

    with pytest.raises(ImportRejected) as caught:
        accounts_import(data=data)
    assert "cp1251" in str(caught.value.errors[0])
    assert accounts_import(data=data, encoding="cp1251").created == 1
    assert Account.objects.get().holder_name == "Иванов Иван 1"


def test_a_bad_file_imports_nothing_and_names_every_bad_line(tariff) -> None:
    rows = [good_row(n) for n in range(1, 10)]
    rows[1][4] = "12-34"  # line 3: bad phone
    rows[2][6] = "no-such-tariff"  # line 4
    rows[3][7] = "31.02.2020"  # line 5: no such date
    rows[4][8] = "12.345"  # line 6: three decimals
    rows[5][0] = rows[0][0]  # line 7: repeats line 2
    rows[6][1] = "  "  # line 8: no holder
    rows[7][3] = "villa"  # line 9
    rows[8][7] = "2019/02/01"  # line 10
    rows[8][9] = "asleep"  # line 10 too: every reason of a line is given

    with pytest.raises(ImportRejected) as caught:
        accounts_import(data=csv_bytes(rows))

    errors = {e.line: str(e) for e in caught.value.errors}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "phone '12-34'" in errors[3]
    assert "tariff 'no-such-tariff'" in errors[4]
    assert "service_start '31.02.2020': no such date" in errors[5]
    assert "balance '12.345'" in errors[6]
    assert "repeats line 2" in errors[7]
    assert "holder_name: required" in errors[8]
    assert "building_type 'villa'" in errors[9]
    assert "service_start '2019/02/01'" in errors[10] and "status 'asleep'" in errors[10]
    assert errors[3].startswith("line 3 (L000002): ")
    assert str(caught.value) == "8 bad rows of 9; nothing was imported"
    assert not Account.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("email", "not-an-email", "not an e-mail address"),
        ("credit_limit", "-5", "must not be negative"),
        ("balance", "9161234567", "column mix-up"),
        ("service_start", "2999-01-01", "in the future"),
        ("legacy_contract", "x" * 33, "longer than 32"),
        ("address", "", "address: required"),
    ],
)
def test_each_rule(tariff, column: str, value: str, reason: str) -> None:
    row = good_row(1)
    row[HEADER.index(column)] = value
    with pytest.raises(ImportRejected) as caught:
        accounts_import(data=csv_bytes([row]))
    assert reason in str(caught.value.errors[0])


def test_rows_of_the_wrong_width_and_values_in_unnamed_columns(tariff) -> None:
    data = csv_bytes(
        [good_row(1)[:-1], good_row(2) + ["", "extra"], good_row(3) + [""]],
        header=[*HEADER, ""],
    )
    with pytest.raises(ImportRejected) as caught:
        accounts_import(data=data)
    errors = {e.line: e.message for e in caught.value.errors}
    assert errors == {
        2: "10 fields, the header has 12",
        3: "13 fields, the header has 12",
    }
    fine = csv_bytes([good_row(3) + [""], good_row(4) + ["x"]], header=[*HEADER, ""])
    with pytest.raises(ImportRejected) as caught:
        accounts_import(data=fine)
    assert [(e.line, e.message) for e in caught.value.errors] == [
        (3, "a value in a column without a name")
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([*HEADER, "tarif_plan"], "unknown columns: tarif_plan"),
        ([h for h in HEADER if h not in ("phone", "tariff")], "missing columns: phone, tariff"),
        ([*HEADER, "Phone"], "repeated columns: phone"),
    ],
)
def test_header_errors_name_the_columns(tariff, header: list[str], message: str) -> None:
    with pytest.raises(ImportRejected) as caught:
        accounts_import(data=csv_bytes([], header=header))
    assert message in str(caught.value)
    assert caught.value.errors[0].line == 1


def test_optional_columns_may_be_left_out_and_names_are_case_blind(tariff) -> None:
    header = [h.upper() for h in importer.REQUIRED_COLUMNS]
    row = good_row(1)
    data = csv_bytes([[row[HEADER.index(h.lower())] for h in header]], header=header)
    assert accounts_import(data=data).created == 1
    account = Account.objects.get()
    assert (account.balance_kop, account.status, account.email) == (0, "active", "")


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf\r\n", csv_bytes([]), csv_bytes([[""] * 11])])
def test_an_empty_file_is_refused(tariff, data: bytes) -> None:
    with pytest.raises(ImportRejected):
        accounts_import(data=data)


def test_running_the_same_file_again_imports_nothing_twice(tariff) -> None:
    data = csv_bytes([good_row(1), good_row(2, balance="0")])
    accounts_import(data=data)

    with pytest.raises(ImportRejected) as caught:
        accounts_import(data=data)

    assert [e.line for e in caught.value.errors] == [2, 3]
    assert all("already imported (account " in e.message for e in caught.value.errors)
    assert Account.objects.count() == 2
    assert LedgerEntry.objects.count() == 1
    assert AuditEntry.objects.filter(action="accounts.import").count() == 1


def test_an_opening_entry_alone_also_marks_a_number_as_imported(tariff) -> None:
    accounts_import(data=csv_bytes([good_row(1)]))
    Account.objects.update(legacy_contract="")  # staff cleared it; the ledger remembers
    with pytest.raises(ImportRejected) as caught:
        accounts_import(data=csv_bytes([good_row(1)]))
    assert "already imported (ledger entry import:L000001)" in str(caught.value.errors[0])


def test_dry_run_writes_nothing(tariff) -> None:
    result = accounts_import(data=csv_bytes([good_row(1), good_row(2)]), dry_run=True)
    assert (result.dry_run, result.rows, result.created, result.ledger_entries) == (
        True,
        2,
        0,
        2,
    )
    assert not Account.objects.exists()


def test_new_contract_numbers_avoid_the_database_and_each_other(tariff, monkeypatch) -> None:
    from abonent.accounts.tests.factories import AccountFactory

    AccountFactory(contract="10000007", tariff=tariff)
    drawn = iter(["10000007", "10000014", "10000014", "10000021", "10000038"])
    monkeypatch.setattr(importer, "contract_generate", lambda: next(drawn))

    result = accounts_import(data=csv_bytes([good_row(1), good_row(2), good_row(3)]))

    assert sorted(result.contracts) == ["10000014", "10000021", "10000038"]


def test_command_prints_what_it_made(tariff, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_bytes(csv_bytes([good_row(1, balance="1000"), good_row(2, balance="-0.5")]))
    out = StringIO()

    call_command("import_accounts", str(path), stdout=out)

    assert "imported 2 accounts; opening balances ₽999.50 in total (2 ledger entries)" in (
        out.getvalue()
    )
    assert Account.objects.count() == 2


def test_command_refuses_a_bad_file_with_one_line(tariff, tmp_path: Path) -> None:
    rows = [good_row(1), good_row(2), good_row(3)]
    rows[0][4] = "123"
    rows[2][8] = "12.345"
    path = tmp_path / "old.csv"
    path.write_bytes(csv_bytes(rows))
    err = StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_accounts", str(path), stderr=err)

    assert str(caught.value) == f"{path}: 2 bad rows of 3; nothing was imported"
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("line 2 (L000001): phone '123'")
    assert lines[1].startswith("line 4 (L000003): balance '12.345'")
    assert not Account.objects.exists()
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_accounts", str(tmp_path / "missing.csv"))


def test_the_abonent_cli_exits_1_on_a_bad_file(tmp_path: Path) -> None:
    """Header errors are found before the database is asked: no tables are needed."""
    path = tmp_path / "old.csv"
    path.write_bytes(csv_bytes([], header=["legacy_contract", "fio"]))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ABONENT_DEMO="1", ABONENT_VAR_DIR=str(tmp_path / "var"))
    script = Path(sys.executable).with_name("abonent")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "abonent"]

    done = subprocess.run(  # noqa: S603 - our own CLI
        [*command, "import-accounts", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"CommandError: {path}: bad header: unknown columns: fio")
    assert "missing columns: holder_name" in last


def test_a_huge_file_imports_quickly(tariff) -> None:
    n = 5000
    rows = [good_row(i, balance=f"{i % 7 - 3}.{i % 100:02d}") for i in range(1, n + 1)]
    data = csv_bytes(rows, sep=";")
    started = time.perf_counter()

    result = accounts_import(data=data)

    assert time.perf_counter() - started < 10
    assert result.created == Account.objects.count() == n
    assert len(set(Account.objects.values_list("contract", flat=True))) == n
    expected = sum(
        (i % 7 - 3) * 100 + (i % 100) * (1 if i % 7 >= 3 else -1) for i in range(1, n + 1)
    )
    assert result.total_balance_kop == expected
    assert Account.objects.aggregate(s=Sum("balance_kop"))["s"] == expected
    assert LedgerEntry.objects.aggregate(s=Sum("amount_kop"))["s"] == expected
    assert LedgerEntry.objects.count() == result.ledger_entries
    mismatched = [a.pk for a in Account.objects.all()[:50] if a.balance_kop != ledger_sum(a)]
    assert not mismatched


def test_a_number_imported_meanwhile_is_caught_by_the_database(tariff, monkeypatch) -> None:
    """Another run committed between our checks: the unique ledger key rolls everything back."""
    accounts_import(data=csv_bytes([good_row(1)]))
    Account.objects.update(legacy_contract="")
    real = importer._already_imported
    calls = []

    def blind_at_first(numbers, *, ledger=True):
        calls.append(ledger)
        return real(numbers, ledger=ledger) if len(calls) > 2 else {}

    monkeypatch.setattr(importer, "_already_imported", blind_at_first)

    with pytest.raises(ImportRejected) as caught:
        accounts_import(data=csv_bytes([good_row(2), good_row(1)]))

    assert [(e.line, e.message) for e in caught.value.errors] == [
        (3, "already imported (ledger entry import:L000001)")
    ]
    assert Account.objects.count() == 1
    assert AuditEntry.objects.filter(action="accounts.import").count() == 1


def test_a_contract_number_taken_meanwhile_is_drawn_again(tariff, monkeypatch) -> None:
    from abonent.accounts.tests.factories import AccountFactory

    AccountFactory(contract="10000007", tariff=tariff)
    draws = iter([["10000007"], ["10000014"]])  # the first was "free" when drawn
    monkeypatch.setattr(importer, "_contracts_new", lambda count: next(draws))

    result = accounts_import(data=csv_bytes([good_row(1)]))

    assert result.contracts == ["10000014"]
    assert Account.objects.get(legacy_contract="L000001").contract == "10000014"
