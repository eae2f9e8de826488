"""The platform's login page, aware of WeChat.

- Inside WeChat (user agent ``MicroMessenger``, WeChat end on), ``GET /accounts/login/`` starts
  the OAuth login (``/wechat/oauth/?next=…``) instead of showing the password form. It shows the
  form when an openid is pending (OAuth found it bound to nobody: log in to bind it) or when the
  learner chose the password after a WeChat problem, so the two never loop.
- A login whose pending openid could not be bound (wechat.receivers) lands on the profile page,
  which says why, with a link on to where the login was going.

Everywhere else it is Django's ``LoginView`` with the platform's guarded form (config/urls.py).
"""

from urllib.parse import urlencode

from django.contrib.auth.views import LoginView
from django.http import HttpResponseRedirect
from django.urls import reverse

from wechat.login import BIND_REFUSED_ATTRIBUTE, form_login_chosen, in_wechat, pending_openid


class LoginPage(LoginView):
    def get(self, request, *args, **kwargs):
        if self._oauth_instead_of_password(request):
            query = {"next": request.GET["next"]} if request.GET.get("next") else {}
            target = reverse("wechat:oauth-start") + (f"?{urlencode(query)}" if query else "")
            return HttpResponseRedirect(target)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        if getattr(self.request, BIND_REFUSED_ATTRIBUTE, False):
            query = urlencode({"next": response["Location"]})
            return HttpResponseRedirect(f"{reverse('me:profile')}?{query}")
        return response

    @staticmethod
    def _oauth_instead_of_password(request) -> bool:
        if not in_wechat(request) or request.user.is_authenticated:
            return False
        return not pending_openid(request.session) and not form_login_chosen(request.session)
