import copy

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

from learners import login_guard
from learners.models import Learner
from vocabulary.identity import mask_name, normalize_id_number, validate_id_number
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
    """The web login form: the login name may be a username, a phone or an ID number."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["placeholder"] = _("用户名、手机号或身份证号")


class GuardedAdminLoginForm(GuardMessages, AdminAuthenticationForm):
    """``/django-admin/login/``."""


class GuardedWagtailLoginForm(GuardMessages, WagtailLoginForm):
    """Wagtail's ``/admin/login/`` (``WAGTAILADMIN_USER_LOGIN_FORM``)."""


USERNAME_TAKEN = _("该用户名已被使用。")


def validate_username_choice(username: str, *, phone: str = "", id_number: str = "", user=None) -> None:
    """A username a person chooses (registration, activation): Django's characters (letters,
    digits and @ . + - _), free (whatever the case), and if it looks like a phone or an ID number
    it is the person's own (``phone``, ``id_number``): a login name that looks like a phone is read
    as that phone's account otherwise (``learners.login_guard.resolve_account``)."""
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as error:
        raise ValidationError(error.messages, code="invalid") from None
    if login_guard.looks_like_phone(username) and username.strip() != (phone or "").strip():
        raise ValidationError(
            _("像手机号的用户名只能是您本人的手机号；也可以不设，直接用手机号登录。"), code="lookalike"
        )
    if login_guard.looks_like_id_number(username) and normalize_id_number(username) != normalize_id_number(
        id_number
    ):
        raise ValidationError(
            _("像身份证号的用户名只能是您本人的身份证号；也可以不设，直接用身份证号登录。"), code="lookalike"
        )
    taken = User.objects.filter(username__iexact=username)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise ValidationError(USERNAME_TAKEN, code="taken")


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
            raise forms.ValidationError(USERNAME_TAKEN, code="taken")
        return username

    def clean_id_number(self):
        number = normalize_id_number(self.cleaned_data["id_number"])
        validate_id_number(number)
        if Learner.objects.with_id_number(number).exists():
            raise forms.ValidationError(
                _("该身份证号已注册，一人只能注册一个账号；如忘记密码请找回。"),
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
        username = cleaned.get("username")
        if username and (
            login_guard.looks_like_phone(username) or login_guard.looks_like_id_number(username)
        ):
            try:
                validate_username_choice(
                    username, phone=cleaned.get("phone", ""), id_number=cleaned.get("id_number", "")
                )
            except ValidationError as error:
                self.add_error("username", error)
        return cleaned


class ActivationForm(forms.Form):
    """First sign-in of a learner whose account an institution created from a roster: they prove
    who they are with their ID number and phone, choose their username (or keep the one the
    roster import gave them) and their password."""

    id_number = forms.CharField(label=_("身份证号"), max_length=18)
    phone = forms.CharField(label=_("手机号"), max_length=11, validators=[phone_validator])
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        required=False,
        help_text=_("选一个好记的用户名；不填则保留培训机构分配的用户名。也可以用手机号或身份证号登录。"),
        widget=forms.TextInput(attrs={"placeholder": _("不填则保留系统分配的用户名")}),
    )
    password = forms.CharField(label=_("设置密码"), widget=forms.PasswordInput, strip=False)

    error_message = _("身份证号与手机号不匹配，或账号已激活。")

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if username:
            try:
                UnicodeUsernameValidator()(username)
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from None
        return username

    def clean(self):
        cleaned = super().clean()
        number, phone = cleaned.get("id_number"), cleaned.get("phone")
        if not (number and phone):
            return cleaned
        learner = Learner.objects.with_id_number(number).with_phone(phone).select_related("user").first()
        # One message for every failure, so the form does not tell which ID numbers exist.
        if learner is None or learner.user.has_usable_password():
            raise forms.ValidationError(self.error_message, code="no_match")
        username = cleaned.get("username")
        if username:
            # Only once the person is known: whether a username is taken is not told to anyone.
            try:
                validate_username_choice(
                    username, phone=learner.phone, id_number=learner.id_number, user=learner.user
                )
            except ValidationError as error:
                self.add_error("username", error)
        password = cleaned.get("password")
        if password:
            try:
                account = copy.copy(learner.user)  # as it will be: with the username chosen
                account.username = username or account.username
                validate_password(password, account)
            except ValidationError as error:
                self.add_error("password", error)
        self.learner = learner
        return cleaned


class ResetRequestForm(forms.Form):
    """Password reset, step 1: the phone on record."""

    phone = forms.CharField(label=_("手机号"), max_length=11, validators=[phone_validator])


class ResetCodeForm(SetPasswordMixin, forms.Form):
    """Password reset, step 2: the code sent to the phone and the new password (checked against
    the account once the code has named it: ``check_password_for``). A phone several learners
    share asks which account (``account``, a username, offered once the code is right)."""

    phone = forms.CharField(label=_("手机号"), max_length=11, validators=[phone_validator])
    code = forms.RegexField(
        label=_("短信验证码"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("验证码是6位数字。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    account = forms.CharField(required=False, widget=forms.HiddenInput)
    new_password1, new_password2 = SetPasswordMixin.create_password_fields(
        label1=_("新密码"), label2=_("再次输入新密码")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts: list[dict] = []

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        return super().clean()

    def choose_account(self, users: list):
        """The account to reset among those of the phone (the code was right), or None with an
        error asking which one."""
        if len(users) == 1:
            return users[0]
        self.accounts = [
            {"username": user.get_username(), "name": mask_name(user.learner.real_name)} for user in users
        ]
        chosen = next((u for u in users if u.get_username() == self.cleaned_data.get("account")), None)
        if chosen is None:
            self.add_error(None, _("这个手机号登记了多个账号，请选择要重设密码的账号。"))
        return chosen

    def check_password_for(self, user) -> bool:
        try:
            validate_password(self.cleaned_data["new_password1"], user)
        except ValidationError as error:
            self.add_error("new_password2", error)
            return False
        return True
