package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

// InvalidKeyMessage is the message of every refusal of a presented key,
// whatever the reason: the audit log has the reason, the client does not.
const InvalidKeyMessage = "The API key is not valid: it may be mistyped, unknown, expired or revoked."

// Verify returns the principal of the key whose text is presented by the
// client at addr. The principal is shared between requests: do not modify
// it. Errors:
//   - CodeUnauthenticated with InvalidKeyMessage: malformed, unknown,
//     wrong secret, expired, revoked, or owner disabled; the audit log gets
//     the reason at the next Flush.
//   - CodeTooMany: addr has failed too often; RetryAfter tells how long to
//     wait. No lookup is made beyond the address's allowance, even for
//     concurrent requests.
//   - CodeUnavailable: the store cannot be reached. The key is refused.
//
// A successful Verify writes nothing to the store; the use is batched.
//
// During a roll's grace period, the previous secret gets the key's
// principal without gatehouse.ScopeKeys.
func (g *Guard) Verify(ctx context.Context, text, addr string) (*gatehouse.Principal, error) {
	p, _, err := g.verify(ctx, text, addr)
	return p, err
}

// verify is Verify, also returning the key's entry. A key that is not
// cached, or whose cached entry says it idled out, is checked against the
// store with one of addr's failures reserved beforehand.
func (g *Guard) verify(ctx context.Context, text, addr string) (*gatehouse.Principal, *entry, error) {
	now := g.now()
	if wait, limited := g.limits.blocked(addr, now); limited {
		return nil, nil, limitError(wait)
	}
	k, err := apikey.Parse(text)
	if err != nil {
		return nil, nil, g.refuse(ctx, now, rejection{addr: addr, reason: reasonMalformed})
	}
	h := apikey.Hash(text)
	if e := g.cache.get(k.ID, now); e != nil {
		p, reason := e.check(&h, now, g.idle)
		switch reason {
		case "":
			g.accept(e, now, addr)
			return p, e, nil
		case reasonIdle:
			// Another instance may have seen uses this one has not: ask
			// the store before refusing.
		default:
			return nil, nil, g.refuse(ctx, now, rejection{addr: addr, reason: reason, keyID: k.ID, userID: e.userID})
		}
	}
	return g.verifyStored(ctx, k.ID, &h, addr)
}

// verifyStored checks the key id, whose text hashes to h, against the
// store. Concurrent lookups from one address cannot exceed its failure
// allowance: each reserves a failure first, and gives it back on success.
func (g *Guard) verifyStored(ctx context.Context, id string, h *[32]byte, addr string) (*gatehouse.Principal, *entry, error) {
	res, err := g.limits.reserve(ctx, addr, g.now)
	if err != nil {
		return nil, nil, err
	}
	now := g.now()
	e, err := g.load(ctx, id, now)
	if err != nil {
		if gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
			res.done(false, now) // not the client's failure
			return nil, nil, fmt.Errorf("guard: load key %s: %w: %w", id,
				gatehouse.Errorf(gatehouse.CodeUnavailable, "The credential store cannot be reached."), err)
		}
		res.done(true, now)
		reason := reasonUnknown
		if errors.Is(err, errOwner) {
			reason = reasonNoOwner
		}
		return nil, nil, g.record(ctx, now, rejection{addr: addr, reason: reason, keyID: id})
	}
	p, reason := e.check(h, now, g.idle)
	res.done(reason != "", now)
	if reason != "" {
		return nil, nil, g.record(ctx, now, rejection{addr: addr, reason: reason, keyID: id, userID: e.userID})
	}
	g.accept(e, now, addr)
	return p, e, nil
}

// accept notes a successful use of the key of e.
func (g *Guard) accept(e *entry, now time.Time, addr string) {
	e.lastUse.Store(now.UnixNano())
	g.usage.Record(e.id, now, addr)
}

// load reads the key and its owner, and caches the entry unless an
// invalidation happened meanwhile. now, taken before the read, is the
// entry's age.
func (g *Guard) load(ctx context.Context, id string, now time.Time) (*entry, error) {
	epoch, live := g.cache.begin()
	k, err := g.store.Key(ctx, id)
	if err != nil {
		return nil, err
	}
	u, err := g.store.User(ctx, k.UserID)
	if err != nil {
		return nil, fmt.Errorf("%w %d: %w", errOwner, k.UserID, err)
	}
	e := newEntry(k, u, g.usage.Last(k.ID), now)
	if live {
		g.cache.put(e, epoch)
	}
	return e, nil
}

// errOwner marks the failure to load a key's owner; see load.
var errOwner = errors.New("owner")

// refuse uses up one of the client's failures and records the refusal;
// an address with no failure left is answered as limited instead.
func (g *Guard) refuse(ctx context.Context, now time.Time, r rejection) error {
	if wait, ok := g.limits.take(r.addr, now); !ok {
		return limitError(wait)
	}
	return g.record(ctx, now, r)
}

// record queues a refusal for the audit log (see flushRefusals) and
// returns the error every refusal gets.
func (g *Guard) record(ctx context.Context, now time.Time, r rejection) error {
	g.refusals.add(r, now, 1)
	if g.log.Enabled(ctx, slog.LevelInfo) {
		prefix := ""
		if r.keyID != "" {
			prefix = apikey.DisplayPrefix(r.keyID)
		}
		g.log.InfoContext(ctx, "guard: key refused", "reason", r.reason, "key", prefix, "addr", r.addr)
	}
	return gatehouse.Errorf(gatehouse.CodeUnauthenticated, "%s", InvalidKeyMessage)
}

// tooMany is the error of a client over its failure limit.
type tooMany struct {
	wait time.Duration
	err  *gatehouse.Error
}

func limitError(wait time.Duration) error {
	return &tooMany{wait: wait, err: gatehouse.Errorf(gatehouse.CodeTooMany,
		"Too many failed attempts to authenticate from this address; retry in %d seconds.", retrySeconds(wait))}
}

func (e *tooMany) Error() string { return e.err.Error() }
func (e *tooMany) Unwrap() error { return e.err }

// RetryAfter returns how long a client refused with CodeTooMany by Verify
// must wait, and false for any other error.
func RetryAfter(err error) (time.Duration, bool) {
	var t *tooMany
	if errors.As(err, &t) {
		return t.wait, true
	}
	return 0, false
}

// retrySeconds rounds d up to whole seconds, at least one.
func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
