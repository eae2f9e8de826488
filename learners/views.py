"""Web pages of learners: registration and activation (the same form and service as
``POST /api/v1/auth/register/``) and "我的学习"."""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

# "我的学习" joins progress and class assignments, so it is assembled above both (a named
# exception in .importlinter: the page stays under /me/ with the learner's other pages).
from institutions.selectors import learning_overview
from learners import login_guard, registration_guard
from learners.forms import ActivationForm, RegistrationForm
from learners.services import learner_activate, learner_register


@sensitive_post_parameters("password", "id_number", "phone")
def register(request):
    next_url = request.POST.get("next") or request.GET.get("next") or "/home/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/home/"
    form = RegistrationForm(data=request.POST or None)
    if request.method == "POST":
        # The same throttle as POST /api/v1/auth/register/, per client address.
        try:
            registration_guard.registration_check(request)
            if form.is_valid():
                try:
                    learner = learner_register(**form.cleaned_data)
                except ValidationError as error:
                    for field, messages in error.message_dict.items():
                        form.add_error(field, messages)
                else:
                    login(request, learner.user, backend="learners.login_guard.GuardedModelBackend")
                    return redirect(next_url)
            elif form.has_error("id_number", "duplicate"):
                registration_guard.duplicate_id_answer_check(request)
        except registration_guard.RegistrationRefused as refusal:
            # Only the refusal is shown (never "ID already registered" past the limit).
            form.errors.clear()
            form.add_error(None, refusal.message)
            return TemplateResponse(
                request, "registration/register.html", {"form": form, "next": next_url}, status=refusal.status
            )
    return TemplateResponse(request, "registration/register.html", {"form": form, "next": next_url})


@sensitive_post_parameters("password", "id_number", "phone")
def activate(request):
    """An account created from an institution's roster is activated by its owner: ID number and
    phone must match, then they set a password (and a real-name check that has not answered yet
    runs again). Failures count towards the login lockout."""
    form = ActivationForm(data=request.POST or None)
    locked = False
    if request.method == "POST":
        # The same guard as every login door: per ID number and per client address.
        key = f"activate:{request.POST.get('id_number', '')}"
        address = login_guard.client_address(request)
        try:
            locked = login_guard.is_locked(key, address)
            if not locked and form.is_valid():
                try:
                    learner = learner_activate(
                        learner=form.learner,
                        password=form.cleaned_data["password"],
                        username=form.cleaned_data["username"],
                    )
                except ValidationError as error:  # the username was taken meanwhile
                    form.add_error("username", error.message_dict["username"])
                    return TemplateResponse(
                        request, "registration/activate.html", {"form": form, "locked": False}
                    )
                user = learner.user
                login_guard.record_success(key, address)
                login(request, user, backend="learners.login_guard.GuardedModelBackend")
                return TemplateResponse(
                    request, "registration/activated.html", {"username": user.get_username()}
                )
            if not locked:
                login_guard.record_failure(key, address)
        except login_guard.LoginUnavailable:
            locked = True  # fail closed: no attempt goes uncounted
    return TemplateResponse(request, "registration/activate.html", {"form": form, "locked": locked})


@login_required
def my_learning(request):
    """ "我的学习" (learners.selectors.learning_overview)."""
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied(_("只有注册学员有学习记录。"))
    return TemplateResponse(request, "me/learning.html", learning_overview(learner, request))


@login_required
def profile(request):
    """The learner's own profile: who they are (ID number and phone masked) and, when the WeChat
    end is on, the WeChat bound to the account, with a button to unbind it."""
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied(_("只有注册学员有个人资料。"))
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    context = {
        "learner": learner,
        # A missing reverse one-to-one raises an AttributeError subclass: None then.
        "binding": getattr(learner, "wechat_binding", None),
        "next": next_url,
    }
    return TemplateResponse(request, "me/profile.html", context)
