"""The embedded store: one SQLite file in WAL mode, the default of ``linegroupbot run``.

Python's own ``sqlite3`` runs on one dedicated thread that owns the connection; each
store call is one hop to that thread and one transaction, however many statements it
runs. Enqueues are group-committed: the webhook bodies that arrive while a commit is
under way share the next one. Several processes on one machine may share the file:
leases and the busy timeout keep them apart.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, TypeVar

import orjson

from ..errors import StoreError
from .protocol import (
    ANY_VERSION,
    DeadLetter,
    Entry,
    QueuedEvent,
    QueueStats,
    ScheduledRecord,
    event_id_in,
    shard_of,
)

__all__ = ["SqliteStore"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lgb_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lgb_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shard INTEGER NOT NULL,
    key TEXT NOT NULL,
    payload BLOB NOT NULL,
    enqueued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS lgb_queue_shard ON lgb_queue (shard, id);
CREATE TABLE IF NOT EXISTS lgb_dedupe (event_id TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS lgb_dedupe_expires ON lgb_dedupe (expires);
CREATE TABLE IF NOT EXISTS lgb_leases (
    shard INTEGER PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS lgb_workers (id TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS lgb_state (
    key TEXT PRIMARY KEY,
    chat TEXT NOT NULL,
    member TEXT,
    value BLOB NOT NULL,
    version INTEGER NOT NULL,
    expires REAL
);
CREATE INDEX IF NOT EXISTS lgb_state_chat ON lgb_state (chat, member);
CREATE TABLE IF NOT EXISTS lgb_schedule (
    id TEXT PRIMARY KEY,
    chat TEXT NOT NULL,
    due REAL NOT NULL,
    run_at REAL NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS lgb_schedule_run_at ON lgb_schedule (run_at);
CREATE INDEX IF NOT EXISTS lgb_schedule_chat ON lgb_schedule (chat, due);
CREATE TABLE IF NOT EXISTS lgb_dead (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT,
    key TEXT NOT NULL,
    payload BLOB NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    failed_at REAL NOT NULL
);
"""

_HOST = socket.gethostname()

_Row = tuple[str | None, int, str, bytes]


