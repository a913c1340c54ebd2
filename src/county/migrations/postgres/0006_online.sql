-- Appeals citizens sent from the public pages (`county::online`): the
-- county's own numbering of them per station and day, and what folds the
-- same matter sent again. And the events of one kind of a station, which a
-- deputy's public page reads for their duty record (`Db::duty_record`)
-- without going through every event of the station.

CREATE TABLE online (
    station TEXT NOT NULL,
    day TEXT NOT NULL,
    seq BIGINT NOT NULL,
    code TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (station, day, seq)
);

CREATE INDEX online_digest ON online (station, digest);

CREATE INDEX events_kind ON events (station, kind);
