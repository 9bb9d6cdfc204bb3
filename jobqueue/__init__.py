"""RQ plumbing: the Redis connection, queue names, enqueue helpers and the worker class.

Named ``jobqueue`` because a top-level package called ``queue`` would shadow the
standard library's ``queue`` module, which redis-py imports.
"""
