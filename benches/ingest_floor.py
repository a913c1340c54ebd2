#!/usr/bin/env python3
"""The floor of the county's ingest: the same events into SQLite from
python3 (stdlib only), one durable transaction per station batch, in WAL
mode with synchronous=FULL as the county's SQLite runs.

Input: a file of lines `STATION<TAB>EVENT-JSON`, each station's events
consecutive and in sequence order (the county benchmark writes it).

Modes:
  inserts  each event stored under (station, terminal, seq): insert alone;
  work     the county's work: parse the event's JSON, extend the SHA-256
           chain (h(n) = SHA-256(h(n-1) || event bytes)), store the event
           with its hash, kind and appeal code, and upsert the appeal's
           row (code, station, status, category, access key, state).

Prints one JSON line: events, seconds, events per second.

usage: ingest_floor.py EVENTS_FILE SCRATCH_DB {inserts|work} [BATCH]
"""
import hashlib
import json
import os
import sys
import time

import sqlite3

GENESIS = bytes(32)

SCHEMA = """
CREATE TABLE events (
    station TEXT NOT NULL, terminal BIGINT NOT NULL, seq BIGINT NOT NULL,
    hash TEXT NOT NULL, kind TEXT NOT NULL, appeal TEXT, body TEXT NOT NULL,
    received_at TEXT NOT NULL, PRIMARY KEY (station, terminal, seq));
CREATE TABLE appeals (
    code TEXT PRIMARY KEY, station TEXT NOT NULL, status TEXT NOT NULL,
    category TEXT NOT NULL, access_key TEXT NOT NULL, state TEXT NOT NULL,
    updated_at TEXT NOT NULL);
CREATE INDEX appeals_station ON appeals (station);
"""


def batches(path, size):
    station, batch = None, []
    with open(path, "rb") as f:
        for line in f:
            code, _, raw = line.rstrip(b"\n").partition(b"\t")
            if (code != station or len(batch) >= size) and batch:
                yield station, batch
                batch = []
            station = code
            batch.append(raw)
    if batch:
        yield station, batch


def main():
    path, db, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 500
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(db + suffix)
        except FileNotFoundError:
            pass
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.executescript(SCHEMA)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    heads = {}
    count = 0
    started = time.monotonic()
    for station, batch in batches(path, size):
        station = station.decode()
        conn.execute("BEGIN")
        if mode == "inserts":
            seq = heads.get(station, 0)
            rows = []
            for raw in batch:
                seq += 1
                rows.append((station, 1, seq, "", "", None, raw.decode(), now))
            heads[station] = seq
            conn.executemany(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        else:
            head = heads.get(station, GENESIS)
            for raw in batch:
                event = json.loads(raw)
                head = hashlib.sha256(head + raw).digest()
                body = event["body"]
                kind = body["type"]
                appeal = body.get("appeal")
                code = appeal["code"] if appeal else body.get("code")
                conn.execute(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (station, 1, event["id"]["seq"], head.hex(), kind, code,
                     raw.decode(), now))
                if appeal:
                    conn.execute(
                        "INSERT INTO appeals VALUES (?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (code) DO UPDATE SET status = excluded.status, "
                        "category = excluded.category, state = excluded.state, "
                        "updated_at = excluded.updated_at",
                        (code, station, appeal.get("status", "registered"),
                         appeal.get("category", ""), appeal.get("access_key", ""),
                         json.dumps(appeal, ensure_ascii=False), event["at"]))
            heads[station] = head
        conn.execute("COMMIT")
        count += len(batch)
    secs = time.monotonic() - started
    conn.close()
    print(json.dumps({"mode": mode, "events": count, "secs": secs,
                      "per_sec": count / secs if secs > 0 else None}))


if __name__ == "__main__":
    main()
