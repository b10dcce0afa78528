"""Page knowledge: turning BM.KZ pages into items and links. No I/O, no scheduling."""

from bmkz_crawler.extraction.article import ArticleExtractor, ArticleLoader

__all__ = ["ArticleExtractor", "ArticleLoader"]
