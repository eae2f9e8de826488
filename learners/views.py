"""Web registration: the same form and service as ``POST /api/v1/auth/register/``."""

from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from learners.forms import RegistrationForm
from learners.services import learner_register


@sensitive_post_parameters("password", "id_number", "phone")
def register(request):
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    form = RegistrationForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            learner = learner_register(**form.cleaned_data)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field, messages)
        else:
            login(request, learner.user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url)
    return TemplateResponse(request, "registration/register.html", {"form": form, "next": next_url})
