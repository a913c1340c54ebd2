-- An appeal's history, one row an entry in the order they came, each
-- written once: the appeal's row keeps its state without it
-- (`db::save_appeals`), so that an event no longer rewrites the whole
-- history of the appeal it touches. The rows from before are split here.

CREATE TABLE appeal_history (
    code TEXT NOT NULL,
    n BIGINT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (code, n)
);

INSERT INTO appeal_history (code, n, entry)
SELECT a.code, h.n - 1, h.e::text
FROM appeals a, json_array_elements(a.state::json -> 'history') WITH ORDINALITY AS h(e, n);

UPDATE appeals SET state = jsonb_set(state::jsonb, '{history}', '[]'::jsonb)::text
WHERE json_array_length(state::json -> 'history') > 0;

-- `appeals_station_status` starts with the station and serves its lookups.
DROP INDEX appeals_station;
