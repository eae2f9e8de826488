from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

from learners import login_guard
from learners.models import Learner
from vocabulary.identity import normalize_id_number, validate_id_number
from vocabulary.people import District, Education, TargetGroup, phone_validator


class GuardMessages:
    """For a login form whose password check went through the login guard
    (``learners.login_guard.GuardedModelBackend``): says "locked" or "unavailable" instead of
    "wrong password" when the guard refused before checking it."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            refusal = login_guard.refusal_of(self.request)
            if refusal is not None:
                raise forms.ValidationError(refusal.message, code="locked") from None
            raise


class GuardedAuthenticationForm(GuardMessages, AuthenticationForm):
    """The web login form."""


class GuardedAdminLoginForm(GuardMessages, AdminAuthenticationForm):
    """``/django-admin/login/``."""


class GuardedWagtailLoginForm(GuardMessages, WagtailLoginForm):
    """Wagtail's ``/admin/login/`` (``WAGTAILADMIN_USER_LOGIN_FORM``)."""


class RegistrationForm(forms.Form):
    """Real-name registration, shared by the web page and ``POST /api/v1/auth/register/``."""

    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, strip=False)
    real_name = forms.CharField(label=_("真实姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, min_length=1)
    phone = forms.CharField(label=_("手机号"), max_length=11, validators=[phone_validator])
    district = forms.ChoiceField(label=_("所在区县"), choices=District.choices)
    target_group = forms.ChoiceField(label=_("人员类别"), choices=TargetGroup.choices)
    employer = forms.CharField(label=_("工作单位"), max_length=200, required=False)
    education = forms.ChoiceField(
        label=_("文化程度"), choices=[("", "—")] + Education.choices, required=False
    )

    def clean_username(self):
        username = self.cleaned_data["username"]
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该用户名已被使用。This username is taken."), code="taken")
        return username

    def clean_id_number(self):
        number = normalize_id_number(self.cleaned_data["id_number"])
        validate_id_number(number)
        if Learner.objects.with_id_number(number).exists():
            raise forms.ValidationError(
                _(
                    "该身份证号已注册，一人只能注册一个账号；如忘记密码请找回。This ID number is already registered."
                ),
                code="duplicate",
            )
        return number

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            try:
                validate_password(password, User(username=cleaned.get("username", "")))
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class ActivationForm(forms.Form):
    """First sign-in of a learner whose account an institution created from a roster: they prove
    who they are with their ID number and phone, and choose their password."""

    id_number = forms.CharField(label=_("身份证号"), max_length=18)
    phone = forms.CharField(label=_("手机号"), max_length=11, validators=[phone_validator])
    password = forms.CharField(label=_("设置密码"), widget=forms.PasswordInput, strip=False)

    error_message = _(
        "身份证号与手机号不匹配，或账号已激活。The ID number and phone do not match an account to activate."
    )

    def clean(self):
        cleaned = super().clean()
        number, phone = cleaned.get("id_number"), cleaned.get("phone")
        if not (number and phone):
            return cleaned
        learner = Learner.objects.with_id_number(number).with_phone(phone).select_related("user").first()
        # One message for every failure, so the form does not tell which ID numbers exist.
        if learner is None or learner.user.has_usable_password():
            raise forms.ValidationError(self.error_message, code="no_match")
        password = cleaned.get("password")
        if password:
            try:
                validate_password(password, learner.user)
            except ValidationError as error:
                self.add_error("password", error)
        self.learner = learner
        return cleaned
