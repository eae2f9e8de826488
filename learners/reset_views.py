"""Pages of "忘记密码" (learners.password_reset): the phone on record, then the code from the SMS
and a new password; the link institution staff issue to a learner who lost their phone; and the
page that says it is done, with the username to log in with."""

from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, PasswordResetConfirmView
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from learners import password_reset, sms
from learners.forms import ResetCodeForm, ResetRequestForm
from learners.login_guard import client_address

PHONE_SESSION_KEY = "password_reset_phone"
DONE_SESSION_KEY = "password_reset_username"


@never_cache
@sensitive_post_parameters("phone")
def request_code(request):
    """Step 1: the phone. Every phone gets the same answer (registered or not) and goes on to
    step 2; only the limits, or no SMS service at all, stop here."""
    form = ResetRequestForm(
        data=request.POST or None, initial={"phone": request.session.get(PHONE_SESSION_KEY, "")}
    )
    context = {"form": form, "sms_available": sms.available()}
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            password_reset.code_request(phone=phone, address=client_address(request))
        except password_reset.ResetRefused as refusal:
            form.add_error(None, refusal.message)
            return TemplateResponse(
                request, "registration/password_reset_request.html", context, status=refusal.status
            )
        request.session[PHONE_SESSION_KEY] = phone
        return redirect("password-reset-code")
    return TemplateResponse(
        request, "registration/password_reset_request.html", context, status=400 if form.errors else 200
    )


@never_cache
@sensitive_post_parameters("phone", "code", "new_password1", "new_password2")
def reset_with_code(request):
    """Step 2: the code and the new password. A phone several learners share asks which account,
    once the code is right."""
    phone = request.session.get(PHONE_SESSION_KEY, "")
    form = ResetCodeForm(data=request.POST or None, initial={"phone": phone})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            address = client_address(request)
            try:
                users = password_reset.code_check(phone=data["phone"], code=data["code"], address=address)
                user = form.choose_account(users)
                if user is not None and form.check_password_for(user):
                    password_reset.password_reset_by_code(
                        phone=data["phone"],
                        code=data["code"],
                        address=address,
                        user=user,
                        password=data["new_password1"],
                    )
                    request.session.pop(PHONE_SESSION_KEY, None)
                    request.session[DONE_SESSION_KEY] = user.get_username()
                    return redirect("password-reset-done")
            except password_reset.CodeInvalid as invalid:
                form.add_error("code", invalid.message)
            except password_reset.ResetRefused as refusal:
                form.add_error(None, refusal.message)
                status = refusal.status
    context = {"form": form, "phone": phone, "minutes": password_reset.code_seconds() // 60}
    return TemplateResponse(request, "registration/password_reset_code.html", context, status=status)


@never_cache
def done(request):
    """The password is set: the username to log in with (also the phone or the ID number)."""
    username = request.session.pop(DONE_SESSION_KEY, "")
    return TemplateResponse(request, "registration/password_reset_done.html", {"username": username})


class LinkResetView(PasswordResetConfirmView):
    """The link staff issued (``password_reset.staff_reset_link_issue``): Django's reset page
    (the token leaves the address bar for the session at once), with the platform's token and
    the platform's way of setting the password."""

    token_generator = password_reset.staff_reset_tokens
    template_name = "registration/password_reset_link.html"
    success_url = reverse_lazy("password-reset-done")

    def form_valid(self, form):
        user = password_reset.password_set(
            user=form.user, password=form.cleaned_data["new_password1"], how="staff link"
        )
        self.request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
        self.request.session[DONE_SESSION_KEY] = user.get_username()
        return HttpResponseRedirect(self.get_success_url())
