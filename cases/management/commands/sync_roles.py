"""Create the product's role groups and give each its model permissions (idempotent), and
refuse to finish while an account holds a district-wide role with a township approval role.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError

from cases.permissions import Role

# App labels whose models each role may see in the admin; codename verbs per role.
ROLE_MODEL_PERMS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.CLERK: {
        "cases.household": ("view", "add", "change"),
        "cases.person": ("view", "add", "change"),
        "cases.membership": ("view", "add", "change"),
        "cases.case": ("view", "add"),
    },
    Role.ASSISTANT: {
        "cases.household": ("view", "add", "change"),
        "cases.person": ("view", "add", "change"),
        "cases.membership": ("view", "add", "change"),
        "cases.case": ("view",),
    },
    Role.VERIFIER: {"cases.household": ("view",), "cases.person": ("view",),
                    "cases.case": ("view",)},
    Role.LEADER: {"cases.household": ("view",), "cases.person": ("view",),
                  "cases.case": ("view",)},
    Role.BUREAU: {
        "cases.township": ("view", "change"),
        "cases.village": ("view", "change"),
        "cases.orgchange": ("view",),
        "cases.holidayoverride": ("view", "add", "change", "delete"),
        "cases.calendaryear": ("view", "add", "change"),
        "cases.household": ("view",),
        "cases.person": ("view",),
        "cases.case": ("view",),
        "cases.deadline": ("view",),
        "cases.caseevent": ("view",),
        "cases.accesslog": ("view",),
        "cases.personchange": ("view",),
    },
    # Separation of duties (三员分立, accounts/roles.py): the security administrator grants
    # roles and places, unlocks logins and resets second factors; the audit administrator
    # reads every log and changes nothing.
    Role.SECADMIN: {
        "auth.user": ("view", "change"),
        "auth.group": ("view",),
        "cases.township": ("view",),
        "cases.village": ("view",),
        "accounts.securityevent": ("view",),
        "axes.accessattempt": ("view", "delete"),
        "otp_totp.totpdevice": ("view", "delete"),
    },
    Role.AUDITOR: {
        "auth.user": ("view",),
        "auth.group": ("view",),
        "accounts.securityevent": ("view",),
        "admin.logentry": ("view",),
        "axes.accessattempt": ("view",),
        "cases.accesslog": ("view",),
        "cases.caseevent": ("view",),
        "cases.personchange": ("view",),
        "cases.verificationaccess": ("view",),
    },
}
# The system administrator runs the system: every model of the product apps except the
# audit logs (the audit administrator's), and accounts but not roles or permissions (the
# security administrator's).
SYSADMIN_EXCLUDED_MODELS = ("accesslog", "verificationaccess", "personchange")
SYSADMIN_AUTH_PERMS = ("add_user", "change_user", "view_user", "view_group")


def district_approvers() -> list:
    """Active accounts that hold a district-wide role and a township approval role (granted
    before the rule existed, or written past the application): each one listed, none
    changed — the security administrator removes one of the two roles."""
    from accounts.roles import TOWNSHIP_APPROVAL_ROLES
    from cases.permissions import DISTRICT_ROLES

    users = get_user_model().objects.filter(is_active=True)
    return list(users.filter(groups__name__in=[r.value for r in DISTRICT_ROLES])
                .filter(groups__name__in=[r.value for r in TOWNSHIP_APPROVAL_ROLES])
                .distinct().order_by("username"))


def sync_roles() -> None:
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        if role == Role.SYSADMIN:
            perms = Permission.objects.filter(content_type__app_label__in=[
                "cases", "documents", "publicity"]).exclude(
                content_type__model__in=SYSADMIN_EXCLUDED_MODELS) | Permission.objects.filter(
                content_type__app_label="auth", codename__in=SYSADMIN_AUTH_PERMS)
        else:
            perms = []
            for model, verbs in ROLE_MODEL_PERMS.get(role, {}).items():
                app_label, model_name = model.split(".")
                for verb in verbs:
                    perm = Permission.objects.filter(
                        content_type__app_label=app_label,
                        codename=f"{verb}_{model_name}").first()
                    if perm is not None:
                        perms.append(perm)
        group.permissions.set(perms)


class Command(BaseCommand):
    help = "创建或更新系统角色（用户组）及其权限。"

    def handle(self, *args, **options):
        sync_roles()
        self.stdout.write(self.style.SUCCESS(f"已同步 {len(Role)} 个角色。"))
        conflicts = district_approvers()
        if conflicts:
            from accounts.roles import district_approval_conflict, district_approval_message

            lines = []
            for user in conflicts:
                district, approval = district_approval_conflict(
                    user.groups.values_list("name", flat=True))
                lines.append(district_approval_message(district, approval,
                                                       who=user.get_username()))
            raise CommandError(
                f"有{len(conflicts)}个账户同时担任区级角色和镇街审批角色，请安全管理员在管理后台"
                "取消其中一个角色：\n" + "\n".join(lines))
