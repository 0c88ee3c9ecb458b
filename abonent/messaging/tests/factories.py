"""Helpers for mail tests: many messages for one account, written in bulk."""

from __future__ import annotations

from abonent.messaging.models import Message, MessageAudience, MessageCategory, MessageRecipient


def inbox_fill(*, account_id: int, count: int, unread_every: int = 3) -> list[Message]:
    """``count`` personal messages to the account, every ``unread_every``-th one unread,
    categories in turn (bulk inserts: fast enough for 10 000)."""
    from django.utils import timezone

    categories = MessageCategory.values
    messages = Message.objects.bulk_create(
        Message(
            category=categories[n % len(categories)],
            subject=f"Сообщение {n}",
            body=f"Текст сообщения номер {n}.",
            audience=MessageAudience.ACCOUNT,
            segment={"account_id": account_id},
        )
        for n in range(count)
    )
    if messages and messages[0].pk is None:  # backends that do not return ids
        messages = list(Message.objects.order_by("-id")[:count])[::-1]
    now = timezone.now()
    MessageRecipient.objects.bulk_create(
        MessageRecipient(
            message=message,
            account_id=account_id,
            read_at=None if n % unread_every == 0 else now,
        )
        for n, message in enumerate(messages)
    )
    return messages