class SqliteStore:
    """Everything durable in one SQLite file (``sqlite:///bot.db``; four slashes: absolute).

    Implements :class:`~linegroupbot.stores.Store`; several processes of one machine may
    share the file.

    Args:
        path: The database file (made if missing).
        shards: How many queue shards.
        dedupe_ttl: Seconds event IDs are remembered for dedupe.
        synchronous: SQLite's setting: ``NORMAL`` (the default) survives a crash or a
            ``kill -9`` of the process; ``FULL`` also survives a power cut, at an fsync per
            commit.
        busy_timeout: Seconds to wait for another process's write lock.
        poll_interval: Seconds between looks for new events while a read waits.
        url: The URL to show for the store (default: made from ``path``).

    Raises:
        StoreError: ``synchronous`` is not a SQLite setting.
    """

    durable = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        shards: int = 16,
        dedupe_ttl: float = 24 * 3600,
        synchronous: str = "NORMAL",
        busy_timeout: float = 10.0,
        poll_interval: float = 0.1,
        url: str | None = None,
    ) -> None:
        if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise StoreError(
                f"synchronous={synchronous!r} is not a SQLite setting: use NORMAL or FULL"
            )
        self.path = Path(path)
        self.url = url or f"sqlite:///{self.path}"
        self.shards = shards
        self.dedupe_ttl = dedupe_ttl
        self.synchronous = synchronous.upper()
        self.busy_timeout = busy_timeout
        self.poll_interval = poll_interval
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None
        self._wakeup = asyncio.Event()
        self._enqueues = 0
        self._pending: list[tuple[list[_Row], asyncio.Future[list[bool]]]] = []
        self._committer: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"SqliteStore({self.url!r}, shards={self.shards})"

    # --- the one thread -------------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise StoreError(f"the store {self.url} is not open: call open() first")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def _conn(self) -> sqlite3.Connection:
        assert self._db is not None
        return self._db

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            result = fn(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result

    # --- lifecycle ------------------------------------------------------------------------

    async def open(self) -> None:
        """Create the file (and its folder) and the tables; fail clearly if it cannot."""
        if self._executor is not None:
            return
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="linegroupbot-sqlite"
        )
        try:
            await self._run(self._open_sync)
        except (sqlite3.Error, OSError) as error:
            self._executor.shutdown(wait=False)
            self._executor = None
            raise StoreError(
                f"cannot open the store {self.url}: {error}. Check that the folder exists and "
                "is writable, or choose another path with --store sqlite:///path/to/bot.db"
            ) from error

    def _open_sync(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db = db
        db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {self.synchronous}")
        db.executescript(_SCHEMA)

        def check(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT value FROM lgb_meta WHERE name = 'shards'").fetchone()
            if row is None:
                conn.execute("INSERT INTO lgb_meta VALUES ('shards', ?)", (str(self.shards),))
            elif int(row[0]) != self.shards:
                raise StoreError(
                    f"the store {self.url} was created with {row[0]} shards, not "
                    f"{self.shards}: use shards={row[0]} (every process of a bot must agree)"
                )

        self._write(check)

    async def close(self) -> None:
        """Close the connection and stop the thread."""
        if self._executor is None:
            return
        await self._run(self._close_sync)
        self._executor.shutdown(wait=True)
        self._executor = None

    def _close_sync(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- dedupe and enqueue ---------------------------------------------------------------

    async def first_seen(self, event_id: str) -> bool:
        """Record ``event_id``; true unless it was recorded within the dedupe TTL."""
        seen: bool = await self._run(
            self._write, lambda db: self._record(db, event_id, time.time())
        )
        return seen

    def _record(self, db: sqlite3.Connection, event_id: str, now: float) -> bool:
        cursor = db.execute(
            "INSERT INTO lgb_dedupe VALUES (?, ?) ON CONFLICT (event_id) DO UPDATE "
            "SET expires = excluded.expires WHERE lgb_dedupe.expires < ?",
            (event_id, now + self.dedupe_ttl, now),
        )
        return cursor.rowcount > 0

    async def enqueue(self, items: Sequence[QueuedEvent]) -> list[bool]:
        """Queue the events with new IDs; returns once they are committed."""
        rows = [(i.event_id, i.shard, i.key, i.payload or orjson.dumps(i.raw)) for i in items]
        done: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()
        self._pending.append((rows, done))
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_pending())
        return await asyncio.shield(done)

    async def _commit_pending(self) -> None:
        """Write every waiting enqueue in one transaction, until none waits."""
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                self._enqueues += 1
                purge = self._enqueues % 1000 == 0
                requests = [rows for rows, _ in batch]
                try:
                    results: list[list[bool]] = await self._run(
                        self._write,
                        functools.partial(self._enqueue, requests=requests, purge=purge),
                    )
                except BaseException as error:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
                    continue
                for (_, done), accepted in zip(batch, results, strict=True):
                    if not done.done():
                        done.set_result(accepted)
                if any(any(accepted) for accepted in results):
                    self._wakeup.set()
        finally:
            self._committer = None

    def _enqueue(
        self, db: sqlite3.Connection, *, requests: list[list[_Row]], purge: bool
    ) -> list[list[bool]]:
        now = time.time()
        results: list[list[bool]] = []
        new: list[tuple[int, str, bytes, float]] = []
        for rows in requests:
            accepted: list[bool] = []
            for event_id, shard, key, payload in rows:
                if event_id is not None and not self._record(db, event_id, now):
                    accepted.append(False)
                    continue
                new.append((shard, key, payload, now))
                accepted.append(True)
            results.append(accepted)
        db.executemany(
            "INSERT INTO lgb_queue (shard, key, payload, enqueued_at) VALUES (?, ?, ?, ?)", new
        )
        if purge:
            db.execute("DELETE FROM lgb_dedupe WHERE expires < ?", (now,))
        return results

    # --- workers and leases ---------------------------------------------------------------

    async def heartbeat(self, worker_id: str, ttl: float) -> int:
        """Record ``worker_id`` as alive; count the live workers."""

        def beat(db: sqlite3.Connection) -> int:
            now = time.time()
            db.execute("INSERT OR REPLACE INTO lgb_workers VALUES (?, ?)", (worker_id, now + ttl))
            db.execute("DELETE FROM lgb_workers WHERE expires < ?", (now,))
            alive = [r[0] for r in db.execute("SELECT id FROM lgb_workers")]
            return sum(1 for worker in alive if not _dead_here(worker))

        return await self._run(self._write, beat)

    async def leave(self, worker_id: str) -> None:
        """Forget ``worker_id``."""
        await self._run(
            self._write, lambda db: db.execute("DELETE FROM lgb_workers WHERE id = ?", (worker_id,))
        )

    async def claim_shards(
        self, owner: str, shards: Sequence[int], ttl: float, *, limit: int | None = None
    ) -> list[int]:
        """Renew or take leases; a lease of a dead process on this machine is free at once."""

        def claim(db: sqlite3.Connection) -> list[int]:
            now = time.time()
            current = dict((r[0], (r[1], r[2])) for r in db.execute("SELECT * FROM lgb_leases"))
            held: list[int] = []
            taken = 0
            for shard in shards:
                lease = current.get(shard)
                mine = lease is not None and lease[0] == owner
                if lease is not None and not mine and lease[1] > now and not _dead_here(lease[0]):
                    continue
                if not mine:
                    if limit is not None and taken >= limit:
                        continue
                    taken += 1
                db.execute(
                    "INSERT OR REPLACE INTO lgb_leases VALUES (?, ?, ?)", (shard, owner, now + ttl)
                )
                held.append(shard)
            return held

        return await self._run(self._write, claim)

    async def release_shards(self, owner: str, shards: Collection[int]) -> None:
        """Drop ``owner``'s leases on ``shards``."""
        rows = [(shard, owner) for shard in shards]
        await self._run(
            self._write,
            lambda db: db.executemany("DELETE FROM lgb_leases WHERE shard = ? AND owner = ?", rows),
        )

    # --- reading and acknowledging --------------------------------------------------------

    async def read(
        self,
        owner: str,
        shards: Collection[int],
        *,
        exclude: Collection[str],
        count: int,
        block: float,
    ) -> list[Entry]:
        """Queued events of ``shards`` not in ``exclude``; polls while waiting."""
        if not shards:
            if block > 0:
                await asyncio.sleep(min(block, self.poll_interval))
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + block
        wanted = sorted(shards)
        while True:
            self._wakeup.clear()
            found: list[Entry] = await self._run(
                self._write, lambda db: self._read(db, wanted, exclude, count)
            )
            remaining = deadline - loop.time()
            if found or remaining <= 0:
                return found
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), min(remaining, self.poll_interval))

    def _read(
        self, db: sqlite3.Connection, shards: list[int], exclude: Collection[str], count: int
    ) -> list[Entry]:
        marks = ",".join("?" * len(shards))
        rows = db.execute(
            f"SELECT id, shard, key, payload, enqueued_at, attempts FROM lgb_queue "  # noqa: S608
            f"WHERE shard IN ({marks}) ORDER BY id LIMIT ?",
            (*shards, count + len(exclude)),
        ).fetchall()
        found = [
            Entry(str(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows if str(r[0]) not in exclude
        ][:count]
        if found:
            db.executemany(
                "UPDATE lgb_queue SET attempts = attempts + 1 WHERE id = ?",
                [(int(e.id),) for e in found],
            )
        return found

    async def recover(self, owner: str, shard: int) -> list[Entry]:
        """Nothing to take over: unacknowledged rows stay readable by the lease holder."""
        return []

    async def ack(self, entries: Sequence[Entry]) -> None:
        """Delete the handled rows."""
        ids = [(int(e.id),) for e in entries]
        await self._run(
            self._write, lambda db: db.executemany("DELETE FROM lgb_queue WHERE id = ?", ids)
        )

    async def giveback(self, owner: str, entries: Sequence[Entry]) -> None:
        """Undo the delivery count of rows read but never started."""
        ids = [(int(e.id),) for e in entries]
        await self._run(
            self._write,
            lambda db: db.executemany(
                "UPDATE lgb_queue SET attempts = MAX(attempts - 1, 0) WHERE id = ?", ids
            ),
        )

    # --- dead letters ---------------------------------------------------------------------

    async def dead_letter(self, entry: Entry | None, *, raw: bytes, key: str, error: str) -> None:
        """Move the event to the dead letters (with its error) in one transaction."""

        def move(db: sqlite3.Connection) -> None:
            if entry is not None:
                db.execute("DELETE FROM lgb_queue WHERE id = ?", (int(entry.id),))
            db.execute(
                "INSERT INTO lgb_dead (event_id, key, payload, error, attempts, failed_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    event_id_in(raw),
                    key,
                    raw,
                    error,
                    (entry.attempts + 1) if entry is not None else 0,
                    time.time(),
                ),
            )

        await self._run(self._write, move)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The dead letters, oldest first."""

        def fetch(db: sqlite3.Connection) -> list[DeadLetter]:
            rows = db.execute("SELECT * FROM lgb_dead ORDER BY id LIMIT ?", (limit,)).fetchall()
            return [DeadLetter(str(r[0]), r[1], r[2], bytes(r[3]), r[4], r[5], r[6]) for r in rows]

        return await self._run(fetch, self._conn())

    async def replay(self, dead_letter_id: str) -> bool:
        """Queue the dead letter's event again, in one transaction."""

        def move(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT key, payload FROM lgb_dead WHERE id = ?", (int(dead_letter_id),)
            ).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM lgb_dead WHERE id = ?", (int(dead_letter_id),))
            db.execute(
                "INSERT INTO lgb_queue (shard, key, payload, enqueued_at) VALUES (?, ?, ?, ?)",
                (shard_of(row[0], self.shards), row[0], row[1], time.time()),
            )
            return True

        if not (dead_letter_id.isascii() and dead_letter_id.isdigit()):
            return False
        replayed: bool = await self._run(self._write, move)
        if replayed:
            self._wakeup.set()
        return replayed

    async def purge(self, dead_letter_id: str | None = None) -> int:
        """Delete one dead letter or all."""
        if dead_letter_id is not None and not (
            dead_letter_id.isascii() and dead_letter_id.isdigit()
        ):
            return 0

        def delete(db: sqlite3.Connection) -> int:
            if dead_letter_id is None:
                return db.execute("DELETE FROM lgb_dead").rowcount
            return db.execute("DELETE FROM lgb_dead WHERE id = ?", (int(dead_letter_id),)).rowcount

        return await self._run(self._write, delete)

    async def stats(self) -> QueueStats:
        """Depth, oldest age, dead letters, live workers."""

        def fetch(db: sqlite3.Connection) -> QueueStats:
            now = time.time()
            query = "SELECT COUNT(*), MIN(enqueued_at) FROM lgb_queue"
            depth, oldest = db.execute(query).fetchone()
            (dead,) = db.execute("SELECT COUNT(*) FROM lgb_dead").fetchone()
            (workers,) = db.execute(
                "SELECT COUNT(*) FROM lgb_workers WHERE expires >= ?", (now,)
            ).fetchone()
            return QueueStats(
                depth=depth,
                oldest_age=None if oldest is None else max(0.0, now - oldest),
                dead_letters=dead,
                workers=workers,
            )

        return await self._run(fetch, self._conn())

    # --- state ------------------------------------------------------------------------------

    @staticmethod
    def _state_row(db: sqlite3.Connection, key: str, now: float) -> tuple[bytes, int] | None:
        row = db.execute(
            "SELECT value, version, expires FROM lgb_state WHERE key = ?", (key,)
        ).fetchone()
        if row is None or (row[2] is not None and row[2] <= now):
            return None
        return bytes(row[0]), int(row[1])

    async def state_get(self, key: str) -> tuple[bytes, int] | None:
        """The value and version, unless absent or expired."""
        found: tuple[bytes, int] | None = await self._run(
            lambda: self._state_row(self._conn(), key, time.time())
        )
        return found

    async def state_put(
        self,
        key: str,
        value: bytes | None,
        *,
        chat: str,
        member: str | None = None,
        expected: int = ANY_VERSION,
        ttl: float | None = None,
    ) -> int:
        """Compare the version and write in one transaction (safe across processes)."""

        def put(db: sqlite3.Connection) -> int:
            now = time.time()
            row = self._state_row(db, key, now)
            current = 0 if row is None else row[1]
            if expected != ANY_VERSION and expected != current:
                return 0
            if value is None:
                db.execute("DELETE FROM lgb_state WHERE key = ?", (key,))
                return 1
            db.execute(
                "INSERT OR REPLACE INTO lgb_state VALUES (?, ?, ?, ?, ?, ?)",
                (key, chat, member, value, current + 1, None if ttl is None else now + ttl),
            )
            return current + 1

        version: int = await self._run(self._write, put)
        return version

    async def state_clear(self, chat: str, member: str | None = None) -> int:
        """Delete the chat's (or the member's) values."""

        def clear(db: sqlite3.Connection) -> int:
            if member is None:
                return db.execute("DELETE FROM lgb_state WHERE chat = ?", (chat,)).rowcount
            return db.execute(
                "DELETE FROM lgb_state WHERE chat = ? AND member = ?", (chat, member)
            ).rowcount

        cleared: int = await self._run(self._write, clear)
        return cleared

    # --- scheduled pushes ---------------------------------------------------------------------

    async def schedule_add(self, record: ScheduledRecord) -> None:
        """Keep it until done or cancelled."""
        row = (record.id, record.chat, record.due, record.due, record.payload)
        await self._run(
            self._write,
            lambda db: db.execute(
                "INSERT OR REPLACE INTO lgb_schedule VALUES (?, ?, ?, ?, ?)", row
            ),
        )

    async def schedule_claim(self, now: float, lease: float, limit: int) -> list[ScheduledRecord]:
        """Due pushes, each hidden for ``lease`` seconds, in one transaction."""

        def claim(db: sqlite3.Connection) -> list[ScheduledRecord]:
            rows = db.execute(
                "SELECT id, chat, due, payload FROM lgb_schedule WHERE run_at <= ? "
                "ORDER BY run_at LIMIT ?",
                (now, limit),
            ).fetchall()
            db.executemany(
                "UPDATE lgb_schedule SET run_at = ? WHERE id = ?",
                [(now + lease, r[0]) for r in rows],
            )
            return [ScheduledRecord(r[0], r[1], r[2], bytes(r[3])) for r in rows]

        claimed: list[ScheduledRecord] = await self._run(self._write, claim)
        return claimed

    async def schedule_done(self, record: ScheduledRecord) -> None:
        """Forget it."""
        await self._run(
            self._write,
            lambda db: db.execute("DELETE FROM lgb_schedule WHERE id = ?", (record.id,)),
        )

    async def schedule_list(self, chat: str) -> list[ScheduledRecord]:
        """The chat's pushes, soonest first."""

        def fetch(db: sqlite3.Connection) -> list[ScheduledRecord]:
            rows = db.execute(
                "SELECT id, chat, due, payload FROM lgb_schedule WHERE chat = ? ORDER BY due, id",
                (chat,),
            ).fetchall()
            return [ScheduledRecord(r[0], r[1], r[2], bytes(r[3])) for r in rows]

        found: list[ScheduledRecord] = await self._run(fetch, self._conn())
        return found

    async def schedule_cancel(self, schedule_id: str) -> bool:
        """Forget it before it is sent."""
        removed: int = await self._run(
            self._write,
            lambda db: db.execute("DELETE FROM lgb_schedule WHERE id = ?", (schedule_id,)).rowcount,
        )
        return removed > 0


def _dead_here(owner: str) -> bool:
    """Whether a worker ID names a process of this machine that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
