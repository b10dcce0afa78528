"""Project commands (Scrapy's COMMANDS_MODULE): `crawl` with argument checks, and `cron`."""
