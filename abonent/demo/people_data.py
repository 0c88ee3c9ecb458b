"""The demo provider's people: one staff login per role and a few connection requests.

Requests walk their path through ``steps``: each step is ``(status, note)`` and a
``scheduled`` step takes the connection address and an offset from today at a local time.
"""

from __future__ import annotations

from typing import Any

DEFAULT_PASSWORD = "abonent-demo"  # noqa: S105  (demo only; printed by the command)

STAFF: list[dict[str, Any]] = [
    {
        "username": "admin",
        "first_name": "Алексей",
        "last_name": "Смирнов",
        "roles": ["admin"],
        "is_superuser": True,
    },
    {"username": "manager", "first_name": "Ольга", "last_name": "Кузнецова", "roles": ["manager"]},
    {"username": "cashier", "first_name": "Наталья", "last_name": "Волкова", "roles": ["cashier"]},
    {"username": "support", "first_name": "Дмитрий", "last_name": "Орлов", "roles": ["support"]},
]

# The manager who works the demo queue (must be in STAFF).
LEADS_MANAGER = "manager"

LEADS: list[dict[str, Any]] = [
    {
        "name": "Анна Соколова",
        "phone": "8 (916) 204-11-35",
        "tariff": "kvartira-300",
        "address": "ул. Вознесенская, д. 40, кв. 12",
        "comment": "Удобно звонить после 18:00",
        "steps": [],
    },
    {
        "name": "Сергей Морозов",
        "phone": "+7 926 518-40-07",
        "tariff": "dom-300",
        "address": "д. Марьино, ул. Садовая, д. 7",
        "comment": "Дом на участке, от столба 40 метров",
        "steps": [],
    },
    {
        "name": "Елена Павлова",
        "phone": "89031117722",
        "tariff": "cloud-tv-max",
        "address": "",
        "comment": "",
        "steps": [("contacted", "Перезвонить в четверг, уточнит адрес и удобное время")],
    },
    {
        "name": "Игорь Лебедев",
        "phone": "+7 (985) 300-12-44",
        "tariff": "kvartira-1000",
        "address": "пр-т Красной Армии, д. 212, кв. 45",
        "comment": "",
        "steps": [
            ("contacted", "Договорились о подключении, нужен гигабитный порт"),
            (
                "scheduled",
                "Бригада № 2, взять роутер Wi-Fi 6",
                {"address": "пр-т Красной Армии, д. 212, кв. 45", "days": 1, "hour": 10},
            ),
        ],
    },
    {
        "name": "Татьяна Николаева",
        "phone": "8 915 640 22 19",
        "tariff": "kvartira-500",
        "address": "ул. Дружбы, д. 9, кв. 78",
        "comment": "",
        "steps": [
            ("contacted", ""),
            ("scheduled", "", {"address": "ул. Дружбы, д. 9, кв. 78", "days": -2, "hour": 14}),
            ("connected", "Подключено, договор подписан, абонент пополнит счёт сам"),
        ],
    },
    {
        "name": "Павел Григорьев",
        "phone": "+7 977 845-63-01",
        "tariff": "dom-100",
        "address": "СНТ «Лесная поляна», уч. 112",
        "comment": "",
        "steps": [("cancelled", "Участок пока вне зоны покрытия; предложили позвонить весной")],
    },
]
