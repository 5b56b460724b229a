-- The gateway's identity assertion key ring, shared by every replica.
-- Times are UTC Unix milliseconds. private_key is PKCS#8 DER: the store
-- holds it as cert_cache holds the ACME account key.

-- One key per algorithm and signing period: replicas that rotate at once
-- insert with ON CONFLICT DO NOTHING and all read the one that won.
CREATE TABLE assertion_keys (
	kid         TEXT    PRIMARY KEY,
	alg         TEXT    NOT NULL,
	private_key BLOB    NOT NULL,
	not_before  INTEGER NOT NULL,
	not_after   INTEGER NOT NULL CHECK (not_after > not_before),
	expires     INTEGER NOT NULL CHECK (expires >= not_after),
	created     INTEGER NOT NULL,
	UNIQUE (alg, not_before, not_after)
) STRICT;

CREATE INDEX assertion_keys_expires ON assertion_keys (expires);
