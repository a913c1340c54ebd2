-- An appeal's history, one row an entry in the order they came, each
-- written once: the appeal's row keeps its state without it
-- (`db::save_appeals`), so that an event no longer rewrites the whole
-- history of the appeal it touches. The rows from before are split here.

CREATE TABLE appeal_history (
    code TEXT NOT NULL,
    n BIGINT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (code, n)
) WITHOUT ROWID;

INSERT INTO appeal_history (code, n, entry)
SELECT a.code, CAST(h.key AS INTEGER), h.value
FROM appeals a, json_each(a.state, '$.history') h;

UPDATE appeals SET state = json_set(state, '$.history', json('[]'))
WHERE json_array_length(state, '$.history') > 0;

-- `appeals_station_status` starts with the station and serves its lookups.
DROP INDEX appeals_station;
