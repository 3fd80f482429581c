"""Chinese names for the third-party apps shown in the admin (the sign-in lockout and the
second factor): their app configurations with our verbose names.

The models' Chinese names are set when the app is ready. Only the runtime names change: the
migrations read a model's declared options (`Meta`), which stay the packages' own, so no
migration of a third-party app follows from this.
"""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPAppConfig


def _name_models(config, names: dict[str, str]) -> None:
    for model_name, verbose_name in names.items():
        opts = config.get_model(model_name)._meta
        opts.verbose_name = opts.verbose_name_plural = verbose_name


class AxesConfig(AxesAppConfig):
    verbose_name = "登录锁定"

    def ready(self) -> None:
        super().ready()
        _name_models(self, {"AccessAttempt": "登录失败与锁定记录",
                            "AccessFailureLog": "登录失败明细",
                            "AccessLog": "登录访问记录"})


class TOTPConfig(TOTPAppConfig):
    verbose_name = "双因素认证"

    def ready(self) -> None:
        super().ready()
        _name_models(self, {"TOTPDevice": "动态口令验证器"})
