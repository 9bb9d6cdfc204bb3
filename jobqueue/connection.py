"""The Redis connection (real, or fakeredis in embedded mode) and queue helpers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask, current_app
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

QUEUE_NAMES = ("deliveries", "maintenance")


@dataclass
class JobQueue:
    redis: Any
    prefix: str
    embedded: bool

    def queue(self, name: str = "deliveries") -> Queue:
        return Queue(f"{self.prefix}-{name}", connection=self.redis, default_timeout=600)

    def queues(self) -> list[Queue]:
        return [self.queue(name) for name in QUEUE_NAMES]

    def enqueue(self, func: str, *args: Any, job_id: str, queue: str = "deliveries") -> Job:
        """Enqueue ``func`` (a dotted path) with plain arguments; results are not kept."""
        return self.queue(queue).enqueue(
            func,
            *args,
            job_id=job_id,
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
            job_timeout=600,
        )

    def enqueue_many(
        self, func: str, calls: list[tuple[tuple[Any, ...], str]], queue: str = "deliveries"
    ) -> list[Job]:
        """Enqueue ``func`` once per ``(args, job_id)`` in one pipelined round trip."""
        target = self.queue(queue)
        return target.enqueue_many(
            [
                Queue.prepare_data(
                    func,
                    args,
                    job_id=job_id,
                    result_ttl=0,
                    failure_ttl=7 * 24 * 3600,
                    timeout=600,
                )
                for args, job_id in calls
            ]
        )

    def enqueue_once(self, func: str, *args: Any, job_id: str, queue: str = "deliveries") -> bool:
        """Enqueue unless a job with this id still waits or runs; True when it was enqueued."""
        if self.job_alive(job_id):
            return False
        self.enqueue(func, *args, job_id=job_id, queue=queue)
        return True

    def job_alive(self, job_id: str) -> bool:
        """True while a job waits in a queue or runs; False when Redis forgot it or it ended."""
        try:
            job = Job.fetch(job_id, connection=self.redis)
        except NoSuchJobError:
            return False
        status = job.get_status(refresh=False)
        return status in (
            JobStatus.QUEUED,
            JobStatus.STARTED,
            JobStatus.DEFERRED,
            JobStatus.SCHEDULED,
        )

    def alive_jobs(self, job_ids: list[str]) -> set[str]:
        """The ids among ``job_ids`` whose jobs still wait or run, asked in one pipeline."""
        if not job_ids:
            return set()
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.hget(Job.key_for(job_id), "status")
        statuses = pipe.execute()
        waiting = {
            s.value.encode()
            for s in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)
        }
        return {
            job_id for job_id, status in zip(job_ids, statuses, strict=True) if status in waiting
        }

    def signal(self, name: str) -> None:
        """Wake one process waiting in ``wait_signal(name)``; kept (once) if none waits yet."""
        if self.embedded:
            _event(self.prefix, name).set()
            return
        key = self._signal_key(name)
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(key, "1")
        pipe.ltrim(key, 0, 0)  # many signals before a wait are one wake-up
        pipe.expire(key, 3600)
        pipe.execute()

    def wait_signal(self, name: str, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for a signal; True when one came."""
        if timeout <= 0:
            return False
        if self.embedded:
            # In-process: an Event, since fakeredis's blocking pop would poll.
            event = _event(self.prefix, name)
            woke = event.wait(timeout)
            event.clear()
            return woke
        return self.redis.blpop([self._signal_key(name)], timeout=timeout) is not None

    def _signal_key(self, name: str) -> str:
        return f"{self.prefix}-signal-{name}"

    def depth(self) -> dict[str, int]:
        return {name: self.queue(name).count for name in QUEUE_NAMES}

    def ping(self) -> bool:
        return bool(self.redis.ping())


_FAKE_SERVERS: dict[str, Any] = {}
_EVENTS: dict[tuple[str, str], threading.Event] = {}
_EVENTS_LOCK = threading.Lock()


def _event(prefix: str, name: str) -> threading.Event:
    with _EVENTS_LOCK:
        return _EVENTS.setdefault((prefix, name), threading.Event())


def connect(redis_url: str | None, prefix: str) -> JobQueue:
    if redis_url:
        client = redis.Redis.from_url(
            redis_url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30
        )
        return JobQueue(client, prefix, embedded=False)
    import fakeredis

    # One in-process server per queue prefix, shared by the web, dispatcher and worker threads.
    server = _FAKE_SERVERS.setdefault(prefix, fakeredis.FakeServer())
    return JobQueue(fakeredis.FakeRedis(server=server), prefix, embedded=True)


def init_app(app: Flask, redis_url: str | None, prefix: str) -> None:
    app.extensions["jobqueue"] = connect(redis_url, prefix)


def get_queue() -> JobQueue:
    return current_app.extensions["jobqueue"]
