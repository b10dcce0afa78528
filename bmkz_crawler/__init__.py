"""bmkz_crawler: a Scrapy project that crawls BM.KZ into clean, deduplicated article feeds."""
