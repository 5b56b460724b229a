-- Browser sessions and login flows in progress.

-- The hash is the primary key: a request's session is found by the SHA-256
-- of its cookie in one index lookup. The token itself is never stored.
CREATE TABLE sessions (
	hash       bytea       PRIMARY KEY CHECK (length(hash) = 32),
	id         text        NOT NULL CONSTRAINT sessions_id_key UNIQUE,
	user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider   text        NOT NULL DEFAULT '',
	issuer     text        NOT NULL DEFAULT '',
	sid        text        NOT NULL DEFAULT '',
	created    timestamptz NOT NULL,
	last_seen  timestamptz NOT NULL,
	expires    timestamptz NOT NULL,
	user_agent text        NOT NULL DEFAULT '',
	addr       text        NOT NULL DEFAULT '',
	ended      timestamptz
);

CREATE INDEX sessions_user ON sessions (user_id, created);
CREATE INDEX sessions_sid ON sessions (issuer, sid) WHERE sid <> '';
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE login_flows (
	state        text        PRIMARY KEY,
	browser_hash bytea       NOT NULL CHECK (length(browser_hash) = 32),
	provider     text        NOT NULL DEFAULT '',
	nonce        text        NOT NULL DEFAULT '',
	verifier     text        NOT NULL DEFAULT '',
	return_to    text        NOT NULL DEFAULT '',
	created      timestamptz NOT NULL,
	expires      timestamptz NOT NULL
);

CREATE INDEX login_flows_expires ON login_flows (expires);
