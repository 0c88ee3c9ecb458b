"""The demo provider's catalogue: a regional ISP like SPNET in Sergiev Posad.

Plain data, keyed by slug; ``abonent.demo.services`` upserts it. Amounts are integer kopecks,
speeds kbit/s. Tariffs and add-ons name their service kind by its slug (``"kind"``).
"""

from __future__ import annotations

from typing import Any

MBIT = 1_000  # kbit/s

SERVICE_KINDS: list[dict[str, Any]] = [
    {
        "slug": "internet",
        "category": "internet",
        "name": "Интернет",
        "name_en": "Internet",
        "summary": "Оптика в многоквартирные дома и частный сектор, до 1 Гбит/с без ограничений",
        "summary_en": "Fibre to apartment blocks and private houses, up to 1 Gbit/s, no caps",
        "icon": "internet",
        "position": 10,
    },
    {
        "slug": "digital-tv",
        "category": "tv",
        "name": "Цифровое телевидение",
        "name_en": "Digital TV",
        "summary": "Сотни каналов в HD по кабелю — на любом телевизоре с DVB-C",
        "summary_en": "Hundreds of HD channels over cable, on any DVB-C television",
        "icon": "tv",
        "position": 20,
    },
    {
        "slug": "cloud-tv",
        "category": "tv",
        "name": "Облачное ТВ",
        "name_en": "Cloud TV",
        "summary": "Телевидение на Smart TV, телефоне и компьютере: пауза, перемотка и архив",
        "summary_en": "TV on Smart TVs, phones and computers: pause, rewind and a catch-up archive",
        "icon": "cloud",
        "position": 30,
    },
    {
        "slug": "telephony",
        "category": "telephony",
        "name": "Телефония",
        "name_en": "Telephony",
        "summary": "Городской номер 8-496 для дома и офиса",
        "summary_en": "A local 8-496 number for home and office",
        "icon": "phone",
        "position": 40,
    },
    {
        "slug": "cctv",
        "category": "cctv",
        "name": "Видеонаблюдение",
        "name_en": "Video surveillance",
        "summary": "Камеры у подъезда, дома и на участке с облачным архивом записей",
        "summary_en": "Cameras at the entrance, at home and on the plot, with a cloud archive",
        "icon": "camera",
        "position": 50,
    },
    {
        "slug": "datacenter",
        "category": "datacenter",
        "name": "Аренда в дата-центре",
        "name_en": "Data-centre rental",
        "summary": "Размещение серверов в нашем дата-центре в Сергиевом Посаде",
        "summary_en": "Server colocation in our data centre in Sergiev Posad",
        "icon": "server",
        "position": 60,
    },
]

_APARTMENT_NOTE = (
    "Подключение бесплатно. Оптический кабель до дома, в квартиру — витая пара; "
    "скорость не зависит от времени суток и объёма трафика."
)
_APARTMENT_NOTE_EN = (
    "Free connection. Fibre to the building, twisted pair to the flat; the speed does not "
    "depend on the time of day or the traffic used."
)
_HOUSE_NOTE = (
    "Подключение частного дома по технологии GPON: оптика прямо в дом, "
    "оптический терминал предоставляется на время договора."
)
_HOUSE_NOTE_EN = (
    "Private houses are connected over GPON: fibre right into the house, with an optical "
    "terminal lent for the term of the contract."
)

