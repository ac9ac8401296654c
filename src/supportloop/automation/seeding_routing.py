"""The demo's routing and assignment: a "Password resets" team and rule (the seeds' example), Chinese and
Russian language rules into teams whose agents have those skills, each team's assignment method, agents'
capacity and skills, one agent away; then a few new tickets created through ticket_create, so the listener
routes and assigns them and their timelines show it."""

from __future__ import annotations

import random

from django.db import transaction

from supportloop.accounts.models import Team, User
from supportloop.accounts.services import team_create
from supportloop.automation.services.assignment import agent_profile_update, agent_set_away, team_assignment_update
from supportloop.automation.services.routing import routing_rule_create
from supportloop.customers.models import Contact
from supportloop.tickets.models import ProductArea
from supportloop.tickets.services import ticket_create

# username: (languages, capacity); every listed agent covers every product area.
SKILLS = {
    "agent": (["en"], 30),
    "tom": (["en"], 30),
    "sofia": (["es", "en"], 25),
    "mei": (["zh", "en"], 20),
    "haruto": (["ja", "zh", "en"], 20),
    "olga": (["ru", "en"], 20),
    "lukas": (["de", "en"], 25),
    "omar": (["ar", "en"], 25),
    "priya": (["en"], 30),
}
# team slug: (method, require skills, default capacity, when an agent goes away)
TEAMS = {
    "password-resets": ("round_robin", False, None, "unassign"),
    "tier-1": ("round_robin", False, 40, "leave"),
    "apac": ("least_loaded", True, 25, "reassign"),
    "languages": ("least_loaded", True, 25, "reassign"),
    "billing": ("manual", False, None, "leave"),
    "technical": ("manual", False, None, "leave"),
}
# (subject, body, language of the requester, channel)
NEW_TICKETS = [
    (
        "Can't reset my password",
        "The reset link in your email says it has expired. Can you send a new one?",
        "en",
        "email",
    ),
    ("Не приходит письмо для сброса", "Нажимаю «Забыли пароль?», но письмо не приходит уже час.", "ru", "email"),
    ("密码重置", "我忘记了密码，重置邮件一直收不到，请帮忙。", "zh", "web"),
    ("导出报表时出错", "导出 CSV 的时候页面一直转圈，最后提示超时。", "zh", "web"),
    (
        "Счёт выставлен дважды",
        "В этом месяце с нашей карты списали оплату два раза. Верните, пожалуйста, лишнее.",
        "ru",
        "email",
    ),
    (
        "Password expired for our SSO users",
        "Since this morning our team gets 'password expired' when signing in.",
        "en",
        "web",
    ),
]


def seed_routing(*, rng: random.Random, size: int) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=[*SKILLS, "admin"])}
    admin = users.get("admin")
    if admin is None:
        return  # not the demo workspace
    teams = {t.slug: t for t in Team.objects.all()}
    area_ids = list(ProductArea.objects.values_list("pk", flat=True))
    with transaction.atomic():
        if "password-resets" not in teams:
            members = [users[u] for u in ("agent", "tom", "sofia") if u in users]
            teams["password-resets"] = team_create(
                name="Password resets", slug="password-resets", members=members, actor=admin
            )
        for username, (languages, capacity) in SKILLS.items():
            if username in users:
                agent_profile_update(
                    user=users[username], actor=admin, languages=languages, capacity=capacity, product_area_ids=area_ids
                )
        for slug, (method, skills, team_capacity, away) in TEAMS.items():
            if slug in teams:
                team_assignment_update(
                    team=teams[slug],
                    actor=admin,
                    method=method,
                    require_skills=skills,
                    default_capacity=team_capacity,
                    on_agent_away=away,
                )
        billing = ProductArea.objects.filter(name="Billing").first()
        rules: list[dict] = [
            {
                "name": "Password resets",
                "keywords": ["password", "reset", "пароль", "密码"],
                "team": teams["password-resets"],
                "add_tags": ["password-reset"],
            },
            {"name": "Chinese", "languages": ["zh"], "team": teams.get("apac")},
            {"name": "Russian", "languages": ["ru"], "team": teams.get("languages")},
            {
                "name": "Enterprise billing",
                "plans": ["enterprise"],
                "product_area_ids": [billing.pk] if billing else [],
                "team": teams.get("billing"),
                "priority": "high",
            },
            {"name": "Phone calls to Tier 1", "channels": ["phone"], "team": teams.get("tier-1"), "is_active": False},
        ]
        for rule in rules:
            routing_rule_create(actor=admin, **rule)
    # Outside the transaction above: each ticket_create commits on its own, and its "created" event then runs
    # the routing listener, as for a ticket that arrives by mail.
    for subject, body, language, channel in NEW_TICKETS:
        contacts = list(Contact.objects.filter(language=language).order_by("pk").values_list("pk", flat=True)[:200])
        if not contacts:
            continue
        requester = Contact.objects.get(pk=rng.choice(contacts))
        ticket_create(subject=subject, body=body, requester=requester, language=language, channel=channel)
    if "tom" in users:
        agent_set_away(user=users["tom"], away=True, actor=users["tom"])
