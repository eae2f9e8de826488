"""Reads of the teacher pool and teaching materials, shared by the API and other apps."""

from django.db.models import Prefetch, Q, QuerySet
from wagtail.images import get_image_model

from teachers.models import Material, Teacher, TeacherCertificate, TeacherState

# Teachers' photos in the API: portrait, 3:4, the size of a certificate photo shown twice over.
PHOTO_SPEC = "fill-240x320"


def approved_teachers() -> QuerySet[Teacher]:
    """Approved teachers only, in a stable order. Submitted, rejected and suspended never."""
    return Teacher.objects.filter(state=TeacherState.APPROVED).order_by("id")


def public_teachers(*, specialty: str = "", q: str = "") -> QuerySet[Teacher]:
    """Approved teachers with what the public list shows prefetched (a fixed number of queries).

    ``specialty`` is an occupation code; ``q`` a text the name, title, employer or bio contains.
    """
    teachers = approved_teachers().prefetch_related(
        Prefetch("photo", queryset=get_image_model().objects.prefetch_renditions(PHOTO_SPEC)),
        "specialties",
        Prefetch("certificates", queryset=TeacherCertificate.objects.order_by("sort_order", "id")),
    )
    if specialty:
        teachers = teachers.filter(pk__in=Teacher.objects.filter(specialties__code=specialty).values("pk"))
    if q:
        teachers = teachers.filter(
            Q(name__icontains=q) | Q(title__icontains=q) | Q(employer__icontains=q) | Q(bio__icontains=q)
        )
    return teachers


def live_materials() -> QuerySet[Material]:
    """Published (live) materials, in a stable order. Drafts and unpublished ones never."""
    return Material.objects.filter(live=True).order_by("id")


def public_materials(*, occupation: str = "", level: str = "", q: str = "") -> QuerySet[Material]:
    """Live materials with occupation and document fetched in the same query."""
    materials = live_materials().select_related("occupation", "document")
    if occupation:
        materials = materials.filter(occupation__code=occupation)
    if level:
        materials = materials.filter(level=level)
    if q:
        materials = materials.filter(
            Q(title__icontains=q)
            | Q(authors__icontains=q)
            | Q(publisher__icontains=q)
            | Q(summary__icontains=q)
            | Q(isbn__icontains=q)
        )
    return materials
