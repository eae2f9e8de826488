"""The teacher pool (师资库) and teaching materials (教材) of the "三优" content pool.

Teachers are vetted by reviewers (see ``teachers.services`` for the states and who may move a
teacher between them); only approved teachers are public. Materials are Wagtail snippets with
drafts, revisions, locking and the moderation workflow; only live (published) ones are public.
"""

import contextlib

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import DraftStateMixin, LockableMixin, Orderable, RevisionMixin, WorkflowMixin
from wagtail.search import index

from courses.search import searchable_text
from teachers.isbn import isbn_normalize, validate_isbn
from vocabulary.identity import mask_phone
from vocabulary.people import phone_validator
from vocabulary.training import Level


class TeacherState(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    UNDER_REVIEW = "under_review", _("审核中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    SUSPENDED = "suspended", _("已暂停")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Teacher(index.Indexed, ClusterableModel):
    """A teacher of the pool. ``state`` is changed only by ``services.teacher_transition``."""

    name = models.CharField(_("姓名"), max_length=50)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("照片"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    employer = models.CharField(_("工作单位"), max_length=200)
    title = models.CharField(
        _("职称"), max_length=100, blank=True, help_text=_("如：高级讲师、高级技师、副教授")
    )
    bio = models.TextField(_("个人简介"), blank=True)
    specialties = ParentalManyToManyField(
        "courses.Occupation", verbose_name=_("专长职业（工种）"), related_name="teachers", blank=True
    )
    phone = models.CharField(
        _("手机号码"),
        max_length=11,
        blank=True,
        validators=[phone_validator],
        help_text=_("仅供管理联系，公开处一律不显示或打码。"),
    )
    state = models.CharField(
        _("审核状态"),
        max_length=20,
        choices=TeacherState.choices,
        default=TeacherState.SUBMITTED,
        db_index=True,
    )
    state_reason = models.TextField(_("审核意见"), blank=True)
    state_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    panels = [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("name"), FieldPanel("gender")]),
                FieldPanel("photo"),
                FieldRowPanel([FieldPanel("employer"), FieldPanel("title")]),
                FieldPanel("phone"),
                FieldPanel("bio"),
            ],
            heading=_("基本信息"),
        ),
        FieldPanel("specialties"),
        InlinePanel("certificates", heading=_("资格证书"), label=_("证书")),
        MultiFieldPanel(
            [FieldPanel("state", read_only=True), FieldPanel("state_reason", read_only=True)],
            heading=_("审核"),
        ),
    ]
    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("bio"),
        index.SearchField("employer"),
        index.SearchField("title"),
        index.RelatedFields("specialties", [index.SearchField("name"), index.FilterField("code")]),
        index.SearchField("search_text"),
        index.FilterField("state"),
    ]

    def search_text(self) -> str:
        """Name, title, employer, bio and specialties, tokenised for Chinese search."""
        specialties = " ".join(occupation.name for occupation in self.specialties.all())
        return searchable_text(self.name, self.title, self.employer, self.bio, specialties)

    class Meta:
        ordering = ["id"]
        verbose_name = pgettext_lazy("model", "师资")
        verbose_name_plural = pgettext_lazy("model plural", "师资")

    def __str__(self):
        return f"{self.name}（{self.employer}）" if self.employer else self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_approved(self) -> bool:
        return self.state == TeacherState.APPROVED


class TeacherCertificate(Orderable):
    """A qualification certificate of a teacher. ``number`` and ``scan`` are personal data."""

    teacher = ParentalKey(
        Teacher,
        on_delete=models.CASCADE,
        related_name="certificates",
        verbose_name=pgettext_lazy("field", "师资"),
    )
    name = models.CharField(_("证书名称"), max_length=100, help_text=_("如：职业技能等级证书（养老护理员）"))
    number = models.CharField(_("证书编号"), max_length=50, blank=True)
    issued_by = models.CharField(_("发证机构"), max_length=100, blank=True)
    level = models.CharField(_("等级"), max_length=50, blank=True, help_text=_("如：一级/高级技师"))
    issued_on = models.DateField(_("发证日期"), null=True, blank=True)
    scan = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("证书扫描件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("请放入非公开的文档集合：扫描件含个人信息。"),
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("level")]),
        FieldRowPanel([FieldPanel("number"), FieldPanel("issued_by"), FieldPanel("issued_on")]),
        FieldPanel("scan"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = pgettext_lazy("model", "资格证书")
        verbose_name_plural = pgettext_lazy("model plural", "资格证书")

    def __str__(self):
        return self.name


class Material(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, models.Model):
    """A teaching material (教材). Published through Wagtail's moderation workflow."""

    title = models.CharField(_("书名"), max_length=200)
    authors = models.CharField(_("作者/主编"), max_length=200, blank=True)
    publisher = models.CharField(_("出版社"), max_length=100, blank=True)
    isbn = models.CharField(
        "ISBN",
        max_length=20,
        blank=True,
        validators=[validate_isbn],
        help_text=_("13 位或旧版 10 位，可含连字符；保存为 13 位。"),
    )
    edition = models.CharField(_("版次"), max_length=50, blank=True, help_text=_("如：第2版"))
    year = models.PositiveSmallIntegerField(
        _("出版年份"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1949), MaxValueValidator(2100)],
    )
    occupation = models.ForeignKey(
        "courses.Occupation",
        verbose_name=_("职业（工种）"),
        on_delete=models.PROTECT,
        related_name="materials",
    )
    level = models.CharField(_("等级"), max_length=10, choices=Level.choices, default=Level.FIVE)
    document = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("电子版"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cover = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("封面"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    provincial_quality = models.BooleanField(_("省级三优资源"), default=False)
    summary = models.TextField(_("内容简介"), blank=True)

    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="teaching_material",
        for_concrete_model=False,
    )
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="teaching_material",
        for_concrete_model=False,
    )

    panels = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("authors"), FieldPanel("publisher")]),
        FieldRowPanel([FieldPanel("isbn"), FieldPanel("edition"), FieldPanel("year")]),
        FieldRowPanel([FieldPanel("occupation"), FieldPanel("level")]),
        FieldPanel("provincial_quality"),
        FieldPanel("summary"),
        FieldRowPanel([FieldPanel("cover"), FieldPanel("document")]),
    ]
    search_fields = [
        index.SearchField("title"),
        index.AutocompleteField("title"),
        index.SearchField("authors"),
        index.SearchField("publisher"),
        index.SearchField("summary"),
        index.RelatedFields("occupation", [index.SearchField("name"), index.FilterField("code")]),
        index.SearchField("search_text"),
        index.FilterField("live"),
        index.FilterField("level"),
        index.FilterField("provincial_quality"),
    ]

    class Meta:
        ordering = ["id"]
        verbose_name = pgettext_lazy("model", "教材")
        verbose_name_plural = pgettext_lazy("model plural", "教材")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Programmatic saves skip clean(); store the ISBN-13 form whenever the value is valid
        # (an invalid one is reported by full_clean() where a form is involved).
        with contextlib.suppress(ValidationError):
            self.isbn = isbn_normalize(self.isbn)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        try:
            self.isbn = isbn_normalize(self.isbn)
        except ValidationError as error:
            raise ValidationError({"isbn": error.messages}) from None

    def search_text(self) -> str:
        """Title, authors, publisher, summary and occupation, tokenised for Chinese search."""
        occupation = self.occupation.name if self.occupation_id else ""
        return searchable_text(self.title, self.authors, self.publisher, self.summary, occupation)
