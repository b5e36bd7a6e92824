from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from tenants.demo import DEMO_PASSWORD, PEOPLE, seed_demo


class Command(BaseCommand):
    help = "Create (or complete) the demo tenants and print the logins. Safe to run twice."

    def handle(self, *args, **options):
        ctx = seed_demo()
        self.stdout.write(self.style.SUCCESS(_("Demo data ready.")))
        self.stdout.write(
            _("Logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD}
        )
        for username, name, role, _team, _eid in PEOPLE[:6]:
            self.stdout.write(f"  {username:<12} {role.label:<14} {name}")
        self.stdout.write(f"  agent03 … agent10  {_('Agent')}")
        self.stdout.write(f"  nw.admin     {_('Tenant admin')} (Northwind)")
        for line in ctx.lines:
            self.stdout.write(line)
