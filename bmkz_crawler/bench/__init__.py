"""`python -m bmkz_crawler.bench`: the crawler held to its limits, all figures from one run.

1. crawl throughput of `scrapy crawl news` against a fetch-only spider on the same URLs;
2. extraction time and accuracy of ArticleExtractor against trafilatura on the same pages;
3. peak RSS of a 10,000-article crawl and of a 2,500-article one;
4. incremental cost: requests per new article on a mirror grown from N to N+K;
5. the mirror's own pages per second (the ground is not the bottleneck).

Everything runs against the offline mirror on 127.0.0.1, started here; crawls are real
`scrapy` subprocesses with politeness switched off explicitly (the mirror is ours).
"""
