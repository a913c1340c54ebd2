-- The station's feed relays each terminal's events to the station's other
-- terminals (`domain::order`): a row with `terminal` and `tseq` stands for
-- that event of `events`, read from there (its `body` is empty). Every
-- event held so far is relayed once here, in the order the county took
-- them, after the county's own steps held: a terminal added later gets the
-- station's history from its first sync.

ALTER TABLE feed ADD COLUMN terminal BIGINT;
ALTER TABLE feed ADD COLUMN tseq BIGINT;

INSERT INTO feed (station, seq, appeal, body, created_at, terminal, tseq)
SELECT e.station,
       COALESCE(b.top, 0) + ROW_NUMBER() OVER (PARTITION BY e.station ORDER BY e.received_at, e.terminal, e.seq),
       e.appeal, '', e.received_at, e.terminal, e.seq
FROM events e
LEFT JOIN (SELECT station, MAX(seq) AS top FROM feed GROUP BY station) b ON b.station = e.station
WHERE e.kind <> 'station_configured';
