-- The gateway's identity assertion key ring, shared by every replica.
-- private_key is PKCS#8 DER: the store holds it as cert_cache holds the
-- ACME account key.

-- One key per algorithm and signing period: replicas that rotate at once
-- insert with ON CONFLICT DO NOTHING and all read the one that won.
CREATE TABLE assertion_keys (
	kid         text        PRIMARY KEY,
	alg         text        NOT NULL,
	private_key bytea       NOT NULL,
	not_before  timestamptz NOT NULL,
	not_after   timestamptz NOT NULL CHECK (not_after > not_before),
	expires     timestamptz NOT NULL CHECK (expires >= not_after),
	created     timestamptz NOT NULL,
	UNIQUE (alg, not_before, not_after)
);

CREATE INDEX assertion_keys_expires ON assertion_keys (expires);
