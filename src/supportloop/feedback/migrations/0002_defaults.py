"""Default bug-report pick-lists, closing-the-loop templates (en, zh-hans, ru) and the settings row.

Admins edit all of these afterwards; the reverse removes only rows that still hold the default values.
"""

from django.db import migrations

PICKLISTS = {
    "version": ["2.4", "2.5", "2.6", "2.7 (beta)", "Mobile app 5.x", "API v1"],
    "environment_browser": ["Chrome", "Firefox", "Safari", "Edge", "Mobile app", "Not a browser (API)"],
    "environment_os": ["Windows", "macOS", "Linux", "iOS", "Android", "Other"],
    "environment_device": ["Desktop", "Laptop", "Tablet", "Phone", "Server"],
}

TEMPLATES = {
    ("shipped", "en"): (
        "You asked, we built it: {{ item_title }}",
        'Hello {{ name }},\n\nA while ago you told us you needed "{{ item_title }}". It is now available.\n\n'
        "{{ release_note }}\n\nThank you for taking the time to tell us. Reply to this message if anything is "
        "missing.\n\n{{ workspace }}",
    ),
    ("declined", "en"): (
        "About your request: {{ item_title }}",
        'Hello {{ name }},\n\nYou asked us for "{{ item_title }}". We have looked at it carefully and decided '
        "not to build it.\n\n{{ decline_reason }}\n\nWe would rather tell you honestly than leave you waiting. "
        "Thank you for telling us.\n\n{{ workspace }}",
    ),
    ("shipped", "zh-hans"): (
        "您提出的需求已上线：{{ item_title }}",
        "{{ name }}，您好：\n\n您曾告诉我们需要“{{ item_title }}”。现在它已经上线了。\n\n{{ release_note }}\n\n"
        "感谢您花时间反馈。如有任何不足，请直接回复此邮件。\n\n{{ workspace }}",
    ),
    ("declined", "zh-hans"): (
        "关于您的需求：{{ item_title }}",
        "{{ name }}，您好：\n\n您曾向我们提出“{{ item_title }}”。经过认真评估，我们决定暂不开发。\n\n"
        "{{ decline_reason }}\n\n与其让您一直等待，我们更愿意如实相告。感谢您的反馈。\n\n{{ workspace }}",
    ),
    ("shipped", "ru"): (
        "Вы просили — мы сделали: {{ item_title }}",
        "Здравствуйте, {{ name }}!\n\nВы писали нам, что вам нужно «{{ item_title }}». Теперь это доступно.\n\n"
        "{{ release_note }}\n\nСпасибо, что нашли время рассказать нам. Если чего-то не хватает, просто ответьте "
        "на это письмо.\n\n{{ workspace }}",
    ),
    ("declined", "ru"): (
        "О вашем запросе: {{ item_title }}",
        "Здравствуйте, {{ name }}!\n\nВы просили нас о «{{ item_title }}». Мы внимательно всё взвесили и решили "
        "этого не делать.\n\n{{ decline_reason }}\n\nЛучше сказать честно, чем заставлять вас ждать. Спасибо за "
        "ваш отзыв.\n\n{{ workspace }}",
    ),
}


def forwards(apps, schema_editor):
    PickListOption = apps.get_model("feedback", "PickListOption")
    NoticeTemplate = apps.get_model("feedback", "NoticeTemplate")
    FeedbackSettings = apps.get_model("feedback", "FeedbackSettings")
    for field, values in PICKLISTS.items():
        for position, value in enumerate(values):
            PickListOption.objects.get_or_create(field=field, value=value, defaults={"position": position})
    for (kind, language), (subject, body) in TEMPLATES.items():
        NoticeTemplate.objects.get_or_create(kind=kind, language=language, defaults={"subject": subject, "body": body})
    FeedbackSettings.objects.get_or_create(pk=1)


def backwards(apps, schema_editor):
    PickListOption = apps.get_model("feedback", "PickListOption")
    NoticeTemplate = apps.get_model("feedback", "NoticeTemplate")
    for field, values in PICKLISTS.items():
        PickListOption.objects.filter(field=field, value__in=values).delete()
    for (kind, language), (subject, body) in TEMPLATES.items():
        NoticeTemplate.objects.filter(kind=kind, language=language, subject=subject, body=body).delete()


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
