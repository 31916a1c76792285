from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create alice (active, id 1) and bob (inactive, id 2)."

    def handle(self, *args, **options):
        User = get_user_model()
        for username, active in (("alice", True), ("bob", False)):
            user = User.objects.create_user(
                username, f"{username}@example.com", f"{username}-pass-1"
            )
            user.is_active = active
            user.save()
            self.stderr.write(f"user {user.id} {username} active={active}")