TARIFFS: list[dict[str, Any]] = [
    # --- Internet, apartment blocks ----------------------------------------------------------
    {
        "slug": "kvartira-100",
        "kind": "internet",
        "building_type": "apartment",
        "name": "Старт 100",
        "name_en": "Start 100",
        "description": "До 100 Мбит/с — для почты, новостей, видео в HD и учёбы. "
        + _APARTMENT_NOTE,
        "description_en": "Up to 100 Mbit/s for mail, news, HD video and study. "
        + _APARTMENT_NOTE_EN,
        "fee_kop": 45_000,
        "fee_period": "month",
        "download_kbps": 100 * MBIT,
        "upload_kbps": 100 * MBIT,
        "position": 10,
    },
    {
        "slug": "kvartira-300",
        "kind": "internet",
        "building_type": "apartment",
        "name": "Оптима 300",
        "name_en": "Optima 300",
        "description": "До 300 Мбит/с — для семьи: несколько фильмов в 4K, онлайн-игры и "
        "видеозвонки одновременно. " + _APARTMENT_NOTE,
        "description_en": "Up to 300 Mbit/s for a family: several 4K films, online games and "
        "video calls at once. " + _APARTMENT_NOTE_EN,
        "fee_kop": 65_000,
        "fee_period": "month",
        "download_kbps": 300 * MBIT,
        "upload_kbps": 300 * MBIT,
        "is_featured": True,
        "position": 20,
    },
    {
        "slug": "kvartira-500",
        "kind": "internet",
        "building_type": "apartment",
        "name": "Турбо 500",
        "name_en": "Turbo 500",
        "description": "До 500 Мбит/с — для тех, кто работает из дома и качает большие файлы. "
        + _APARTMENT_NOTE,
        "description_en": "Up to 500 Mbit/s for working from home and large downloads. "
        + _APARTMENT_NOTE_EN,
        "fee_kop": 85_000,
        "fee_period": "month",
        "download_kbps": 500 * MBIT,
        "upload_kbps": 500 * MBIT,
        "is_featured": True,
        "position": 30,
    },
    {
        "slug": "kvartira-1000",
        "kind": "internet",
        "building_type": "apartment",
        "name": "Гигабит",
        "name_en": "Gigabit",
        "description": "До 1 Гбит/с. Перед подключением инженер проверяет, что в доме есть "
        "гигабитный порт, поэтому переход на тариф подтверждает сотрудник. " + _APARTMENT_NOTE,
        "description_en": "Up to 1 Gbit/s. An engineer checks that the building has a gigabit "
        "port first, so a change to this tariff is approved by staff. " + _APARTMENT_NOTE_EN,
        "fee_kop": 120_000,
        "fee_period": "month",
        "download_kbps": 1000 * MBIT,
        "upload_kbps": 1000 * MBIT,
        "needs_approval": True,
        "position": 40,
    },
    {
        "slug": "kvartira-sutochny",
        "kind": "internet",
        "building_type": "apartment",
        "name": "Посуточный",
        "name_en": "Daily",
        "description": "До 100 Мбит/с с посуточной оплатой: плата списывается только за дни, "
        "когда на счёте есть деньги. Удобно на даче по выходным и тем, кто пользуется "
        "интернетом нерегулярно.",
        "description_en": "Up to 100 Mbit/s, paid by the day: the fee is charged only for the "
        "days the balance covers. Handy for weekends and occasional use.",
        "fee_kop": 2_500,
        "fee_period": "day",
        "download_kbps": 100 * MBIT,
        "upload_kbps": 100 * MBIT,
        "position": 50,
    },
    # --- Internet, private houses ------------------------------------------------------------
    {
        "slug": "dom-100",
        "kind": "internet",
        "building_type": "house",
        "name": "Дом 100",
        "name_en": "House 100",
        "description": "До 100 Мбит/с для частного дома. " + _HOUSE_NOTE,
        "description_en": "Up to 100 Mbit/s for a private house. " + _HOUSE_NOTE_EN,
        "fee_kop": 70_000,
        "fee_period": "month",
        "download_kbps": 100 * MBIT,
        "upload_kbps": 50 * MBIT,
        "position": 10,
    },
    {
        "slug": "dom-300",
        "kind": "internet",
        "building_type": "house",
        "name": "Дом 300",
        "name_en": "House 300",
        "description": "До 300 Мбит/с: хватит на весь дом, камеры на участке и телевизор. "
        + _HOUSE_NOTE,
        "description_en": "Up to 300 Mbit/s: enough for the whole house, the cameras on the plot "
        "and the TV. " + _HOUSE_NOTE_EN,
        "fee_kop": 95_000,
        "fee_period": "month",
        "download_kbps": 300 * MBIT,
        "upload_kbps": 150 * MBIT,
        "is_featured": True,
        "position": 20,
    },
    {
        "slug": "dom-500",
        "kind": "internet",
        "building_type": "house",
        "name": "Дом 500",
        "name_en": "House 500",
        "description": "До 500 Мбит/с для большой семьи и работы из дома. " + _HOUSE_NOTE,
        "description_en": "Up to 500 Mbit/s for a large family and working from home. "
        + _HOUSE_NOTE_EN,
        "fee_kop": 130_000,
        "fee_period": "month",
        "download_kbps": 500 * MBIT,
        "upload_kbps": 250 * MBIT,
        "position": 30,
    },
    # --- Digital TV --------------------------------------------------------------------------
    {
        "slug": "tv-bazovy",
        "kind": "digital-tv",
        "name": "Базовый",
        "name_en": "Basic",
        "description": "120 каналов, из них 40 в HD: федеральные, новостные, познавательные и "
        "детские. Работает на любом телевизоре с цифровым тюнером DVB-C.",
        "description_en": "120 channels, 40 of them in HD: national, news, documentary and "
        "children's. Works on any television with a DVB-C tuner.",
        "fee_kop": 25_000,
        "fee_period": "month",
        "channels": 120,
        "position": 10,
    },
    {
        "slug": "tv-rasshirenny",
        "kind": "digital-tv",
        "name": "Расширенный",
        "name_en": "Extended",
        "description": "210 каналов, из них 85 в HD, включая спортивные и музыкальные. "
        "Второй телевизор в квартире — бесплатно.",
        "description_en": "210 channels, 85 of them in HD, sports and music included. "
        "A second TV set in the flat is free.",
        "fee_kop": 40_000,
        "fee_period": "month",
        "channels": 210,
        "position": 20,
    },
    # --- Cloud TV ----------------------------------------------------------------------------
    {
        "slug": "cloud-tv-light",
        "kind": "cloud-tv",
        "name": "Облачное ТВ Лайт",
        "name_en": "Cloud TV Light",
        "description": "150 каналов на Smart TV, приставке, телефоне и компьютере — до трёх "
        "устройств одновременно. Пауза, перемотка и архив передач за 3 дня.",
        "description_en": "150 channels on a Smart TV, set-top box, phone and computer, on up "
        "to three devices at once. Pause, rewind and a 3-day catch-up archive.",
        "fee_kop": 19_900,
        "fee_period": "month",
        "channels": 150,
        "is_featured": True,
        "position": 10,
    },
    {
        "slug": "cloud-tv-max",
        "kind": "cloud-tv",
        "name": "Облачное ТВ Максимум",
        "name_en": "Cloud TV Maximum",
        "description": "260 каналов на пяти устройствах одновременно, архив передач за 7 дней "
        "и запись любимых программ в облако.",
        "description_en": "260 channels on five devices at once, a 7-day catch-up archive and "
        "recording of favourite shows to the cloud.",
        "fee_kop": 34_900,
        "fee_period": "month",
        "channels": 260,
        "position": 20,
    },
    # --- Telephony ---------------------------------------------------------------------------
    {
        "slug": "phone-gorod",
        "kind": "telephony",
        "name": "Городской номер",
        "name_en": "Local number",
        "description": "Городской номер 8-496, 300 минут в месяц на городские номера "
        "Сергиева Посада и Московской области, входящие бесплатно.",
        "description_en": "A local 8-496 number with 300 minutes a month to landlines in "
        "Sergiev Posad and the Moscow region; incoming calls are free.",
        "fee_kop": 25_000,
        "fee_period": "month",
        "position": 10,
    },
    {
        "slug": "phone-bezlimit",
        "kind": "telephony",
        "name": "Безлимитный городской",
        "name_en": "Unlimited local",
        "description": "Городской номер 8-496 без ограничения минут на городские номера "
        "Московского региона. Подходит для офиса: до двух параллельных разговоров.",
        "description_en": "A local 8-496 number with unlimited minutes to landlines in the "
        "Moscow region. Fits an office: up to two calls at once.",
        "fee_kop": 45_000,
        "fee_period": "month",
        "position": 20,
    },
    # --- Video surveillance ------------------------------------------------------------------
    {
        "slug": "cctv-1",
        "kind": "cctv",
        "name": "Одна камера",
        "name_en": "One camera",
        "description": "Одна Full HD камера у двери или на участке, архив записей 7 дней в "
        "облаке, просмотр с телефона. Камера — в аренду, установка бесплатно.",
        "description_en": "One Full HD camera at the door or on the plot, a 7-day cloud archive, "
        "viewing from a phone. The camera is rented, installation is free.",
        "fee_kop": 30_000,
        "fee_period": "month",
        "position": 10,
    },
    {
        "slug": "cctv-4",
        "kind": "cctv",
        "name": "Двор и подъезд",
        "name_en": "Yard and entrance",
        "description": "До четырёх камер с ночной съёмкой, архив 30 дней, доступ для "
        "нескольких жильцов или председателя ТСЖ, выгрузка записей по запросу.",
        "description_en": "Up to four night-vision cameras, a 30-day archive, access for several "
        "residents or the housing association, recordings exported on request.",
        "fee_kop": 150_000,
        "fee_period": "month",
        "position": 20,
    },
    # --- Data-centre rental ------------------------------------------------------------------
    {
        "slug": "dc-1u",
        "kind": "datacenter",
        "name": "Юнит в стойке (1U)",
        "name_en": "One rack unit (1U)",
        "description": "Место для сервера высотой 1U, до 300 Вт, порт 1 Гбит/с, один IPv4-адрес, "
        "бесперебойное питание и круглосуточный доступ инженеров.",
        "description_en": "Space for a 1U server, up to 300 W, a 1 Gbit/s port, one IPv4 address, "
        "uninterruptible power and engineers on site around the clock.",
        "fee_kop": 250_000,
        "fee_period": "month",
        "position": 10,
    },
    {
        "slug": "dc-rack",
        "kind": "datacenter",
        "name": "Стойка 42U",
        "name_en": "Full rack (42U)",
        "description": "Отдельная запираемая стойка 42U, до 5 кВт, два независимых ввода "
        "питания, 10 Гбит/с и подсеть /29.",
        "description_en": "A private lockable 42U rack, up to 5 kW, two independent power feeds, "
        "10 Gbit/s and a /29 subnet.",
        "fee_kop": 3_500_000,
        "fee_period": "month",
        "position": 20,
    },
]

