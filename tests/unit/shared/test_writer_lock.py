"""The SQLite writer lock: one writer at a time across processes, including forked ones."""
import multiprocessing
import time

from shared.db import Database


def _enter_and_report(lock, queue):
    with lock:
        queue.put(time.monotonic())


def test_a_forked_process_waits_for_the_lock_its_parent_holds(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    lock = db._writer_lock
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    with lock:  # opened before the fork: the child must not share this descriptor's lock
        child = ctx.Process(target=_enter_and_report, args=(lock, queue))
        child.start()
        time.sleep(0.5)
        released = time.monotonic()
    entered = queue.get(timeout=10)
    child.join(10)
    assert entered >= released


def test_the_lock_is_reentrant_within_a_thread_and_released_after_an_error(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db._writer_lock, db._writer_lock:
        pass
    try:
        with db.session():
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_enter_and_report, args=(db._writer_lock, queue))
    child.start()
    queue.get(timeout=5)  # free again
    child.join(10)


def test_in_memory_databases_have_no_lock_file():
    assert Database("sqlite://")._writer_lock is None
    assert Database("sqlite:///:memory:")._writer_lock is None
