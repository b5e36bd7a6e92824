"""The demo data set. Each app adds its part in <app>/demo.py ``seed(ctx)``; every step is
idempotent (get_or_create by natural keys), so running seed_demo twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from core.appmodules import app_modules

from .models import Membership, Role, Team, Tenant, User

DEMO_PASSWORD = "skillgate-demo"

# (username, display name, role, team key, employee id)
PEOPLE = [
    ("admin", "周敏 Zhou Min", Role.TENANT_ADMIN, None, "A001"),
    ("trainer", "林晓 Lin Xiao", Role.TRAINER, None, "T001"),
    ("lead.blue", "陈刚 Chen Gang", Role.TEAM_LEAD, "blue", "L001"),
    ("lead.green", "王芳 Wang Fang", Role.TEAM_LEAD, "green", "L002"),
    ("agent01", "李娜 Li Na", Role.AGENT, "blue", "E1001"),
    ("agent02", "张伟 Zhang Wei", Role.AGENT, "blue", "E1002"),
    ("agent03", "刘洋 Liu Yang", Role.AGENT, "blue", "E1003"),
    ("agent04", "杨静 Yang Jing", Role.AGENT, "blue", "E1004"),
    ("agent05", "赵磊 Zhao Lei", Role.AGENT, "blue", "E1005"),
    ("agent06", "黄丽 Huang Li", Role.AGENT, "green", "E1006"),
    ("agent07", "吴强 Wu Qiang", Role.AGENT, "green", "E1007"),
    ("agent08", "徐婷 Xu Ting", Role.AGENT, "green", "E1008"),
    ("agent09", "孙浩 Sun Hao", Role.AGENT, "green", "E1009"),
    ("agent10", "马悦 Ma Yue", Role.AGENT, "green", "E1010"),
]
TEAMS = {"blue": "Blue team 蓝队", "green": "Green team 绿队"}


@dataclass
class DemoContext:
    tenant: Tenant
    other_tenant: Tenant
    people: dict[str, Membership]
    teams: dict[str, Team]
    lines: list[str] = field(default_factory=list)  # printed after seeding (logins, keys)


def _user(username: str, display_name: str) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"display_name": display_name, "email": f"{username}@demo.invalid"},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _member(tenant, username, display_name, role, team, employee_id) -> Membership:
    membership, _ = Membership.objects.get_or_create(
        tenant=tenant,
        user=_user(username, display_name),
        defaults={"role": role, "team": team, "employee_id": employee_id},
    )
    return membership


@transaction.atomic
def seed_demo() -> DemoContext:
    tenant, _ = Tenant.objects.get_or_create(
        slug="harbour",
        defaults={"name": "Harbour Contact Centre 港湾联络中心", "time_zone": "Asia/Shanghai"},
    )
    other, _ = Tenant.objects.get_or_create(
        slug="northwind",
        defaults={
            "name": "Northwind Support 北风客服",
            "time_zone": "Europe/Berlin",
            "default_language": "en",
        },
    )
    teams = {
        key: Team.objects.get_or_create(tenant=tenant, name=name)[0] for key, name in TEAMS.items()
    }
    people = {
        username: _member(tenant, username, name, role, teams.get(team), employee_id)
        for username, name, role, team, employee_id in PEOPLE
    }
    for key, team in teams.items():
        if team.lead_id is None:
            team.lead = people[f"lead.{key}"]
            team.save(update_fields=["lead"])
    # The second tenant: its own admin and agent, plus the trainer working for both tenants
    # (so the tenant switcher can be seen).
    _member(other, "nw.admin", "Anna Berg", Role.TENANT_ADMIN, None, "NA01")
    _member(other, "nw.agent", "Jonas Weber", Role.AGENT, None, "NE01")
    Membership.objects.get_or_create(
        tenant=other,
        user=people["trainer"].user,
        defaults={"role": Role.TRAINER, "employee_id": "NT01"},
    )
    ctx = DemoContext(tenant=tenant, other_tenant=other, people=people, teams=teams)
    for app, module in app_modules("demo"):
        if app != "tenants":
            module.seed(ctx)
    return ctx