ADDONS: list[dict[str, Any]] = [
    {
        "slug": "static-ip",
        "kind": "internet",
        "name": "Статический IP-адрес",
        "name_en": "Static IP address",
        "description": "Постоянный внешний IPv4-адрес: для камер, удалённого доступа и "
        "своего сервера.",
        "description_en": "A permanent public IPv4 address for cameras, remote access and "
        "your own server.",
        "fee_kop": 15_000,
        "period": "month",
        "grants_static_ip": True,
        "position": 10,
    },
    {
        "slug": "router-rent",
        "kind": "internet",
        "name": "Аренда Wi-Fi роутера",
        "name_en": "Wi-Fi router rental",
        "description": "Двухдиапазонный роутер Wi-Fi 6; заменим бесплатно, если сломается.",
        "description_en": "A dual-band Wi-Fi 6 router; replaced for free if it breaks.",
        "fee_kop": 10_000,
        "period": "month",
        "position": 20,
    },
    {
        "slug": "antivirus",
        "kind": "internet",
        "name": "Антивирус",
        "name_en": "Antivirus",
        "description": "Защита для трёх устройств: компьютеры, телефоны и планшеты.",
        "description_en": "Protection for three devices: computers, phones and tablets.",
        "fee_kop": 12_900,
        "period": "month",
        "position": 30,
    },
    {
        "slug": "speed-boost",
        "kind": "internet",
        "name": "Турбокнопка",
        "name_en": "Speed boost",
        "description": "Скорость вашего тарифа удваивается на сутки — чтобы быстро скачать "
        "игру или обновления.",
        "description_en": "Your tariff's speed doubled for a day, to download a game or "
        "updates quickly.",
        "fee_kop": 3_000,
        "period": "day",
        "position": 40,
    },
    {
        "slug": "tv-kino",
        "kind": "digital-tv",
        "name": "Пакет «Кино»",
        "name_en": "Cinema package",
        "description": "12 кино-каналов без рекламы: премьеры, сериалы и классика.",
        "description_en": "12 ad-free film channels: premieres, series and classics.",
        "fee_kop": 29_900,
        "period": "month",
        "position": 50,
    },
    {
        "slug": "tv-detsky",
        "kind": "digital-tv",
        "name": "Пакет «Детский»",
        "name_en": "Kids package",
        "description": "8 каналов мультфильмов и познавательных передач для детей.",
        "description_en": "8 channels of cartoons and educational shows for children.",
        "fee_kop": 9_900,
        "period": "month",
        "position": 60,
    },
    {
        "slug": "tv-sport",
        "kind": "digital-tv",
        "name": "Пакет «Спорт»",
        "name_en": "Sport package",
        "description": "6 спортивных каналов в HD: футбол, хоккей, теннис и единоборства.",
        "description_en": "6 sports channels in HD: football, hockey, tennis and combat sports.",
        "fee_kop": 24_900,
        "period": "month",
        "position": 70,
    },
    {
        "slug": "router-setup",
        "kind": None,
        "name": "Настройка роутера",
        "name_en": "Router setup",
        "description": "Мастер приедет и настроит ваш роутер, Wi-Fi и Smart TV. Оплата один раз.",
        "description_en": "A technician visits to set up your router, Wi-Fi and Smart TV. "
        "Paid once.",
        "fee_kop": 50_000,
        "period": "once",
        "position": 80,
    },
    {
        "slug": "cctv-extra-camera",
        "kind": "cctv",
        "name": "Дополнительная камера",
        "name_en": "Extra camera",
        "description": "Ещё одна Full HD камера с тем же архивом, что и по тарифу.",
        "description_en": "One more Full HD camera with the same archive as the tariff.",
        "fee_kop": 15_000,
        "period": "month",
        "position": 90,
    },
]
