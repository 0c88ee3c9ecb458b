"""Importing subscribers from another billing system: one CSV file, all rows or none.

``accounts_import`` parses and validates the whole file first (no query per row: tariffs are
preloaded, the file's legacy contract numbers are looked up in chunks), and only a file without a
single bad row is written, in one transaction, with ``bulk_create`` in batches: the accounts with
new contract numbers of ours, and each non-zero opening balance as a ``correction`` ledger entry
keyed ``import:<legacy contract>``, so ``balance == sum(ledger)`` holds from the first second.

Imported accounts get no password (``"!"``, unusable): Argon2-hashing 100 000 paper passwords
would take hours, and the old system's passwords cannot be carried over. Support prints each
subscriber a sheet (a password reset) when they come. The format is in ``docs/import.md``.

Messages are English: this is an operator's tool, and management commands run without a locale.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from abonent.accounts.contract import BODY_DIGITS, contract_generate
from abonent.accounts.models import Account, AccountStatus
from abonent.catalogue.models import BuildingType, Tariff
from abonent.core.audit import audit_record
from abonent.core.errors import ApplicationError
from abonent.core.money import parse_rubles
from abonent.core.phone import normalize_phone

REQUIRED_COLUMNS = (
    "legacy_contract",
    "holder_name",
    "address",
    "building_type",
    "phone",
    "tariff",
    "service_start",
)
OPTIONAL_COLUMNS = ("email", "balance", "status", "credit_limit")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

BATCH_SIZE = 2000
# Values per ``IN (...)`` look-up: below SQLite's historic limit of 999 variables; larger where
# the backend allows (fewer round trips to PostgreSQL).
LOOKUP_CHUNK = 10_000
OPENING_REASON = "Opening balance (import)"
KEY_PREFIX = "import:"
UNUSABLE_PASSWORD = "!"  # noqa: S105 - the unusable marker, not a password
# Larger amounts are a column mix-up (a phone number in the balance column), not money.
MAX_AMOUNT_KOP = 10_000_000 * 100
EARLIEST_START = dt.date(1990, 1, 1)
# Field types whose Python values every supported driver takes as they are.
_PLAIN_FIELDS = (models.IntegerField, models.BooleanField, models.ForeignKey)
_TEXT_FIELDS = (models.CharField, models.TextField)

BUILDING_TYPES = {
    "apartment": BuildingType.APARTMENT,
    "квартира": BuildingType.APARTMENT,
    "мкд": BuildingType.APARTMENT,
    "многоквартирный": BuildingType.APARTMENT,
    "многоквартирный дом": BuildingType.APARTMENT,
    "house": BuildingType.HOUSE,
    "дом": BuildingType.HOUSE,
    "частный": BuildingType.HOUSE,
    "частный дом": BuildingType.HOUSE,
}
STATUSES = {
    **{value: value for value in AccountStatus.values},
    "новый": AccountStatus.NEW,
    "активен": AccountStatus.ACTIVE,
    "активный": AccountStatus.ACTIVE,
    "заблокирован": AccountStatus.BLOCKED,
    "приостановлен": AccountStatus.SUSPENDED,
    "закрыт": AccountStatus.CLOSED,
}


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one line of the file cannot be imported (line 1 is the header)."""

    line: int
    message: str
    legacy_contract: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.legacy_contract:
            where += f" ({self.legacy_contract})"
        return f"{where}: {self.message}"


