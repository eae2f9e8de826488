"""Pages of 列单, 接单 and 选单, one screen per role:

- 培训清单 (bureau; auditors read): the offers, a form to draft or edit one with the demand for
  its occupation beside it, publish and close;
- 接单 (institution staff): the open offers, a form to apply to run one, their applications;
- 接单审核 (district official: their district's applications; the bureau: all; auditors and
  staff read): an application, and for approved ones its class and the class's bulk subsidy
  claim (买单);
- 可报名班级 (learner): the offers' classes open to them, and enrolling.

Anonymous visitors go to the login page (?next=). A role that may never use a page gets a 403
before any look-up; an object outside the user's reach is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.models import AuditAction
from audit.services import audit_record
from demand.selectors import occupation_resolve
from institutions import roles
from institutions.forms import errors_onto
from institutions.selectors import staff_institution
from orders import permissions, selectors, services
from orders.forms import ApplicationForm, DecisionForm, OfferForm
from orders.models import ApplicationStatus, OfferStatus

PAGE_SIZE = 30

# ---------------------------------------------------------------- the bureau: offers (列单)


def _offer_reader(request):
    if not permissions.can_read_offers(request.user):
        raise PermissionDenied(_("只有市人社局和审计人员可以查看培训清单。"))


def _bureau(request):
    if not permissions.is_bureau(request.user):
        raise PermissionDenied(_("只有市人社局可以列单、发布和关闭培训清单。"))


def _offer_or_404(offer_id: int):
    offer = selectors.offer(offer_id)
    if offer is None:
        raise Http404(_("没有这份培训清单。"))
    return offer


@login_required
@require_GET
def offer_list(request):
    _offer_reader(request)
    wanted = request.GET.get("status", "")
    offers = selectors.offers_listed()
    if wanted in OfferStatus.values:
        offers = offers.filter(status=wanted)
    page = Paginator(offers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/offer_list.html",
        {
            "page": page,
            "status": wanted if wanted in OfferStatus.values else "",
            "statuses": OfferStatus.choices,
            "is_bureau": permissions.is_bureau(request.user),
        },
    )


def _form_page(request, form, offer, *, occupation_id=None, status=200):
    if occupation_id is None and offer is not None:
        occupation_id = offer.occupation_id
    return render(
        request,
        "orders/offer_form.html",
        {"form": form, "offer": offer, "demand": selectors.demand_beside_form(occupation_id)},
        status=status,
    )


def _occupation_asked(request):
    """The occupation named by ``?occupation=`` (a link from the demand beside the form)."""
    text = request.GET.get("occupation", "")
    return occupation_resolve(text).occupation if text else None


@login_required
@require_http_methods(["GET", "POST"])
def offer_create(request):
    _bureau(request)
    if request.method == "POST":
        form = OfferForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                offer = services.offer_create(user=request.user, **data)
            except DjangoValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, _("已保存培训清单草稿，核对后即可发布。"))
                return redirect("orders:offer", offer_id=offer.pk)
        chosen = form.cleaned_data.get("occupation")
        return _form_page(request, form, None, occupation_id=getattr(chosen, "pk", None), status=400)
    occupation = _occupation_asked(request)
    initial = {"occupation": f"{occupation.code} {occupation.name}"} if occupation else {}
    return _form_page(
        request, OfferForm(initial=initial), None, occupation_id=getattr(occupation, "pk", None)
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request, offer_id: int):
    _bureau(request)
    offer = _offer_or_404(offer_id)
    if offer.status != OfferStatus.DRAFT:
        raise PermissionDenied(_("只有草稿可以修改；已发布的清单请关闭后重新列单。"))
    form = OfferForm(request.POST or None, offer=offer)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.offer_update(offer_id=offer.pk, data=dict(form.cleaned_data))
            except DjangoValidationError as error:
                errors_onto(form, error)
            except services.OrderRefused as refused:
                form.add_error(None, refused.detail)
            else:
                messages.success(request, _("已保存。"))
                return redirect("orders:offer", offer_id=offer.pk)
        return _form_page(request, form, offer, status=400)
    return _form_page(request, form, offer)


@login_required
@require_GET
def offer_detail(request, offer_id: int):
    _offer_reader(request)
    offer = _offer_or_404(offer_id)
    applications = selectors.applications_listed(offer.applications.all())
    return render(
        request,
        "orders/offer_detail.html",
        {
            "offer": offer,
            "applications": applications,
            "groups": selectors.demand_by_group(
                occupation_id=offer.occupation_id,
                districts=offer.districts,
                target_groups=offer.target_groups,
            ),
            "answered": offer.demands.count(),
            "catalog_entries": offer.catalog_entries.select_related("occupation"),
            "standard": selectors.subsidy_standard_amount(offer.occupation_id, offer.level),
            "is_bureau": permissions.is_bureau(request.user),
        },
    )


def _offer_step(request, offer_id: int, step, done: str, decision: str):
    _bureau(request)
    offer = _offer_or_404(offer_id)
    try:
        stepped = step(offer_id=offer.pk, user=request.user)
    except services.OrderRefused as refused:
        messages.error(request, refused.detail)
    else:
        audit_record(
            request,
            action=AuditAction.DECISION,
            subject="orders.offers",
            object_id=offer.pk,
            detail={"decision": decision, "status": stepped.status},
        )
        messages.success(request, done)
    return redirect("orders:offer", offer_id=offer.pk)


@login_required
@require_POST
def offer_publish(request, offer_id: int):
    return _offer_step(
        request,
        offer_id,
        services.offer_publish,
        _("已发布。相应的培训需求已列入清单，需求目录条目已提交审核。"),
        "publish",
    )


@login_required
@require_POST
def offer_close(request, offer_id: int):
    return _offer_step(request, offer_id, services.offer_close, _("已关闭，不再接受接单申请。"), "close")


# ---------------------------------------------------------------- institution staff (接单)


def _institution(request):
    if not permissions.can_apply(request.user):
        raise PermissionDenied(_("只有培训机构工作人员可以接单。"))
    institution = staff_institution(request.user)
    if institution is None:
        raise PermissionDenied(_("只有培训机构工作人员可以接单。"))
    return institution


@login_required
@require_GET
def institution_orders(request):
    institution = _institution(request)
    offers = list(selectors.offers_open_for_orders())
    for offer in offers:
        offer.eligibility = selectors.institution_eligibility(institution, offer)
    applications = selectors.applications_listed(selectors.applications_visible_to(request.user)).filter(
        institution=institution
    )
    return render(
        request,
        "orders/institution_orders.html",
        {"institution": institution, "offers": offers, "applications": applications[:100]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request, offer_id: int):
    institution = _institution(request)
    offer = selectors.offers_open_for_orders().filter(pk=offer_id).first()
    if offer is None:
        raise Http404(_("没有这份正在接单的培训清单。"))
    eligibility = selectors.institution_eligibility(institution, offer)
    form = ApplicationForm(request.POST or None, courses=selectors.courses_for_offer(offer))
    if request.method == "POST" and eligibility.allowed and form.is_valid():
        try:
            application = services.application_submit(
                offer_id=offer.pk, institution=institution, user=request.user, data=dict(form.cleaned_data)
            )
        except DjangoValidationError as error:
            errors_onto(form, error)
        except services.OrderRefused as refused:
            form.add_error(None, refused.detail)
        else:
            messages.success(request, _("已提交接单申请，请等待区县人社部门审核。"))
            return redirect("orders:application", application_id=application.pk)
    refused = request.method == "POST" and (form.errors or not eligibility.allowed)
    return render(
        request,
        "orders/application_form.html",
        {"form": form, "offer": offer, "institution": institution, "eligibility": eligibility},
        status=(403 if not eligibility.allowed else 400) if refused else 200,
    )


# ---------------------------------------------------------------- review (接单审核)


def _application_reader(request):
    if not permissions.can_read_applications(request.user):
        raise PermissionDenied(_("只有培训机构、区县人社、市人社局和审计人员可以查看接单申请。"))


@login_required
@require_GET
def application_list(request):
    _application_reader(request)
    wanted = request.GET.get("status", None)
    if wanted is None:
        wanted = ApplicationStatus.SUBMITTED if permissions.can_decide_any(request.user) else ""
    if wanted not in ApplicationStatus.values:
        wanted = ""
    applications = selectors.applications_listed(selectors.applications_visible_to(request.user))
    if wanted:
        applications = applications.filter(status=wanted)
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/application_list.html",
        {"page": page, "status": wanted, "statuses": ApplicationStatus.choices},
    )


def _application_in_reach(request, application_id: int):
    application = selectors.application_in(selectors.applications_visible_to(request.user), application_id)
    if application is None:
        raise Http404(_("没有这份接单申请。"))
    return application


def _application_page(request, application, *, form=None, status=200):
    can_decide = (
        permissions.can_decide(request.user, application)
        and application.status == ApplicationStatus.SUBMITTED
    )
    return render(
        request,
        "orders/application_detail.html",
        {
            "application": application,
            "teachers": application.teachers.order_by("id"),
            "form": form or (DecisionForm() if can_decide else None),
            "can_manage_class": application.training_class_id is not None
            and roles.can_manage_class(request.user, application.training_class),
        },
        status=status,
    )


@login_required
@require_GET
def application_detail(request, application_id: int):
    _application_reader(request)
    return _application_page(request, _application_in_reach(request, application_id))


@login_required
@require_POST
def application_decide(request, application_id: int):
    if not permissions.can_decide_any(request.user):
        raise PermissionDenied(_("只有区县人社工作人员和市人社局可以审核接单申请。"))
    application = _application_in_reach(request, application_id)
    if not permissions.can_decide(request.user, application):
        raise PermissionDenied(_("只有培训机构所在区县的人社工作人员可以审核这份申请。"))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _application_page(request, application, form=form, status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        decided = services.application_decide(
            application_id=application.pk,
            user=request.user,
            approve=approve,
            reason=form.cleaned_data["reason"],
        )
    except ValueError as error:
        form.add_error("reason", str(error))
        return _application_page(request, application, form=form, status=400)
    except services.OrderRefused as refused:
        messages.error(request, refused.detail)
        return _application_page(request, _application_in_reach(request, application.pk), status=409)
    audit_record(
        request,
        action=AuditAction.DECISION,
        subject="orders.applications",
        object_id=application.pk,
        detail={
            "decision": "approve" if approve else "reject",
            "reason": form.cleaned_data["reason"],
            "status": decided.status,
        },
    )
    messages.success(
        request,
        _("已通过，班级已开设，需求匹配的学员会收到通知。") if approve else _("已退回，培训机构会看到原因。"),
    )
    return redirect("orders:application", application_id=application.pk)


# ---------------------------------------------------------------- learners (选单)


def _learner(request):
    learner = getattr(request.user, "learner", None)
    if learner is None or not permissions.is_learner(request.user):
        raise PermissionDenied(_("只有注册学员可以报名培训班。"))
    return learner


@login_required
@require_GET
def open_classes(request):
    learner = _learner(request)
    rows = selectors.open_classes_for(learner)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/open_classes.html", {"page": page, "learner": learner})


@login_required
@require_POST
def class_enrol(request, class_id: int):
    learner = _learner(request)
    application = selectors.offer_class(class_id)
    if application is None:
        raise Http404(_("没有这个可报名的班级。"))
    try:
        _membership, created = services.class_enrol(learner=learner, application=application)
    except services.OrderRefused as refused:
        messages.error(request, refused.detail)
        return redirect("orders:open-classes")
    if created:
        messages.success(
            request,
            _("已报名“%(name)s”，课程已加入“我的学习”。") % {"name": application.training_class.name},
        )
    else:
        messages.info(request, _("您已在这个班级中。"))
    return redirect("orders:open-classes")
