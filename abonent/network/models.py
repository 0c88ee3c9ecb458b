"""Network access: what FreeRADIUS needs to authorise a subscriber, and what it writes back.

FreeRADIUS's ``rlm_sql`` reads views shaped as its standard PostgreSQL schema (``radcheck``,
``radreply``, ``radusergroup``, ``radgroupcheck``, ``radgroupreply``, ``nas``) built over the
tables here and the account row (see migrations 0002 and docs/radius.md), and writes the real
tables ``radacct`` and ``radpostauth``. All of that exists on PostgreSQL only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abonent.accounts.models import Account


class NetworkCredential(models.Model):
    """A subscriber's PPPoE/IPoE login and network password, one per account.

    The login is the contract number unless staff set another. The password is not the cabinet
    password and is kept in clear text because CHAP and MS-CHAP need it: this table is read by
    the RADIUS views, and shown to its owner on the cabinet's «Подключение» page on request (a
    POST), never exposed through the API.
    ``mac`` binds the login to one device (``AA-BB-CC-DD-EE-FF``); ``static_ip`` comes from the
    static-IP add-on and is sent as ``Framed-IP-Address``.
    """

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="network_credential"
    )
    login = models.CharField(_("network login"), max_length=64, unique=True)
    password = models.CharField(_("network password"), max_length=64)
    mac = models.CharField(_("bound MAC address"), max_length=17, blank=True)
    static_ip = models.GenericIPAddressField(
        _("static IP address"), protocol="IPv4", null=True, blank=True, unique=True
    )
    password_changed_at = models.DateTimeField(auto_now_add=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("network credential")
        verbose_name_plural = _("network credentials")
        constraints = [
            models.CheckConstraint(condition=~Q(login=""), name="credential_login_not_empty"),
            models.CheckConstraint(condition=~Q(password=""), name="credential_password_not_empty"),
        ]

    def __str__(self) -> str:
        return self.login


class NasType(models.TextChoices):
    """The NAS vendor; FreeRADIUS's ``type`` of a client (used by checkrad and, later, CoA)."""

    MIKROTIK = "mikrotik", "MikroTik"
    JUNIPER = "juniper", "Juniper"
    CISCO = "cisco", "Cisco"
    ACCEL_PPP = "accel-ppp", "accel-ppp"
    OTHER = "other", _("Other")


