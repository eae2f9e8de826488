from django.urls import path

from wechat import endpoint, login, simulator

app_name = "wechat"
urlpatterns = [
    # WeChat's servers (shared/contract/wechat.md).
    path("", endpoint.message_endpoint, name="endpoint"),
    # The web login from inside WeChat, binding and the JS-SDK configuration.
    path("oauth/", login.oauth_start, name="oauth-start"),
    path("oauth/callback/", login.oauth_callback, name="oauth-callback"),
    path("unbind/", login.unbind, name="unbind"),
    path("jssdk/", login.jssdk_config, name="jssdk-config"),
    # DEBUG only: a simulator of the official account for development and demonstration.
    path("simulator/", simulator.page, name="simulator"),
    path("simulator/sign/", simulator.sign, name="simulator-sign"),
    path("simulator/open/", simulator.open_reply, name="simulator-open"),
]