class ImportRejected(ApplicationError):
    """The file as a whole is refused; ``errors`` lists every bad line. Nothing was written."""

    code = "import_rejected"

    def __init__(self, message: str, *, errors: list[RowError]) -> None:
        super().__init__(message, field="file")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import made (or, on a dry run, would make)."""

    rows: int
    created: int
    total_balance_kop: int
    ledger_entries: int
    dry_run: bool
    delimiter: str
    seconds_validate: float
    seconds_write: float
    contracts: list[str] = field(default_factory=list, repr=False)


@dataclass(slots=True)
class _Row:
    line: int
    legacy_contract: str
    holder_name: str
    address: str
    building_type: str
    phone: str
    email: str
    tariff_id: int
    service_start: dt.date
    balance_kop: int
    status: str
    credit_limit_kop: int


# --- parsing ------------------------------------------------------------------------------


def _decode(data: bytes, encoding: str) -> str:
    codec = encoding.strip().lower().replace("_", "-")
    if codec in ("utf-8", "utf8"):
        codec = "utf-8-sig"  # drops the BOM Excel writes
    try:
        return data.decode(codec)
    except LookupError:
        raise ImportRejected(
            f"unknown encoding {encoding!r}", errors=[RowError(0, f"unknown encoding {encoding!r}")]
        ) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = (
            " (an Excel file saved as plain CSV? try --encoding cp1251)" if "utf" in codec else ""
        )
        raise ImportRejected(
            f"the file is not valid {encoding}{hint}",
            errors=[RowError(line, f"not valid {encoding} at byte {exc.start}{hint}")],
        ) from None


def _sniff_delimiter(text: str) -> str:
    """Semicolon (Russian Excel) or comma, whichever the header line holds more of."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _lines(reader: Any, header_line: int) -> Iterator[tuple[int, list[str]]]:
    """(first line number of the record, fields): a quoted field may span several lines."""
    previous = header_line
    for fields in reader:
        yield previous + 1, fields
        previous = reader.line_num


def _parse_date(value: str, today: dt.date) -> dt.date:
    text = value.strip()
    if "-" in text:
        parts, order = text.split("-"), (0, 1, 2)
    else:
        parts, order = text.split("."), (2, 1, 0)
    if (
        len(parts) != 3
        or not all(p.isascii() and p.isdigit() for p in parts)
        or len(parts[order[0]]) != 4
        or not (1 <= len(parts[order[1]]) <= 2 and 1 <= len(parts[order[2]]) <= 2)
    ):
        raise ValueError("not a date: use YYYY-MM-DD or DD.MM.YYYY")
    try:
        day = dt.date(int(parts[order[0]]), int(parts[order[1]]), int(parts[order[2]]))
    except ValueError:
        raise ValueError("no such date") from None
    if day < EARLIEST_START:
        raise ValueError(f"before {EARLIEST_START:%Y}: a typo?")
    if day > today:
        raise ValueError("in the future")
    return day


def _parse_amount(value: str) -> int:
    text = value.strip()
    if not text:
        return 0
    try:
        amount = parse_rubles(text)
    except ValueError:
        raise ValueError("not an amount in roubles (like 1234.50 or -300,00)") from None
    if abs(amount) > MAX_AMOUNT_KOP:
        raise ValueError("more than 10 000 000 roubles: a column mix-up?")
    return amount


def _text(value: str, max_length: int) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValueError("required")
    if len(text) > max_length:
        raise ValueError(f"longer than {max_length} characters")
    return text


def _tariff_index() -> dict[str, int]:
    """Every tariff by slug and by id (archived ones too: old subscribers stay on them)."""
    index: dict[str, int] = {}
    for pk, slug in Tariff.objects.values_list("pk", "slug"):
        index[slug] = pk
        index[slug.lower()] = pk
        index[str(pk)] = pk
    return index


