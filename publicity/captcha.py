"""The objection form's captcha, from django-simple-captcha: digits drawn as a noisy PNG.

The library keeps each challenge in its own table (`captcha.CaptchaStore`) under a random
40-character key that the form carries in a hidden field; a challenge is deleted at its first
check, right or wrong, and expires after CAPTCHA_TIMEOUT minutes. Images are drawn here with the
font the library ships (no system font, no outside service) and served by
`publicity.views.public.captcha_image` under /gongshi/, behind the same per-client rate limit
as before.

Four digits (one guess in 10,000, and one guess per challenge) rather than the library's
letters: digits are what every visitor can type on a phone's number pad.
"""

from __future__ import annotations

import secrets
import unicodedata

from captcha.conf import settings as captcha_settings
from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django.urls import reverse

WRONG = "验证码不正确，请重新输入图中的数字。"
MISSING = "请填写验证码。"


def digit_challenge() -> tuple[str, str]:
    """CAPTCHA_CHALLENGE_FUNCT: (text drawn, expected answer), CAPTCHA_LENGTH random digits."""
    text = "".join(str(secrets.randbelow(10)) for _ in range(captcha_settings.CAPTCHA_LENGTH))
    return text, text


class PublicCaptchaInput(CaptchaTextInput):
    """The library's widget with its image under /gongshi/ (`public_captcha`), no audio.

    The library's own `fetch_captcha_store` insists on its `captcha-image` URL name; the
    public pages keep theirs (`public_*`, tests/test_urls_protected.py), so the store is made
    here the same way (`CaptchaStore.generate_key`).
    """

    template_name = "publicity/public/_captcha_widget.html"

    def fetch_captcha_store(self, name, value, attrs=None, generator=None):
        key = CaptchaStore.generate_key(generator)
        self._value = [key, ""]
        self._key = key
        self.id_ = self.build_attrs(attrs).get("id", None)

    def image_url(self) -> str:
        return reverse("public_captcha", kwargs={"key": self._key})

    def audio_url(self) -> None:
        return None


class PublicCaptchaField(CaptchaField):
    """The library's check (one try, expiry), after turning full-width digits (typed with a
    Chinese input method) into ASCII ones."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", PublicCaptchaInput(attrs={"inputmode": "numeric"}))
        kwargs.setdefault("error_messages", {"invalid": WRONG, "required": MISSING,
                                             "incomplete": MISSING})
        super().__init__(**kwargs)

    def clean(self, value):
        if isinstance(value, list | tuple) and len(value) == 2:
            value = [value[0], unicodedata.normalize("NFKC", value[1] or "")]
        return super().clean(value)


def answer_for(key: str) -> str | None:
    """The expected answer of the challenge `key` (for tests and nothing else)."""
    return CaptchaStore.objects.filter(hashkey=key).values_list("response", flat=True).first()
