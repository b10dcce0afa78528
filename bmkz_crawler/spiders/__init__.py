"""Crawl strategy: which pages to fetch next. Page knowledge lives in bmkz_crawler.extraction."""
