"""An offline, deterministic mirror of BM.KZ served on loopback (issue 3).

The site is generated from (seed, number of articles[, now]: `timeline`): `model` holds per-article metadata,
`content` generates bodies on demand, `render_*` write the SmartMag/Yoast markup (or, with
`theme="newsroom"`, the made-up theme of `render_newsroom`; see `themes`), `app` routes a
request to a reply (`validators`: ETag, Last-Modified and 304 on feeds, sitemaps and
robots.txt), `server` serves it with Twisted, `faults` injects failures, `changes` edits
older articles silently and deletes some when told the sizes the site grew through, `truth`
gives the Article each article page should yield, in the contract's form as the mirror's own
`oracle` writes it (never with the crawler's processors, whose work it grades).
`testing.running_mirror` starts it for tests, `bench` measures its pages per second.
"""
