"""DRF permissions for the roles of ``institutions.roles``, shared by every app's API (the archive's,
the rosters', the institutions' own) instead of one app importing another's ``api`` module."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from institutions import roles


class IsLearner(BasePermission):
    message = _("只有注册学员有学习任务。")

    def has_permission(self, request, view):
        return roles.Role.LEARNER in roles.roles_of(request.user)


class IsClassReader(BasePermission):
    message = _("只有培训机构、区县人社和市人社局工作人员可以查看班级。")

    def has_permission(self, request, view):
        return roles.is_class_reader(request.user)


class CanReadLogs(BasePermission):
    message = _("只有审计人员可以查看日志。")

    def has_permission(self, request, view):
        return roles.can_read_logs(request.user)
