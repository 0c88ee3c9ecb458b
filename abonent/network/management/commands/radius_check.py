"""``abonent radius-check``: one test Access-Request to a running FreeRADIUS, one line out."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abonent.network.models import Nas, NetworkCredential, RadPostAuth
from abonent.network.radclient import RadclientError, radclient_send


def _readable(value: str) -> str:
    """An octets value that is printable text (our Class) as that text."""
    if value.startswith("0x") and len(value) > 2:
        try:
            text = bytes.fromhex(value[2:]).decode("ascii")
        except ValueError:
            return value
        if text.isprintable():
            return text
    return value


class Command(BaseCommand):
    help = (
        "Send a test Access-Request with radclient and report the answer in one line "
        "(exit status 1 unless accepted). Starts nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--server", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1812)
        parser.add_argument(
            "--secret", help="shared secret (default: the nas row of 127.0.0.1 or --nas)"
        )
        parser.add_argument("--nas", default="127.0.0.1", help="nasname whose secret to use")
        parser.add_argument("--login", required=True, help="network login to try")
        parser.add_argument("--password", help="default: the login's stored network password")
        parser.add_argument("--chap", action="store_true", help="CHAP instead of PAP")
        parser.add_argument("--timeout", type=float, default=3.0)

    def handle(self, *args: Any, **options: Any) -> None:
        login = options["login"]
        secret = options["secret"]
        if not secret:
            nas = Nas.objects.filter(nasname=options["nas"]).first()
            if nas is None:
                raise CommandError(f"no --secret and no NAS {options['nas']} in the nas table")
            secret = nas.secret
        password = options["password"]
        if password is None:
            credential = NetworkCredential.objects.filter(login=login).first()
            if credential is None:
                raise CommandError(f"no --password and no network login {login}")
            password = credential.password
        attribute = "CHAP-Password" if options["chap"] else "User-Password"
        where = f"{options['server']}:{options['port']}"
        try:
            answer = radclient_send(
                server=options["server"],
                port=options["port"],
                secret=secret,
                kind="auth",
                attributes={"User-Name": login, attribute: password},
                timeout=options["timeout"],
            )
        except RadclientError as exc:
            raise CommandError(f"{where}: {exc}") from exc
        attrs = ", ".join(
            f"{k} = {_readable(v)}" for k, values in answer.attributes.items() for v in values
        )
        line = f"{answer.code} from {where} for {login} in {answer.elapsed_ms:.0f} ms"
        if answer.code != "Access-Accept":
            reason = (
                RadPostAuth.objects.filter(username=login)
                .order_by("-id")
                .values_list("reason", flat=True)
                .first()
            )
            raise CommandError(line + (f" (reason: {reason})" if reason else ""))
        self.stdout.write(line + (f": {attrs}" if attrs else ""))
