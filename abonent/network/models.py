"""Network access: what FreeRADIUS needs to authorise a subscriber, and what it writes back.

FreeRADIUS's ``rlm_sql`` reads views shaped as its standard PostgreSQL schema (``radcheck``,
``radreply``, ``radusergroup``, ``radgroupcheck``, ``radgroupreply``, ``nas``) built over the
tables here and the account row (see migrations 0002 and docs/radius.md), and writes the real
tables ``radacct`` and ``radpostauth``. All of that exists on PostgreSQL only.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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

    class Meta:
        managed = False
        db_table = "radpostauth"
        verbose_name = _("RADIUS authentication")
        verbose_name_plural = _("RADIUS authentications")

    def __str__(self) -> str:
        return f"{self.username} {self.reply} {self.reason}"