def _chunks(items: list[str]) -> Iterator[list[str]]:
    limit = connection.features.max_query_params
    size = min(LOOKUP_CHUNK, limit - 99) if limit else LOOKUP_CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _already_imported(legacy_numbers: Iterable[str], *, ledger: bool = True) -> dict[str, str]:
    """Legacy numbers of the file already in the database → what holds them (a note).

    ``ledger`` also looks for opening entries whose account no longer carries the number.
    """
    numbers = sorted(set(legacy_numbers))
    found: dict[str, str] = {}
    for chunk in _chunks(numbers):
        for legacy, contract in Account.objects.filter(legacy_contract__in=chunk).values_list(
            "legacy_contract", "contract"
        ):
            found[legacy] = f"account {contract}"
    if not ledger:
        return found
    from abonent.billing.models import LedgerEntry

    for chunk in _chunks([n for n in numbers if n not in found]):
        for key in LedgerEntry.objects.filter(key__in=[KEY_PREFIX + n for n in chunk]).values_list(
            "key", flat=True
        ):
            if key is not None:  # always: filtered on it
                found[key.removeprefix(KEY_PREFIX)] = f"ledger entry {key}"
    return found


def _read_header(reader: Any) -> list[str]:
    """The header's column names (lower case); every problem with them is one error."""
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportRejected(
            "the header cannot be read", errors=[RowError(1, f"not CSV: {exc}")]
        ) from None
    if not header or not any(h.strip() for h in header):
        raise ImportRejected("the file is empty", errors=[RowError(1, "no header row")])
    names = [h.strip().lstrip("\ufeff").strip().lower() for h in header]
    problems = []
    unknown = [n for n in names if n and n not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown)}")
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if repeated:
        problems.append(f"repeated columns: {', '.join(repeated)}")
    if problems:
        message = "; ".join(problems) + f" (expected: {', '.join(COLUMNS)})"
        raise ImportRejected(f"bad header: {message}", errors=[RowError(1, message)])
    return names


@dataclass
class _Parsed:
    rows: list[_Row]
    bad: dict[int, list[str]]
    legacy_by_line: dict[int, str]
    delimiter: str
    count: int


class _RowChecker:
    """Validates one record at a time against preloaded tariffs, without queries."""

    def __init__(self, names: list[str], *, today: dt.date) -> None:
        self.width = len(names)
        self.at = [(name, names.index(name)) for name in COLUMNS if name in names]
        self.unnamed = [i for i, n in enumerate(names) if not n]
        self.tariffs = _tariff_index()
        self.today = today
        self.seen: dict[str, int] = {}  # legacy number → first line

    def check(self, line: int, fields: list[str]) -> tuple[str, _Row | list[str]]:
        """(legacy number, the row) or (legacy number, the reasons it is bad)."""
        if len(fields) != self.width:
            return "", [f"{len(fields)} fields, the header has {self.width}"]
        value = {name: fields[i] for name, i in self.at}
        reasons: list[str] = []
        legacy = value["legacy_contract"].strip()
        if not legacy:
            reasons.append("legacy_contract: required")
        elif len(legacy) > 32:
            reasons.append("legacy_contract: longer than 32 characters")
        elif legacy in self.seen:
            reasons.append(f"legacy_contract {legacy!r}: repeats line {self.seen[legacy]}")
        else:
            self.seen[legacy] = line
        clean: dict[str, Any] = {}
        for name, max_length in (("holder_name", 200), ("address", 255)):
            try:
                clean[name] = _text(value[name], max_length)
            except ValueError as exc:
                reasons.append(f"{name}: {exc}")
        raw = value["building_type"]
        clean["building_type"] = BUILDING_TYPES.get(" ".join(raw.split()).lower())
        if clean["building_type"] is None:
            reasons.append(
                f"building_type {raw!r}: use apartment/квартира/МКД or house/дом/частный"
            )
        raw = value["phone"]
        try:
            clean["phone"] = normalize_phone(raw)
        except ApplicationError as exc:
            reasons.append(f"phone {raw!r}: {exc.message}")
        clean["email"] = value.get("email", "").strip()
        if clean["email"]:
            try:
                validate_email(clean["email"])
            except ValidationError:
                reasons.append(f"email {clean['email']!r}: not an e-mail address")
        raw = value["tariff"].strip()
        clean["tariff_id"] = self.tariffs.get(raw) or self.tariffs.get(raw.lower())
        if clean["tariff_id"] is None:
            reasons.append(f"tariff {raw!r}: no tariff with this code or id")
        raw = value["service_start"]
        try:
            clean["service_start"] = _parse_date(raw, self.today)
        except ValueError as exc:
            reasons.append(f"service_start {raw!r}: {exc}")
        for name in ("balance", "credit_limit"):
            raw = value.get(name, "")
            try:
                clean[name] = _parse_amount(raw)
            except ValueError as exc:
                reasons.append(f"{name} {raw!r}: {exc}")
        if clean.get("credit_limit", 0) < 0:
            reasons.append("credit_limit: must not be negative")
        raw = value.get("status", "").strip()
        status = STATUSES.get(raw.lower()) if raw else ""
        if status is None:
            reasons.append(f"status {raw!r}: use new, active, blocked, suspended or closed")
        if any(fields[i].strip() for i in self.unnamed):
            reasons.append("a value in a column without a name")
        if reasons:
            return legacy, reasons
        if not status:
            covered = clean["balance"] + clean["credit_limit"] >= 0
            status = AccountStatus.ACTIVE if covered else AccountStatus.BLOCKED
        return legacy, _Row(
            line=line,
            legacy_contract=legacy,
            holder_name=clean["holder_name"],
            address=clean["address"],
            building_type=str(clean["building_type"]),
            phone=clean["phone"],
            email=clean["email"],
            tariff_id=clean["tariff_id"],
            service_start=clean["service_start"],
            balance_kop=clean["balance"],
            status=str(status),
            credit_limit_kop=clean["credit_limit"],
        )


