"""A few canned answers to start with; support staff edit them at /staff/support/canned/."""

from django.db import migrations

ANSWERS = [
    (
        "Перезагрузка роутера",
        "Здравствуйте!\n\nПожалуйста, выключите роутер из розетки на 30 секунд и включите снова. "
        "Если связь не появится через 5 минут, ответьте на это сообщение — мы проверим линию.",
    ),
    (
        "Проверка скорости",
        "Здравствуйте!\n\nПроверьте, пожалуйста, скорость на компьютере, подключённом к роутеру "
        "кабелем, на сайте speedtest.net и пришлите снимок экрана с результатом.",
    ),
    (
        "Платёж зачислен",
        "Здравствуйте!\n\nВаш платёж зачислен на лицевой счёт, доступ восстановлен. "
        "Если интернет не появился, перезагрузите роутер.",
    ),
    (
        "Работы на линии",
        "Здравствуйте!\n\nНа линии в вашем доме идут работы. Мы сообщим, когда связь "
        "восстановится. Приносим извинения за неудобства.",
    ),
]


def seed(apps, schema_editor):
    CannedAnswer = apps.get_model("support", "CannedAnswer")
    for title, text in ANSWERS:
        CannedAnswer.objects.get_or_create(title=title, defaults={"text": text})


def unseed(apps, schema_editor):
    CannedAnswer = apps.get_model("support", "CannedAnswer")
    CannedAnswer.objects.filter(title__in=[title for title, _ in ANSWERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
