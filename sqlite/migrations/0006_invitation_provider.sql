-- The provider an invitation is bound to: the name of the one configured
-- sign-in provider that may accept it ('' for any). Only an invitation may
-- carry one; accepting the invitation clears it.
ALTER TABLE users ADD COLUMN invitation_provider TEXT NOT NULL DEFAULT ''
    CHECK (invitation_provider = '' OR issuer = 'urn:gatehouse:invited');
