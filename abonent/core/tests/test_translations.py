"""Every app's Russian catalogue is complete, compiled, and covers every string in its code."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

APPS_DIR = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(APPS_DIR.glob("*/locale/ru/LC_MESSAGES/django.po"))


def app_of(po_path: Path) -> str:
    return po_path.relative_to(APPS_DIR).parts[0]


def test_there_are_catalogues() -> None:
    assert {app_of(p) for p in CATALOGUES} >= {"core"}


@pytest.mark.parametrize("po_path", CATALOGUES, ids=app_of)
def test_catalogue_is_complete_and_compiled(po_path: Path) -> None:
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"{app_of(po_path)}: untranslated: {untranslated[:5]}"
    assert not fuzzy, f"{app_of(po_path)}: fuzzy: {fuzzy[:5]}"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run scripts/messages"
    mo = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in polib.mofile(str(mo_path))
    }
    po_entries = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in po.translated_entries()
    }
    assert po_entries == {k: v for k, v in mo.items() if k[1]}, (
        "the .mo is stale: run scripts/messages"
    )


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
@pytest.mark.parametrize("po_path", CATALOGUES, ids=app_of)
def test_catalogue_covers_the_code(po_path: Path, tmp_path: Path) -> None:
    app = app_of(po_path)
    copy = tmp_path / app
    shutil.copytree(APPS_DIR / app, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    cwd = os.getcwd()
    os.chdir(copy)
    try:
        call_command("makemessages", locale=["ru"], no_location=True, verbosity=0)
    finally:
        os.chdir(cwd)
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/ru/LC_MESSAGES/django.po"))}
    ours = {e.msgid for e in polib.pofile(str(po_path)) if not e.obsolete}
    missing = sorted(fresh - ours)
    assert not missing, f"{app}: strings not in the catalogue (run scripts/messages): {missing[:5]}"
