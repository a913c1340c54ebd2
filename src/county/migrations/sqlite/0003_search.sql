-- The search index of the appeals' `search` column (code, title, content,
-- location, unit and reply): FTS5 with the trigram tokenizer, so that any
-- substring of three characters or more (Chinese included) is looked up;
-- its content is the appeals table itself, kept by the triggers below.
-- The queue always tests the substring itself too: the index only
-- narrows (a `VACUUM` that renumbers the appeals' rowids calls for
-- `INSERT INTO appeals_fts (appeals_fts) VALUES ('rebuild')`).

CREATE VIRTUAL TABLE appeals_fts USING fts5 (
    search,
    content = 'appeals',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);

INSERT INTO appeals_fts (appeals_fts) VALUES ('rebuild');

CREATE TRIGGER appeals_fts_insert AFTER INSERT ON appeals BEGIN
    INSERT INTO appeals_fts (rowid, search) VALUES (new.rowid, new.search);
END;

CREATE TRIGGER appeals_fts_delete AFTER DELETE ON appeals BEGIN
    INSERT INTO appeals_fts (appeals_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
END;

CREATE TRIGGER appeals_fts_update AFTER UPDATE OF search ON appeals BEGIN
    INSERT INTO appeals_fts (appeals_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
    INSERT INTO appeals_fts (rowid, search) VALUES (new.rowid, new.search);
END;

-- The queue's orders and its units' view: the newest first (ties by
-- code) and a unit's appeals by status and deadline, each one index in
-- place of the narrower one it extends.
DROP INDEX appeals_registered;
CREATE INDEX appeals_registered ON appeals (registered_at, code);
DROP INDEX appeals_unit;
CREATE INDEX appeals_unit ON appeals (unit, status, deadline);
