"""API v1: ``GET /api/v1/catalogs/{kind}/``, the published entries of one catalog.

Every result has ``id``, ``kind``, ``occupation`` ({code, name}), ``level``, ``level_name`` and
``year``, then the fields of its kind. ``subsidy_amount`` is a decimal string ("1500.00"),
exact for money. An institution entry is approved for several occupations and levels: it lists
them in ``occupations``, ``levels`` and ``level_names``, and its ``occupation``, ``level`` and
``level_name`` are null.
"""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from api.pagination import StandardPagination
from catalogs import selectors
from catalogs.choices import CatalogKind, InstitutionType
from catalogs.models import DemandEntry, GeneralEntry, InstitutionEntry, KeyIndustryEntry
from vocabulary.people import District, TargetGroup
from vocabulary.training import Industry, Level


class CatalogOccupationSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ReadOnlyModelSerializer(serializers.ModelSerializer):
    """Output only: every field read-only (the schema then marks them all present)."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class CatalogKindField(serializers.ReadOnlyField):
    """``kind``: the entry's catalog, the discriminator of ``CatalogEntry``. Each entry serializer
    declares its own, naming the one kind it serializes."""

    def __init__(self, kind: CatalogKind, **kwargs):
        self.kind = CatalogKind(kind)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return str(value)


class CatalogKindFieldExtension(OpenApiSerializerFieldExtension):
    """Documents a ``CatalogKindField`` as its own one-value enum component (``GeneralEntryKindEnum``
    …). The branches of the ``CatalogEntry`` oneOf then exclude each other — an entry is valid under
    its own kind's schema only, as standard JSON Schema validators require of a oneOf — and agree
    with its discriminator. A component (not an inline enum) keeps drf-spectacular's enum naming of
    other ``kind`` fields unchanged."""

    target_class = CatalogKindField

    def map_serializer_field(self, auto_schema, direction):
        kind = self.target.kind
        name = "".join(part.capitalize() for part in str(kind.value).split("-")) + "EntryKindEnum"
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=name,
            schema={
                "type": "string",
                "enum": [str(kind.value)],
                "description": f"`{kind.value}` {kind.label}",
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class OccupationEntrySerializer(ReadOnlyModelSerializer):
    occupation = CatalogOccupationSerializer(read_only=True)
    level_name = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        fields = ["id", "kind", "occupation", "level", "level_name", "year"]


class GeneralEntrySerializer(OccupationEntrySerializer):
    kind = CatalogKindField(CatalogKind.GENERAL)
    subsidy_amount = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=True)

    class Meta(OccupationEntrySerializer.Meta):
        model = GeneralEntry
        fields = OccupationEntrySerializer.Meta.fields + ["subsidy_amount"]


class KeyIndustryEntrySerializer(GeneralEntrySerializer):
    kind = CatalogKindField(CatalogKind.KEY_INDUSTRY)
    industry_name = serializers.CharField(source="get_industry_display", read_only=True)

    class Meta(GeneralEntrySerializer.Meta):
        model = KeyIndustryEntry
        fields = GeneralEntrySerializer.Meta.fields + ["industry", "industry_name"]


class DemandEntrySerializer(OccupationEntrySerializer):
    kind = CatalogKindField(CatalogKind.DEMAND)
    target_group_name = serializers.CharField(source="get_target_group_display", read_only=True)

    class Meta(OccupationEntrySerializer.Meta):
        model = DemandEntry
        fields = OccupationEntrySerializer.Meta.fields + [
            "district",
            "target_group",
            "target_group_name",
            "demand_count",
        ]


class InstitutionEntrySerializer(ReadOnlyModelSerializer):
    kind = CatalogKindField(CatalogKind.INSTITUTION)
    occupation = serializers.SerializerMethodField()
    level = serializers.SerializerMethodField()
    level_name = serializers.SerializerMethodField()
    institution_type_name = serializers.CharField(source="get_institution_type_display", read_only=True)
    occupations = CatalogOccupationSerializer(many=True, read_only=True)
    levels = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="等级值，如 5、4")
    level_names = serializers.ListField(
        child=serializers.CharField(), source="get_levels_display", read_only=True
    )

    class Meta:
        model = InstitutionEntry
        fields = [
            "id",
            "kind",
            "occupation",
            "level",
            "level_name",
            "year",
            "name",
            "credit_code",
            "district",
            "institution_type",
            "institution_type_name",
            "occupations",
            "levels",
            "level_names",
            "contact_phone",
        ]

    @extend_schema_field(CatalogOccupationSerializer(allow_null=True))
    def get_occupation(self, entry) -> None:
        return None

    def get_level(self, entry) -> str | None:
        return None

    def get_level_name(self, entry) -> str | None:
        return None


SERIALIZERS = {
    CatalogKind.KEY_INDUSTRY: KeyIndustryEntrySerializer,
    CatalogKind.GENERAL: GeneralEntrySerializer,
    CatalogKind.DEMAND: DemandEntrySerializer,
    CatalogKind.INSTITUTION: InstitutionEntrySerializer,
}


class CatalogQuerySerializer(serializers.Serializer):
    """The list's query parameters; a bad value is a 400 naming the parameter."""

    occupation = serializers.CharField(required=False, max_length=12, help_text="职业编码，如 4-10-01-05")
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    industry = serializers.ChoiceField(choices=Industry.choices, required=False)
    district = serializers.ChoiceField(choices=District.choices, required=False)
    target_group = serializers.ChoiceField(choices=TargetGroup.choices, required=False)
    institution_type = serializers.ChoiceField(choices=InstitutionType.choices, required=False)


