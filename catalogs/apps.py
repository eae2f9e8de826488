from django.apps import AppConfig


class CatalogsConfig(AppConfig):
    name = "catalogs"
    verbose_name = "四个目录 Catalogs"
