-- The console's tables, and the appeal's fields the console lists and
-- filters by kept as columns beside its state (`db::save_appeal` keeps
-- them; rows from before are filled in from `state` when the county opens).

ALTER TABLE appeals ADD COLUMN registered_at TEXT;
ALTER TABLE appeals ADD COLUMN registered_on TEXT;
ALTER TABLE appeals ADD COLUMN title TEXT;
ALTER TABLE appeals ADD COLUMN unit TEXT;
ALTER TABLE appeals ADD COLUMN deadline TEXT;
ALTER TABLE appeals ADD COLUMN round BIGINT NOT NULL DEFAULT 0;
ALTER TABLE appeals ADD COLUMN chases BIGINT NOT NULL DEFAULT 0;
ALTER TABLE appeals ADD COLUMN satisfaction TEXT;
ALTER TABLE appeals ADD COLUMN deputies TEXT NOT NULL DEFAULT ',';
ALTER TABLE appeals ADD COLUMN reopened BIGINT NOT NULL DEFAULT 0;
ALTER TABLE appeals ADD COLUMN replied_on TEXT;
ALTER TABLE appeals ADD COLUMN closed_on TEXT;
ALTER TABLE appeals ADD COLUMN search TEXT NOT NULL DEFAULT '';

CREATE INDEX appeals_status ON appeals (status);
CREATE INDEX appeals_unit ON appeals (unit);
CREATE INDEX appeals_deadline ON appeals (deadline);
CREATE INDEX appeals_registered ON appeals (registered_at);
CREATE INDEX appeals_station_status ON appeals (station, status);

-- The county's catalogue of handling units: every referral names one.
CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- Pinyin initials, lower case (青禾县住建局: qhxzjj), for filtering.
    initials TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- The county's staff: office, unit or viewer; a unit's staff name a unit.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    unit_id BIGINT REFERENCES units (id),
    password_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- A signed-in browser: the SHA-256 (hex) of its cookie's token.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    address TEXT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

-- Every staff action: who, what, when, from which address.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    address TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE INDEX audit_target ON audit (target);

-- A unit's request for more time; the office grants (and the deadline
-- moves then, by a county step) or refuses it.
CREATE TABLE extensions (
    id INTEGER PRIMARY KEY,
    appeal TEXT NOT NULL,
    unit TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    granted BIGINT
);

CREATE INDEX extensions_appeal ON extensions (appeal);