def _parse(text: str, *, today: dt.date) -> _Parsed:
    """Every record of the file, validated; the database is asked only in bulk."""
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    checker = _RowChecker(_read_header(reader), today=today)
    parsed = _Parsed(rows=[], bad={}, legacy_by_line={}, delimiter=delimiter, count=0)
    records = _lines(reader, reader.line_num)
    while True:
        try:
            item = next(records, None)
        except csv.Error as exc:
            raise ImportRejected(
                "the file is not valid CSV", errors=[RowError(reader.line_num, f"not CSV: {exc}")]
            ) from None
        if item is None:
            break
        line, fields = item
        if not any(f.strip() for f in fields):
            continue  # blank lines and Excel's trailing ";;;;" rows
        parsed.count += 1
        legacy, outcome = checker.check(line, fields)
        if legacy:
            parsed.legacy_by_line[line] = legacy
        if isinstance(outcome, _Row):
            parsed.rows.append(outcome)
        else:
            parsed.bad[line] = outcome
    # Every row with a usable legacy number, bad or good, so the operator sees every problem
    # of the file at once.
    for legacy, note in _already_imported(checker.seen).items():
        parsed.bad.setdefault(checker.seen[legacy], []).append(f"already imported ({note})")
    return parsed


# --- writing ------------------------------------------------------------------------------


def _contracts_new(count: int) -> list[str]:
    """``count`` distinct new contract numbers, none of them already in the database."""
    space = 9 * 10 ** (BODY_DIGITS - 1)
    if Account.objects.count() + count > space * 0.8:
        raise ApplicationError("not enough free contract numbers for this import")
    chosen: set[str] = set()
    while len(chosen) < count:
        fresh: set[str] = set()
        while len(chosen) + len(fresh) < count:
            number = contract_generate()
            if number not in chosen:
                fresh.add(number)
        for chunk in _chunks(sorted(fresh)):
            taken = Account.objects.filter(contract__in=chunk).values_list("contract", flat=True)
            fresh.difference_update(taken)
        chosen |= fresh
    return list(chosen)


