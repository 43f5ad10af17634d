"""Run a coroutine to completion from a test, whatever the calling thread is doing.

Playwright's sync API (the browser tests' session fixture) keeps an event loop running in
the main thread, where asyncio.run() then refuses to start; a worker thread has none.
"""

import asyncio
import concurrent.futures


def run_async(coroutine, timeout: float = 60):
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout)
