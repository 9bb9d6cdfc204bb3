"""Public reading: RSS feeds per portal channel (``/feeds/<slug>.rss``) and the article
pages their items and Fanpage link posts point to (``/articles/<id>-<slug>``)."""