def _choices(choices) -> str:
    return ", ".join(f"`{value}` {label}" for value, label in choices)


@extend_schema(
    summary="四个目录 · the published entries of one catalog",
    parameters=[
        OpenApiParameter(
            "kind",
            OpenApiTypes.STR,
            OpenApiParameter.PATH,
            enum=CatalogKind.values,
            description=_choices(CatalogKind.choices),
        ),
        OpenApiParameter(
            "occupation", OpenApiTypes.STR, description="职业编码 occupation code, e.g. 4-10-01-05"
        ),
        OpenApiParameter("level", OpenApiTypes.STR, enum=Level.values, description=_choices(Level.choices)),
        OpenApiParameter("year", OpenApiTypes.INT, description="年度 catalog year, e.g. 2026"),
        OpenApiParameter(
            "industry",
            OpenApiTypes.STR,
            enum=Industry.values,
            description="key-industry only. " + _choices(Industry.choices),
        ),
        OpenApiParameter(
            "district", OpenApiTypes.STR, enum=District.values, description="demand and institution only"
        ),
        OpenApiParameter(
            "target_group", OpenApiTypes.STR, enum=TargetGroup.values, description="demand only"
        ),
        OpenApiParameter(
            "institution_type", OpenApiTypes.STR, enum=InstitutionType.values, description="institution only"
        ),
    ],
    responses=PolymorphicProxySerializer(
        component_name="CatalogEntry",
        serializers={str(kind.value): serializer for kind, serializer in SERIALIZERS.items()},
        resource_type_field_name="kind",
        many=True,
    ),
)
class CatalogEntryListView(generics.ListAPIView):
    """Published entries of one catalog, paginated; public. Filters that do not apply to the
    catalog are ignored; a bad filter value is a 400, an unknown kind a 404."""

    permission_classes = [AllowAny]
    pagination_class = StandardPagination

    def get_queryset(self):
        kind = self.kwargs["kind"]
        try:
            entries = selectors.published_entries(kind)
        except selectors.UnknownCatalog:
            raise NotFound(_("没有这个目录；目录为 key-industry、general、demand、institution。")) from None
        query = CatalogQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        filters["occupation_code"] = filters.pop("occupation", "")
        return selectors.entries_filter(entries, kind=kind, **filters)

    def get_serializer_class(self):
        return SERIALIZERS.get(self.kwargs.get("kind"), GeneralEntrySerializer)
