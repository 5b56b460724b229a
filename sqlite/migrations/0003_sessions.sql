-- Browser sessions and login flows in progress. Times are UTC Unix
-- milliseconds; NULL is the zero time.

-- WITHOUT ROWID with the hash as primary key: a request's session is found
-- by the SHA-256 of its cookie in one B-tree lookup. The token itself is
-- never stored.
CREATE TABLE sessions (
	hash       BLOB    PRIMARY KEY CHECK (length(hash) = 32),
	id         TEXT    NOT NULL UNIQUE,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider   TEXT    NOT NULL DEFAULT '',
	issuer     TEXT    NOT NULL DEFAULT '',
	sid        TEXT    NOT NULL DEFAULT '',
	created    INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	user_agent TEXT    NOT NULL DEFAULT '',
	addr       TEXT    NOT NULL DEFAULT '',
	ended      INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_user ON sessions (user_id, created);
CREATE INDEX sessions_sid ON sessions (issuer, sid) WHERE sid <> '';
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE login_flows (
	state        TEXT    PRIMARY KEY,
	browser_hash BLOB    NOT NULL CHECK (length(browser_hash) = 32),
	provider     TEXT    NOT NULL DEFAULT '',
	nonce        TEXT    NOT NULL DEFAULT '',
	verifier     TEXT    NOT NULL DEFAULT '',
	return_to    TEXT    NOT NULL DEFAULT '',
	created      INTEGER NOT NULL,
	expires      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX login_flows_expires ON login_flows (expires);
