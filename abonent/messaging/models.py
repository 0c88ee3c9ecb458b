"""Provider mail ("Почта"): messages from the provider to one account or to a segment.

Design for broadcasts: one ``Message`` row holds the text, whoever it went to; one narrow
``MessageRecipient`` row per receiving account holds that account's read state. A broadcast
writes its recipient rows with one set-based ``INSERT … SELECT`` over the segment's accounts
(100 000 accounts are 100 000 rows of three integers and a timestamp, written by the database
in one statement, no Python loop). The audience is fixed when the message is sent: an account
that joins the segment later does not see old broadcasts, and reading, counting and paging the
inbox are plain indexed look-ups on ``(account, message)`` — the same few queries for an account
with 10 or 10 000 messages. (The alternative — a broadcast row plus read markers only for the
accounts that read it — writes less, but has to re-evaluate every segment on every inbox view.)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SUBJECT_MAX = 200
BODY_MAX = 10_000


class MessageCategory(models.TextChoices):
    """What a message is about; the subscriber filters the inbox by it."""

    SUPPORT = "support", pgettext_lazy("message category", "Support")
    BILLING = "billing", pgettext_lazy("message category", "Billing")
    SECURITY = "security", pgettext_lazy("message category", "Security")
    NEWS = "news", pgettext_lazy("message category", "News")


class MessageAudience(models.TextChoices):
    """Whom a message was sent to."""

    ACCOUNT = "account", _("One account")
    SEGMENT = "segment", _("A segment of accounts")


class MessageQuerySet(models.QuerySet):
    """Messages are immutable once sent: no bulk updates either."""

    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("messages are immutable once sent")


class Message(models.Model):
    """A note from the provider: plain text (links become clickable when shown, everything else
    is escaped), immutable once sent. Who received it is in ``MessageRecipient``; ``segment``
    keeps the filters of a broadcast as they were given (or the account of a personal one)."""

    category = models.CharField(_("category"), max_length=16, choices=MessageCategory.choices)
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    body = models.TextField(_("text"), max_length=BODY_MAX)
    audience = models.CharField(_("audience"), max_length=16, choices=MessageAudience.choices)
    segment = models.JSONField(_("segment"), default=dict, blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for messages the system sends by itself."),
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=MessageCategory.values), name="message_category_known"
            ),
            models.CheckConstraint(
                condition=Q(audience__in=MessageAudience.values), name="message_audience_known"
            ),
            models.CheckConstraint(condition=~Q(subject=""), name="message_subject_not_empty"),
        ]

    def __str__(self) -> str:
        return self.subject

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """Messages are inserted once; changing a sent one is a bug."""
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("messages are immutable once sent")
        super().save(*args, **kwargs)


class MessageRecipient(models.Model):
    """One account's copy of a message: the only thing that changes is when it was read.

    ``(account, message)`` is unique, and its index is the inbox's: an index range per account;
    a partial index on unread rows keeps the header's unread badge cheap.
    """

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-message_id"]
        verbose_name = _("message recipient")
        verbose_name_plural = _("message recipients")
        constraints = [
            models.UniqueConstraint(fields=["account", "message"], name="message_once_per_account"),
        ]
        indexes = [
            # the unique constraint above is the inbox's index (scanned backwards, newest first)
            models.Index(
                fields=["account"], condition=Q(read_at__isnull=True), name="message_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.account_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class BroadcastDelivery(models.Model):
    """The background delivery of one broadcast: accepted at once (the ``Message`` row and this
    one), then a task writes the recipients range by range of account ids. ``next_account_id``
    is where the next range starts, moved in the same transaction as the range's rows, so a
    worker killed half-way resumes there and the unique ``(account, message)`` makes a range
    written twice harmless. ``Message`` stays immutable; the progress lives here."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DONE = "done", _("Delivered")

    message = models.OneToOneField(
        Message, on_delete=models.PROTECT, related_name="delivery", primary_key=True
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    next_account_id = models.BigIntegerField(default=0)
    recipients = models.PositiveIntegerField(default=0)
    emails = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("broadcast delivery")
        verbose_name_plural = _("broadcast deliveries")

    def __str__(self) -> str:
        return f"{self.message_id}: {self.status}"


class NotificationKind(models.TextChoices):
    """Automatic notices (and broadcasts): each may also come by e-mail, as the subscriber
    chooses (``NotificationPreference``), except the password reset, which always does."""

    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    LOW_BALANCE = "low_balance", _("Low balance")
    BLOCKED = "blocked", _("Access blocked")
    UNBLOCKED = "unblocked", _("Access resumed")
    TARIFF_CHANGE_APPLIED = "tariff_change_applied", _("Tariff change applied")
    TARIFF_CHANGE_REJECTED = "tariff_change_rejected", _("Tariff change rejected")
    ADDON_CONNECTED = "addon_connected", _("Add-on connected")
    PASSWORD_RESET = "password_reset", _("Password reset by staff")
    TICKET_ANSWERED = "ticket_answered", _("Reply from technical support")
    BROADCAST = "broadcast", _("News and announcements")


# Always e-mailed (to an account with an address); not a choice in the settings page.
ALWAYS_EMAILED = frozenset({NotificationKind.PASSWORD_RESET})


class NotificationPreference(models.Model):
    """Whether one kind of notice also comes by e-mail to the account. A kind with no row
    follows the default (``messaging.preferences.EMAIL_DEFAULTS``), so only the subscriber's
    changes are stored and a new kind needs no data migration."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    by_email = models.BooleanField(_("by e-mail"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], name="notification_pref_once"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind}: {self.by_email}"


class NotificationLog(models.Model):
    """One row per notice sent, keyed by the event (``payment_received:<entry id>``,
    ``low_balance:<account>:<month>``, …). The unique key is what makes each notice fire
    exactly once, whether a hook runs twice or a task is run again after a crash."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    key = models.CharField(max_length=120, unique=True)
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.key


class EmailStatus(models.TextChoices):
    """Where an e-mail of the outbox stands."""

    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Refused by the mail server")


class EmailOutbox(models.Model):
    """One e-mail to send, written in the same transaction as the event it tells about, so it
    exists exactly when the event does; the worker sends it later (``messaging.outbox``).

    A notice's e-mail is rendered when it is written (subject, text and HTML, in the account's
    language). A broadcast's e-mails are 100 000 narrow rows pointing at the ``Message``
    (immutable), rendered when sent: a broadcast does not store its text 100 000 times.
    """

    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    to_email = models.EmailField(_("to"))
    language = models.CharField(max_length=8, default="ru")
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    # every try (drives the backoff) and the tries the server refused (drive the failed marker:
    # a server that cannot be reached refuses nothing, and mail waits for it however long)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    refusals = models.PositiveIntegerField(_("refusals"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EmailStatus.values), name="email_status_known"
            ),
            models.UniqueConstraint(
                fields=["message", "account"],
                condition=Q(message__isnull=False),
                name="email_broadcast_once_per_account",
            ),
        ]
        indexes = [
            # the worker's look-up: what is due, oldest first; sent rows are not in it
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status__in=["pending", "sending"]),
                name="email_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to_email}: {self.subject or self.message_id}"
