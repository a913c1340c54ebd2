-- The county's tables as they were before migrations: IF NOT EXISTS, so
-- that a database created by an older version upgrades in place.

CREATE TABLE IF NOT EXISTS stations (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    info TEXT,
    writes BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS terminals (
    station TEXT NOT NULL,
    terminal BIGINT NOT NULL,
    acked BIGINT NOT NULL,
    head TEXT NOT NULL,
    PRIMARY KEY (station, terminal)
);

CREATE TABLE IF NOT EXISTS events (
    station TEXT NOT NULL,
    terminal BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    appeal TEXT,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (station, terminal, seq)
);

CREATE TABLE IF NOT EXISTS appeals (
    code TEXT PRIMARY KEY,
    station TEXT NOT NULL,
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    access_key TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS appeals_station ON appeals (station);

CREATE INDEX IF NOT EXISTS appeals_code_key ON appeals (code, access_key);

CREATE TABLE IF NOT EXISTS deputies (
    station TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (station, id)
);

CREATE TABLE IF NOT EXISTS feed (
    station TEXT NOT NULL,
    seq BIGINT NOT NULL,
    appeal TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (station, seq)
);

CREATE TABLE IF NOT EXISTS migrations (
    name TEXT PRIMARY KEY,
    done_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS refusals (
    station TEXT NOT NULL,
    terminal BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    body TEXT,
    at TEXT NOT NULL
);
