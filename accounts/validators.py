"""Password rules beyond Django's own (length ≥ 10, similarity, common and numeric passwords).

Listed in AUTH_PASSWORD_VALIDATORS, so every form that sets a password applies them: the
password change page, the admin's "set password" and "add user" forms.
"""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError

CLASSES = (
    ("小写字母", lambda ch: ch in string.ascii_lowercase),
    ("大写字母", lambda ch: ch in string.ascii_uppercase),
    ("数字", str.isdigit),
    ("符号", lambda ch: not ch.isalnum() and not ch.isspace()),
)


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        present = sum(1 for _, test in CLASSES if any(test(ch) for ch in password))
        if present < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return (f"密码须至少包含小写字母、大写字母、数字、符号中的{self.min_classes}类。")


class UsernameNotInPasswordValidator:
    """The password must not contain the username, forwards or backwards, in any case."""

    def validate(self, password: str, user=None) -> None:
        username = (user.get_username() if user is not None else "") or ""
        if len(username) < 3:
            return
        lowered = password.lower()
        name = username.lower()
        if name in lowered or name[::-1] in lowered:
            raise ValidationError("密码不能包含用户名。", code="password_contains_username")

    def get_help_text(self) -> str:
        return "密码不能包含用户名。"
