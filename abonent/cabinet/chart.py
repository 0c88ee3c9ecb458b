"""The balance chart of the history page, drawn on the server as inline SVG (no script, no CDN).

One point per day: the balance after the last entry of that day. The line is a step line
(the balance holds until the next entry). The outer SVG is sized in CSS pixels, so labels keep
a readable size on a phone; only the plot inside stretches horizontally
(``preserveAspectRatio="none"`` with a non-scaling stroke), and dots and labels are placed in
percentages of the width.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from abonent.core.money import format_money

HEIGHT = 240
TOP = 22
PLOT_H = 172
LABEL_Y = 226
INNER_W = 1000
MAX_DOTS = 62


@dataclass
class BalanceChart:
    """The chart's markup and a few facts for the page around it."""

    svg: SafeString
    points: int
    first: dt.date
    last: dt.date


def daily_balances(rows: Iterable[tuple[dt.datetime, int]]) -> list[tuple[dt.date, int]]:
    """(created_at, balance_after_kop) in time order → one (day, last balance) per day, in the
    provider's time zone."""
    per_day: dict[dt.date, int] = {}
    for created_at, balance in rows:
        per_day[timezone.localtime(created_at).date()] = balance
    return sorted(per_day.items())


def _nice_step(span_kop: int) -> int:
    """A round step in kopecks (1, 2 or 5 × 10ⁿ roubles) that splits ``span_kop`` in ~3."""
    raw = max(span_kop // 3, 100)
    step = 100
    while True:
        for factor in (1, 2, 5):
            if step * factor >= raw:
                return step * factor
        step *= 10


def _day_label(day: dt.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def balance_chart(days: list[tuple[dt.date, int]]) -> BalanceChart | None:
    """The SVG for daily balances, or None when there is nothing to draw."""
    if not days:
        return None
    values = [v for _d, v in days]
    step = _nice_step(max(max(values), 0) - min(min(values), 0))
    lo = min(min(values), 0)
    hi = max(max(values), 0)
    lo = -((-lo + step - 1) // step) * step  # down to a whole step
    hi = ((hi + step - 1) // step) * step or step
    first, last = days[0][0], days[-1][0]
    span = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        if first == last:
            return INNER_W / 2
        return 10 + (day - first).days * (INNER_W - 20) / span

    def y(value: int) -> float:
        return (hi - value) * PLOT_H / (hi - lo)

    parts: list[str] = []
    title = _("Balance over time")
    low = min(days, key=lambda p: p[1])
    high = max(days, key=lambda p: p[1])
    desc = _(
        "From %(first_day)s to %(last_day)s the balance went from %(first)s to %(last)s; "
        "lowest %(low)s on %(low_day)s, highest %(high)s on %(high_day)s."
    ) % {
        "first_day": _day_label(first),
        "last_day": _day_label(last),
        "first": format_money(days[0][1]),
        "last": format_money(days[-1][1]),
        "low": format_money(low[1]),
        "low_day": _day_label(low[0]),
        "high": format_money(high[1]),
        "high_day": _day_label(high[0]),
    }
    parts.append(
        f'<svg class="balance-chart" width="100%" height="{HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(desc)}</desc>'
    )
    # Horizontal grid with money labels above each line.
    for value in range(lo, hi + 1, step):
        gy = TOP + y(value)
        cls = "chart-zero" if value == 0 else "chart-grid"
        parts.append(f'<line class="{cls}" x1="0" x2="100%" y1="{gy:.1f}" y2="{gy:.1f}"/>')
        parts.append(
            f'<text class="chart-label" x="2" y="{gy - 5:.1f}">'
            f"{escape(format_money(value, cents=False))}</text>"
        )
    # The plot: stretched horizontally only.
    steps: list[str] = []
    prev: float | None = None
    for day, value in days:
        px, py = x(day), y(value)
        if prev is not None:
            steps.append(f"{px:.1f},{prev:.1f}")
        steps.append(f"{px:.1f},{py:.1f}")
        prev = py
    if len(days) == 1:
        steps = [f"{INNER_W / 2 - 40:.1f},{prev:.1f}", f"{INNER_W / 2 + 40:.1f},{prev:.1f}"]
    baseline = y(max(lo, 0)) if lo < 0 else PLOT_H
    x0, x1 = steps[0].split(",")[0], steps[-1].split(",")[0]
    area = " ".join([f"{x0},{baseline:.1f}", *steps, f"{x1},{baseline:.1f}"])
    parts.append(
        f'<svg x="0" y="{TOP}" width="100%" height="{PLOT_H}" '
        f'viewBox="0 0 {INNER_W} {PLOT_H}" preserveAspectRatio="none" aria-hidden="true">'
        f'<polygon class="chart-area" points="{area}"/>'
        f'<polyline class="chart-line" points="{" ".join(steps)}" '
        f'vector-effect="non-scaling-stroke"/></svg>'
    )
    if len(days) <= MAX_DOTS:
        for day, value in days:
            cls = "chart-dot chart-dot-neg" if value < 0 else "chart-dot"
            parts.append(
                f'<circle class="{cls}" cx="{x(day) / 10:.2f}%" cy="{TOP + y(value):.1f}" r="3.5">'
                f"<title>{escape(_day_label(day))}: {escape(format_money(value))}</title>"
                "</circle>"
            )
    # Dates along the bottom: first, middle, last.
    labels = [(first, "0", "start")]
    if span >= 4:
        middle = first + dt.timedelta(days=span // 2)
        labels.append((middle, f"{x(middle) / 10:.2f}%", "middle"))
    if last != first:
        labels.append((last, "100%", "end"))
    for day, lx, anchor in labels:
        parts.append(
            f'<text class="chart-label" x="{lx}" y="{LABEL_Y}" text-anchor="{anchor}">'
            f"{escape(_day_label(day))}</text>"
        )
    parts.append("</svg>")
    return BalanceChart(svg=mark_safe("".join(parts)), points=len(days), first=first, last=last)  # noqa: S308
