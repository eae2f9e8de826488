from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from learners import login_guard


class GuardedAuthenticationForm(AuthenticationForm):
    """The web login form, with the same per-username lockout as the app's token login."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and login_guard.is_locked(username):
            raise forms.ValidationError(
                _("登录失败次数过多，请15分钟后再试。Too many failed logins; try again in 15 minutes."),
                code="locked",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            if username:
                login_guard.record_failure(username)
            raise
        finally:
            if self.user_cache is not None:
                login_guard.record_success(username)
