"""The keys of the account's menu buttons that send a CLICK event to the endpoint.

The custom menu (``wechat.menu``, edited in Wagtail) offers these for its "click" buttons; the
message endpoint (``wechat.replies``) answers each as the keyword of the same meaning.
"""

STUDY = "STUDY"  # 学习: the learner's current courses with credited and required hours
PROGRESS = "PROGRESS"  # 进度: the same, with what is still missing
CERTIFICATES = "CERTIFICATES"  # 证书: their certificates with verification links
HELP = "HELP"  # 帮助: the keywords explained
# 我要培训: the link to state a wanted training (提单). A keyword only: the default menu opens the
# page itself (a "view" button), so it is not among the editors' click choices (wechat.menu).
DEMAND = "DEMAND"

ALL = (STUDY, PROGRESS, CERTIFICATES, HELP, DEMAND)
