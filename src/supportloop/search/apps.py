from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "supportloop.search"
    label = "search"
    verbose_name = "Search"
