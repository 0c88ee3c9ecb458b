"""Showing provider mail: plain text with clickable links, everything else escaped."""

from __future__ import annotations

from django import template
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter(is_safe=True)
def message_text(value: str) -> SafeString:
    """Plain text → HTML: every character escaped, web addresses made into links that open
    without handing over the cabinet's address, paragraphs and line breaks kept."""
    html = urlize(str(value or ""), trim_url_limit=60, nofollow=True, autoescape=True)
    html = html.replace('rel="nofollow"', 'rel="nofollow noopener noreferrer"')
    paragraphs = [p.replace("\n", "<br>") for p in html.split("\n\n") if p.strip()]
    return mark_safe("".join(f"<p>{p}</p>" for p in paragraphs))  # noqa: S308 — escaped above


@register.filter
def message_preview(value: str, length: int = 140) -> str:
    """The first words of a message on one line, for the inbox (escaped by the template)."""
    text = " ".join(str(value or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
