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

# The manager who works the demo queue and signs the demo contracts (must be in STAFF).
LEADS_MANAGER = "manager"
# The cashier who takes cash in the office (must be in STAFF); other payments have no actor.
PAYMENTS_CASHIER = "cashier"
OFFICE_CASH = "Оплата наличными в офисе"

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

# Subscribers, one or more in every account status. ``key`` is kept in the account's
# ``legacy_contract`` and is what a re-run finds it by. A date is either ``days`` ago (an int) or
# ``(months ago, day of month)``. ``payments`` are ``(date, kopecks, reason)``; ``paused`` is
# ``(date, days)`` of a voluntary pause; ``addons`` are ``(date, add-on slug)`` connected then.
# The billing engine lives through them day by day (demo/subscribers.py): the charge run charges
# the fees and blocks, payments activate and unblock. ``expect`` is the status that leads to
# today, whatever today's date (the tests check it on awkward dates); nothing sets it on the
# account.
SUBSCRIBERS: list[dict[str, Any]] = [
    {
        "key": "DEMO-1",
        "holder_name": "Николаева Татьяна Сергеевна",
        "address": "г. Сергиев Посад, ул. Дружбы, д. 9, кв. 78",
        "building_type": "apartment",
        "phone": "8 915 640 22 19",  # the connected request in LEADS
        "from_lead": True,
        "tariff": "kvartira-500",
        "start": 2,
        "payments": [],
        "expect": "new",
    },
    {
        "key": "DEMO-2",
        "holder_name": "Белов Андрей Викторович",
        "address": "г. Сергиев Посад, ул. 1-й Ударной Армии, д. 61, кв. 5",
        "building_type": "apartment",
        "phone": "+7 916 382-47-10",
        "tariff": "kvartira-300",
        "start": 4,
        "payments": [(1, 20_000, OFFICE_CASH)],
        "expect": "new",
    },
    {
        "key": "DEMO-3",
        "holder_name": "Кузьмина Мария Васильевна",
        "address": "г. Сергиев Посад, ул. Вознесенская, д. 32, кв. 17",
        "building_type": "apartment",
        "phone": "+7 903 215-66-48",
        "email": "m.kuzmina@example.com",
        "tariff": "kvartira-300",
        "start": (2, 10),
        "payments": [
            ((2, 10), 100_000, f"{OFFICE_CASH}, подключение"),
            ((2, 27), 70_000, "Оплата банковской картой"),
            ((1, 26), 100_000, "Оплата через СБП"),
        ],
        "expect": "active",
    },
    {
        "key": "DEMO-4",
        "holder_name": "Фролов Никита Андреевич",
        "address": "г. Сергиев Посад, пр-т Красной Армии, д. 203, кв. 91",
        "building_type": "apartment",
        "phone": "+7 926 741-02-39",
        "tariff": "kvartira-sutochny",
        "start": 12,
        "payments": [
            (12, 100_000, "Оплата банковской картой, подключение"),
            (5, 20_000, "Оплата через СБП"),
        ],
        "expect": "active",
    },
    {
        "key": "DEMO-5",
        "holder_name": "Голубев Сергей Петрович",
        "address": "Сергиево-Посадский г. о., д. Бужаниново, ул. Полевая, д. 15",
        "building_type": "house",
        "phone": "+7 985 604-18-77",
        "email": "golubev.sp@example.org",
        "tariff": "dom-300",
        "start": (3, 3),
        "payments": [
            ((3, 3), 150_000, f"{OFFICE_CASH}, подключение"),
            ((3, 28), 100_000, "Оплата банковской картой"),
            ((2, 26), 100_000, "Оплата банковской картой"),
            ((1, 27), 120_000, "Оплата банковской картой"),
        ],
        "addons": [((1, 28), "static-ip")],  # gets an address from the static IP pool
        "expect": "active",
    },
    {
        "key": "DEMO-6",
        "holder_name": "Егорова Людмила Николаевна",
        "address": "г. Сергиев Посад, ул. Кирова, д. 88, кв. 34",
        "building_type": "apartment",
        "phone": "+7 915 093-51-26",
        "tariff": "kvartira-100",
        "start": (2, 20),
        "payments": [((2, 20), 100_000, f"{OFFICE_CASH}, подключение")],
        "expect": "blocked",
    },
    {
        "key": "DEMO-7",
        "holder_name": "Титов Олег Михайлович",
        "address": "г. Сергиев Посад, Новоугличское ш., д. 48, кв. 112",
        "building_type": "apartment",
        "phone": "+7 977 260-34-85",
        "tariff": "kvartira-500",
        "start": (3, 14),
        "payments": [
            ((3, 14), 150_000, "Оплата через СБП, подключение"),
            ((2, 27), 150_000, "Оплата банковской картой"),
        ],
        "paused": ((1, 15), 60),
        "expect": "suspended",
    },
]
