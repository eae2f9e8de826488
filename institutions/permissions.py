"""DRF permissions for the roles of ``institutions.roles``, shared by every app's API (the archive's,
the rosters', the institutions' own) instead of one app importing another's ``api`` module."""

from rest_framework.permissions import BasePermission

from institutions import roles


class IsLearner(BasePermission):
    message = "只有注册学员有学习任务。Only registered learners have assignments."

    def has_permission(self, request, view):
        return roles.Role.LEARNER in roles.roles_of(request.user)


class IsClassReader(BasePermission):
    message = "只有培训机构、区县人社和市人社局工作人员可以查看班级。Only institution staff, district officials and the bureau read classes."

    def has_permission(self, request, view):
        return roles.is_class_reader(request.user)


class CanReadLogs(BasePermission):
    message = "只有审计人员可以查看日志。Only auditors read the logs."

    def has_permission(self, request, view):
        return roles.can_read_logs(request.user)