def _insert_plain(
    model: type[models.Model], rows: list[dict[str, Any]], *, now: dt.datetime
) -> None:
    """INSERT rows given as ``{attname: value}`` without the ORM's per-value SQL compiler.

    ``bulk_create`` spends most of an import building model instances and compiling 2 million
    values one by one (12 s of 16 s for 100 000 accounts on SQLite). This takes the columns
    from the model's metadata (so a new field with a default needs no change here): a field
    not given gets its default as ``Model()`` would (a callable one is called per row),
    ``auto_now``/``auto_now_add`` fields get the import's one timestamp, and only values the
    driver cannot take as they are get adapted. The rows go over in batches: ``COPY`` on
    PostgreSQL, ``executemany`` of one prepared ``INSERT`` elsewhere. Primary keys come from the
    database and are not returned.
    """
    ops = connection.ops
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    unknown = set().union(*rows) - {f.attname for f in fields} if rows else set()
    if unknown:
        raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
    plan: list[tuple[str, Any, Any]] = []  # (attname, converter or None, default thunk)
    for f in fields:
        if isinstance(f, models.DateTimeField):
            convert: Any = ops.adapt_datetimefield_value
        elif isinstance(f, models.DateField):
            convert = ops.adapt_datefield_value
        elif isinstance(f, _TEXT_FIELDS):
            convert = _text_value  # choices enums → their value
        elif isinstance(f, _PLAIN_FIELDS):
            convert = None
        else:
            convert = partial(_prep_save, f)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            fixed = now if isinstance(f, models.DateTimeField) else timezone.localdate(now)
            default: Any = partial(_constant, convert(fixed))
        elif f.has_default() and callable(f.default):
            default = partial(_converted, convert, f.get_default)
        else:
            default = partial(_constant, _converted(convert, f.get_default))
        plan.append((f.attname, convert, default))

    def row(given: dict[str, Any]) -> tuple[Any, ...]:
        values = []
        for attname, convert, default in plan:
            if attname in given:
                value = given[attname]
                values.append(value if convert is None or value is None else convert(value))
            else:
                values.append(default())
        return tuple(values)

    qn = ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with connection.wrap_database_errors:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for given in rows:
                        copy.write_row(row(given))
            return
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from _meta
        for start in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(sql, [row(given) for given in rows[start : start + BATCH_SIZE]])


def _text_value(value: Any) -> str:
    return value if type(value) is str else str(value)


def _prep_save(f: models.Field, value: Any) -> Any:
    return f.get_db_prep_save(value, connection)


def _constant(value: Any) -> Any:
    return value


def _converted(convert: Any, make: Any) -> Any:
    value = make()
    return value if convert is None or value is None else convert(value)


