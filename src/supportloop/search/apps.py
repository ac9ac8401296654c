from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "supportloop.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from supportloop.core.health import register
        from supportloop.core.indexing import register_indexer
        from supportloop.search.engine import on_index_changed
        from supportloop.search.health import check_search_index

        # The services of tickets, customers and feedback call core.indexing.index_changed in their transaction.
        register_indexer(on_index_changed)
        register("search_index", check_search_index)