class Nas(models.Model):
    """A router (BRAS/NAS) allowed to ask FreeRADIUS; exposed to it as the ``nas`` view."""

    nasname = models.CharField(_("IP address or network"), max_length=128, unique=True)
    shortname = models.CharField(_("short name"), max_length=32)
    type = models.CharField(_("type"), max_length=16, choices=NasType.choices, default="other")
    ports = models.PositiveIntegerField(_("ports"), null=True, blank=True)
    secret = models.CharField(_("shared secret"), max_length=64)
    server = models.CharField(_("virtual server"), max_length=64, blank=True)
    community = models.CharField(_("SNMP community"), max_length=50, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    coa_port = models.PositiveIntegerField(_("CoA/Disconnect port"), default=3799)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shortname", "id"]
        verbose_name = _("NAS")
        verbose_name_plural = _("NASes")
        constraints = [
            models.CheckConstraint(condition=~Q(secret=""), name="nas_secret_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.shortname} ({self.nasname})"


class ReplyTemplate(models.Model):
    """A reply attribute that carries the tariff's speed to one type of NAS.

    FreeRADIUS sends, for an active account, the rows of the asking NAS's type (the generated
    ``authorize_reply_query`` filters ``radreply`` on ``%{client:nas_type}``); a CoA-Request
    that changes a live session's speed carries the same rows. In ``value`` these placeholders
    are replaced: ``{up}`` and ``{down}`` (kbit/s), ``{up_bps}`` and ``{down_bps}`` (bit/s),
    ``{up_bytes}`` and ``{down_bytes}`` (bytes per second: one second of traffic, a burst size).
    Defaults are seeded by migration 0004 and put back by ``reply_templates_ensure``.
    """

    nas_type = models.CharField(_("NAS type"), max_length=16, choices=NasType.choices)
    attribute = models.CharField(_("attribute"), max_length=64)
    op = models.CharField(_("operator"), max_length=2, default=":=")
    value = models.CharField(_("value template"), max_length=253)

    class Meta:
        ordering = ["nas_type", "id"]
        verbose_name = _("speed reply attribute")
        verbose_name_plural = _("speed reply attributes")
        constraints = [
            models.CheckConstraint(condition=~Q(attribute=""), name="reply_template_attribute"),
            models.CheckConstraint(condition=Q(op__in=[":=", "=", "+="]), name="reply_template_op"),
        ]

    def __str__(self) -> str:
        return f"{self.nas_type}: {self.attribute} {self.op} {self.value}"

    def render(self, *, up_kbps: int, down_kbps: int) -> str:
        """The value for these speeds (the same replacements the ``radreply`` view makes)."""
        return render_speed(self.value, up_kbps=up_kbps, down_kbps=down_kbps)


def render_speed(template: str, *, up_kbps: int, down_kbps: int) -> str:
    """Replace the speed placeholders of a reply template (see ``ReplyTemplate``)."""
    values = {
        "{up_bps}": str(up_kbps * 1000),
        "{down_bps}": str(down_kbps * 1000),
        "{up_bytes}": str(up_kbps * 125),
        "{down_bytes}": str(down_kbps * 125),
        "{up}": str(up_kbps),
        "{down}": str(down_kbps),
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template


class AttributeList(models.TextChoices):
    """Which of FreeRADIUS's group lists a group attribute belongs to."""

    CHECK = "check", "radgroupcheck"
    REPLY = "reply", "radgroupreply"


class GroupAttribute(models.Model):
    """A check or reply attribute of a RADIUS group, read through ``radgroupcheck`` and
    ``radgroupreply``. The group ``restricted`` is where blocked accounts land: its reply
    puts them into the NAS's address list that reaches only the cabinet and payment pages."""

    group = models.CharField(_("group"), max_length=64)
    list = models.CharField(_("list"), max_length=8, choices=AttributeList.choices)
    attribute = models.CharField(_("attribute"), max_length=64)
    op = models.CharField(_("operator"), max_length=2, default=":=")
    value = models.CharField(_("value"), max_length=253)

    class Meta:
        ordering = ["group", "list", "id"]
        verbose_name = _("RADIUS group attribute")
        verbose_name_plural = _("RADIUS group attributes")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "list", "attribute"], name="group_attribute_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.attribute} {self.op} {self.value}"


class AuthReason(models.TextChoices):
    """Why FreeRADIUS answered as it did: written into ``radpostauth.reason``.

    The account statuses come from the ``radcheck`` view (``Abonent-Reason``); the others are
    set by the generated site when a request fails without one.
    """

    BLOCKED = "blocked", _("Blocked: the balance is not enough, only payment pages are open")
    NEW = "new", _("Not connected yet: the connection deposit is not paid")
    SUSPENDED = "suspended", _("Paused at the subscriber's request")
    CLOSED = "closed", _("The contract is closed")
    WRONG_PASSWORD = "wrong_password", _("Wrong network password")
    UNKNOWN_LOGIN = "unknown_login", _("No such network login")
    MAC_MISMATCH = "mac_mismatch", _("The login is bound to another device (MAC address)")


class RadAcct(models.Model):
    """A session as FreeRADIUS's accounting writes it (its own table, PostgreSQL only)."""

    radacctid = models.BigAutoField(primary_key=True)
    acctsessionid = models.TextField()
    acctuniqueid = models.TextField(unique=True)
    username = models.TextField(null=True)
    nasipaddress = models.GenericIPAddressField()
    nasportid = models.TextField(null=True)
    acctstarttime = models.DateTimeField(null=True)
    acctupdatetime = models.DateTimeField(null=True)
    acctstoptime = models.DateTimeField(null=True)
    acctsessiontime = models.BigIntegerField(null=True)
    acctinputoctets = models.BigIntegerField(null=True)
    acctoutputoctets = models.BigIntegerField(null=True)
    callingstationid = models.TextField(null=True)
    acctterminatecause = models.TextField(null=True)
    framedipaddress = models.GenericIPAddressField(null=True)
    # The policy granted at login (the Access-Accept's Class, echoed by the NAS; set anew by an
    # acknowledged CoA): see ``coa``.
    policy_class = models.TextField(null=True, db_column="class")

    class Meta:
        managed = False
        db_table = "radacct"
        verbose_name = _("RADIUS session")
        verbose_name_plural = _("RADIUS sessions")

    def __str__(self) -> str:
        return f"{self.username} {self.acctsessionid}"


class RadPostAuth(models.Model):
    """One authentication result as FreeRADIUS wrote it; ``reason`` is ours (see the site's
    Post-Auth section in the generated configuration)."""

    id = models.BigAutoField(primary_key=True)
    username = models.TextField()
    reply = models.TextField(null=True)
    callingstationid = models.TextField(null=True)
    authdate = models.DateTimeField()
    reason = models.TextField(null=True)
    policy_class = models.TextField(null=True, db_column="class")  # the reply's Class

    class Meta:
        managed = False
        db_table = "radpostauth"
        verbose_name = _("RADIUS authentication")
        verbose_name_plural = _("RADIUS authentications")

    def __str__(self) -> str:
        return f"{self.username} {self.reply} {self.reason}"


class ChangeKind(models.TextChoices):
    """What is asked of the NAS (RFC 5176)."""

    DISCONNECT = "disconnect", pgettext_lazy("a RADIUS request", "Disconnect")
    COA = "coa", _("Change of speed (CoA)")


class ChangeReason(models.TextChoices):
    """Why a live session is disconnected or changed."""

    BLOCKED = "blocked", _("The account was blocked")
    UNBLOCKED = "unblocked", _("The account was unblocked")
    NOT_ALLOWED = "not_allowed", _("The account may not be online (new, paused or closed)")
    UNKNOWN_LOGIN = "unknown_login", _("The network login no longer exists")
    SPEED = "speed", _("The speed changed")
    ADDRESS = "address", _("The static IP address changed")
    STAFF = "staff", _("Disconnected by staff")


class ChangeState(models.TextChoices):
    """Where a request to the NAS stands."""

    PENDING = "pending", _("Waiting to be sent")
    ACKED = "acked", _("Done by the NAS")
    NAKED = "naked", _("Refused by the NAS")
    FAILED = "failed", _("The NAS did not answer")
    CANCELLED = "cancelled", _("Not needed any more")


class SessionChange(models.Model):
    """One Disconnect-Request or CoA-Request for a live session, and what became of it.

    Made by ``coa.sessions_reconcile`` when an open ``radacct`` session was granted a policy
    (its ``Class``) other than the one its account would get now, or by staff through
    ``coa.session_disconnect``. Sent outside any transaction, retried with backoff while
    ``pending``; a NAS that does not answer ends in ``failed``, and the reconciler makes a new
    request after a longer pause if the session is still out of date. Never touches money.
    ``radacct_id`` is not a foreign key: ``radacct`` belongs to FreeRADIUS (PostgreSQL only).
    """

    radacct_id = models.BigIntegerField(_("session"))
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nas = models.ForeignKey(Nas, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(_("network login"), max_length=253)
    acct_session_id = models.CharField(_("session id"), max_length=253)
    nas_ip = models.GenericIPAddressField(_("NAS address"))
    framed_ip = models.GenericIPAddressField(_("subscriber's IP address"), null=True, blank=True)
    kind = models.CharField(_("request"), max_length=16, choices=ChangeKind.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=ChangeReason.choices)
    granted_class = models.CharField(_("policy the session has"), max_length=253, blank=True)
    target_class = models.CharField(_("policy it should have"), max_length=253, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ChangeState.choices, default=ChangeState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("session change")
        verbose_name_plural = _("session changes")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="session_change_due",
            ),
            models.Index(fields=["radacct_id"], name="session_change_session"),
        ]
        constraints = [
            # The reconciler asks once per session and wanted policy (staff may ask again;
            # a cancelled request does not count, nor a failed one: it is asked anew after
            # ``coa.RETRY_FAILED_AFTER`` while the session stays out of date).
            models.UniqueConstraint(
                fields=["radacct_id", "target_class", "kind"],
                condition=~Q(reason="staff") & ~Q(state__in=["cancelled", "failed"]),
                name="session_change_once",
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(finished_at__isnull=False),
                name="session_change_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.username} {self.acct_session_id} ({self.state})"