def _ids_by_contract(contracts: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in _chunks(contracts):
        ids.update(Account.objects.filter(contract__in=chunk).values_list("contract", "pk"))
    return ids


def _write(rows: list[_Row], *, actor: Any, source: str, digest: str) -> tuple[list[str], int]:
    """Insert the accounts and their opening entries; (contracts, entries). In a transaction."""
    from abonent.billing.models import EntryKind, LedgerEntry

    now = timezone.now()
    created_by_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    contracts = _contracts_new(len(rows))
    accounts = [
        {
            "contract": contract,
            "legacy_contract": row.legacy_contract,
            "holder_name": row.holder_name,
            "address": row.address,
            "building_type": row.building_type,
            "phone": row.phone,
            "email": row.email,
            "status": row.status,
            "tariff_id": row.tariff_id,
            "service_start": row.service_start,
            "balance_kop": row.balance_kop,
            "credit_limit_kop": row.credit_limit_kop,
            "password": UNUSABLE_PASSWORD,
            "must_change_password": True,
            "created_by_id": created_by_id,
        }
        for row, contract in zip(rows, contracts, strict=True)
    ]
    _insert_plain(Account, accounts, now=now)
    ids = _ids_by_contract(contracts)
    entries = [
        {
            "account_id": ids[contract],
            "kind": EntryKind.CORRECTION.value,
            "amount_kop": row.balance_kop,
            "balance_after_kop": row.balance_kop,
            "reason": OPENING_REASON,
            "key": KEY_PREFIX + row.legacy_contract,
            "created_by_id": created_by_id,
        }
        for row, contract in zip(rows, contracts, strict=True)
        if row.balance_kop != 0
    ]
    _insert_plain(LedgerEntry, entries, now=now)
    first = Account.objects.get(pk=ids[contracts[0]])
    audit_record(
        actor=actor,
        action="accounts.import",
        obj=first,  # no batch object exists; the file's first account stands for the import
        after={
            "source": source,
            "sha256": digest,
            "accounts": len(accounts),
            "ledger_entries": len(entries),
            "total_balance_kop": sum(row.balance_kop for row in rows),
            "first_contract": contracts[0],
            "last_contract": contracts[-1],
        },
    )
    return contracts, len(entries)


def _write_atomic(
    rows: list[_Row], parsed: _Parsed, *, actor: Any, source: str, digest: str
) -> tuple[list[str], int]:
    """``_write`` in one transaction, safe against a concurrent import or contract.

    Inside the transaction the legacy numbers are looked up again (on SQLite it holds the
    write lock from BEGIN; elsewhere another run of the same file may have finished since the
    validation). Should a unique constraint still fail, everything is rolled back: a legacy
    number imported meanwhile is reported like any bad row; a contract number taken meanwhile
    by another writer is drawn again.
    """
    line_of = {row.legacy_contract: row.line for row in rows}

    def refused(found: dict[str, str]) -> ImportRejected:
        reasons = {line_of[n]: [f"already imported ({note})"] for n, note in found.items()}
        return _rejected(reasons, parsed.count, parsed.legacy_by_line)

    for attempt in range(1, 4):
        try:
            with transaction.atomic():
                found = _already_imported(line_of, ledger=False)
                if found:
                    raise refused(found)
                return _write(rows, actor=actor, source=source, digest=digest)
        except IntegrityError:
            found = _already_imported(line_of)
            if found:
                raise refused(found) from None
            if attempt == 3:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _rejected(bad: dict[int, list[str]], rows_total: int, legacy: dict[int, str]) -> ImportRejected:
    errors = [
        RowError(line, "; ".join(reasons), legacy.get(line, ""))
        for line, reasons in sorted(bad.items())
    ]
    noun = "row" if len(errors) == 1 else "rows"
    return ImportRejected(
        f"{len(errors)} bad {noun} of {rows_total}; nothing was imported", errors=errors
    )


def accounts_import(
    *,
    data: bytes,
    actor: Any = None,
    dry_run: bool = False,
    encoding: str = "utf-8",
    source: str = "",
) -> ImportResult:
    """Import subscribers from a CSV file's bytes (format: ``docs/import.md``), all or nothing.

    Raises ``ImportRejected`` listing every bad line when any line is bad; then nothing is
    written. ``dry_run`` validates only. ``source`` (the file name) goes to the audit row.
    """
    started = time.perf_counter()
    parsed = _parse(_decode(data, encoding), today=timezone.localdate())
    if parsed.bad:
        raise _rejected(parsed.bad, parsed.count, parsed.legacy_by_line)
    rows = parsed.rows
    if not rows:
        raise ImportRejected("the file has no data rows", errors=[RowError(2, "no data rows")])
    validated = time.perf_counter()
    contracts: list[str] = []
    entries = sum(1 for row in rows if row.balance_kop != 0)
    if not dry_run:
        contracts, entries = _write_atomic(
            rows, parsed, actor=actor, source=source, digest=hashlib.sha256(data).hexdigest()
        )
    return ImportResult(
        rows=parsed.count,
        created=len(contracts),
        total_balance_kop=sum(row.balance_kop for row in rows),
        ledger_entries=entries,
        dry_run=dry_run,
        delimiter=parsed.delimiter,
        seconds_validate=validated - started,
        seconds_write=time.perf_counter() - validated,
        contracts=contracts,
    )
