-- Users, API keys, the audit log, the change feed and the certificate cache.
-- Times are UTC Unix milliseconds; NULL is the zero time.

CREATE TABLE users (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	issuer   TEXT    NOT NULL,
	subject  TEXT    NOT NULL,
	kind     TEXT    NOT NULL,
	email    TEXT    NOT NULL DEFAULT '',
	name     TEXT    NOT NULL DEFAULT '',
	role     TEXT    NOT NULL,
	disabled INTEGER NOT NULL DEFAULT 0,
	created  INTEGER NOT NULL,
	updated  INTEGER NOT NULL,
	UNIQUE (issuer, subject)
) STRICT;

CREATE INDEX users_email ON users (lower(email));

-- WITHOUT ROWID: a key is found by its id in one B-tree lookup, the hot
-- path of authentication when the cache misses.
CREATE TABLE api_keys (
	id             TEXT    PRIMARY KEY,
	user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	label          TEXT    NOT NULL,
	prefix         TEXT    NOT NULL,
	hash           BLOB    NOT NULL UNIQUE,
	scopes         TEXT    NOT NULL DEFAULT '',
	created        INTEGER NOT NULL,
	expires        INTEGER,
	prev_hash      BLOB,
	prev_expires   INTEGER,
	rolled         INTEGER,
	last_used      INTEGER,
	last_used_addr TEXT    NOT NULL DEFAULT '',
	revoked        INTEGER,
	UNIQUE (user_id, label)
) STRICT, WITHOUT ROWID;

-- No foreign keys: events outlive the users and keys they mention.
CREATE TABLE audit (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	time       INTEGER NOT NULL,
	action     TEXT    NOT NULL,
	actor_id   INTEGER NOT NULL DEFAULT 0,
	user_id    INTEGER NOT NULL DEFAULT 0,
	key_id     TEXT    NOT NULL DEFAULT '',
	key_prefix TEXT    NOT NULL DEFAULT '',
	addr       TEXT    NOT NULL DEFAULT '',
	reason     TEXT    NOT NULL DEFAULT '',
	detail     TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_time ON audit (time, id);
CREATE INDEX audit_user ON audit (user_id, time);
CREATE INDEX audit_actor ON audit (actor_id, time);
CREATE INDEX audit_key ON audit (key_id, time);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- AUTOINCREMENT: seq never goes back, even when old rows are pruned.
CREATE TABLE changes (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id INTEGER NOT NULL DEFAULT 0,
	key_id  TEXT    NOT NULL DEFAULT '',
	time    INTEGER NOT NULL
) STRICT;

CREATE INDEX changes_time ON changes (time);

CREATE TABLE cert_cache (
	name    TEXT    PRIMARY KEY,
	data    BLOB    NOT NULL,
	updated INTEGER NOT NULL
) STRICT;
