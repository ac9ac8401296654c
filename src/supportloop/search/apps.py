from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "supportloop.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from supportloop.core.health import register
        from supportloop.core.indexing import register_indexer, register_matcher
        from supportloop.search.engine import on_index_changed, text_match_ids
        from supportloop.search.health import check_search_index

        # The services of tickets, customers and feedback call core.indexing.index_changed in their transaction.
        register_indexer(on_index_changed)
        # ... and lower apps' search boxes (the feedback ranking's q) ask it through core.indexing.text_matches.
        register_matcher(text_match_ids)
        register("search_index", check_search_index)
