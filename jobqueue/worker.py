"""Workers that run each job inside the Flask app's context."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from typing import Any

from rq import SimpleWorker, Worker
from rq.timeouts import TimerDeathPenalty
from rq.worker import WorkerStatus

from jobqueue import timing


class AppContextWorker(Worker):
    """RQ's forking worker; the work horse enters the app context and opens fresh connections."""

    app: Any = None

    # Hooks the app may set in ``app.extensions``: ``before_fork`` and ``after_horse`` run
    # in this process around each job, ``after_fork`` and ``horse_done`` in the horse;
    # ``start_job`` and ``end_job`` (given the job) in this process, the first once the
    # worker is busy with the job and before the fork, the second after ``after_horse``.

    def _hook(self, name: str, *args: Any) -> None:
        hook = self.app.extensions.get(name)
        if hook is not None:
            hook(*args)

    def execute_job(self, job: Any, queue: Any) -> None:
        # RQ's own steps, with room for the app's work in this process around the horse.
        self._hook("before_fork")
        try:
            self.prepare_execution(job)  # busy: a stop request now waits for this job
            self._hook("start_job", job)
            self.fork_work_horse(job, queue)
            self.monitor_work_horse(job, queue)
        finally:
            # Even when RQ's bookkeeping failed (Redis gone): the horse's work is done,
            # and what it leaves for this process to finish must not be dropped.
            self._outlive_horse()
            self._hook("after_horse")
            self._hook("end_job", job)
        self.set_state(WorkerStatus.IDLE)

    def _outlive_horse(self) -> None:
        """Wait for a horse still running when monitoring stopped short (a Redis error in a
        heartbeat): its own job timeout bounds it."""
        pid = self._horse_pid
        if not pid:
            return
        with contextlib.suppress(ChildProcessError):  # already reaped
            os.waitpid(pid, 0)
        self._horse_pid = 0

    def fork_work_horse(self, job: Any, queue: Any) -> None:
        if timing.enabled():
            timing.fork_stamp = time.perf_counter()
        super().fork_work_horse(job, queue)

    def perform_job(self, job: Any, queue: Any, *args: Any, **kwargs: Any) -> bool:
        timing.start(since=timing.fork_stamp, forked=True)
        timing.lap("fork")
        self._hook("after_fork")
        try:
            with self.app.app_context():
                timing.lap("app context")
                return super().perform_job(job, queue, *args, **kwargs)
        finally:
            # After the app context's teardown: the session has given its connection back.
            self._hook("horse_done")
            timing.lap("rq")
            timing.finish()


class AppContextSimpleWorker(SimpleWorker):
    """Runs each job in the worker process itself (``publisher worker --no-fork``).

    Faster (connections and caches live on between jobs) but without a work horse's
    isolation: a job that crashes the interpreter takes the worker with it, and the
    delivery lease and reconciliation take over from there.
    """

    app: Any = None

    def perform_job(self, job: Any, queue: Any, *args: Any, **kwargs: Any) -> bool:
        timing.start()
        try:
            with self.app.app_context():
                timing.lap("app context")
                return super().perform_job(job, queue, *args, **kwargs)
        finally:
            timing.lap("rq")
            timing.finish()


class EmbeddedWorker(SimpleWorker):
    """Runs jobs in a thread of the web process (embedded mode): no fork, no signal handlers."""

    app: Any = None
    # Job timeouts by SIGALRM only work in the main thread; a timer thread works anywhere.
    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        # Signals belong to the main thread (the web server); this worker stops by event.
        pass

    def perform_job(self, job: Any, queue: Any, *args: Any, **kwargs: Any) -> bool:
        with self.app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)


def run_embedded_worker(
    app: Any, queues: list[Any], stop: threading.Event, idle: float = 0.5
) -> None:
    """Drain the queues in bursts until ``stop`` is set."""
    connection = queues[0].connection
    while not stop.is_set():
        worker = EmbeddedWorker(queues, connection=connection)
        worker.app = app
        worker.work(burst=True, logging_level="WARNING", with_scheduler=False)
        stop.wait(idle)
