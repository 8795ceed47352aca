"""The web server's worker: gunicorn's threaded worker, leaving new connections to idler processes.

An integration keeps its connection open, so the process that accepts it serves all its requests.
With plain gunicorn every process races for each new connection and the first awake wins, so
four clients of a two-process server land three on one process about half the time: that process
is held to one core by Python's global interpreter lock while the other idles, and each client
waits behind the other two. Here a process that already holds connections waits a moment (a
millisecond for each, at most four) before accepting, so a process holding fewer takes it first.
The wait holds that process's event loop, so a request arriving meanwhile on one of its open
connections waits as long; new connections are rare beside the requests on open ones.
"""

import time

from gunicorn.workers.gthread import ThreadWorker

MOST_WAIT_SECONDS = 0.004


class BalancedThreadWorker(ThreadWorker):
    def accept(self, listener):
        if self.nr_conns:
            time.sleep(min(self.nr_conns / 1000, MOST_WAIT_SECONDS))
        super().accept(listener)
