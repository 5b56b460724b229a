package guard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

// InvalidKeyMessage is the message of every refusal of a presented key,
// whatever the reason: the audit log has the reason, the client does not.
const InvalidKeyMessage = "The API key is not valid: it may be mistyped, unknown, expired or revoked."

// auditTimeout bounds the audit write of a refusal, which outlives a
// client that hangs up.
const auditTimeout = 5 * time.Second

// Verify returns the principal of the key whose text is presented by the
// client at addr. The principal is shared between requests: do not modify
// it. Errors:
//   - CodeUnauthenticated with InvalidKeyMessage: malformed, unknown,
//     wrong secret, expired, revoked, or owner disabled; the audit log gets
//     the reason.
//   - CodeTooMany: addr has failed too often; RetryAfter tells how long to
//     wait. No lookup is made.
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

// verify is Verify, also returning the key's entry.
func (g *Guard) verify(ctx context.Context, text, addr string) (*gatehouse.Principal, *entry, error) {
	now := g.now()
	if wait, limited := g.limits.blocked(addr, now); limited {
		return nil, nil, limitError(wait)
	}
	k, err := apikey.Parse(text)
	if err != nil {
		return nil, nil, g.reject(ctx, now, rejection{addr: addr, reason: reasonMalformed})
	}
	h := apikey.Hash(text)
	e, fresh, err := g.lookup(ctx, k.ID, now)
	if err != nil {
		return nil, nil, g.lookupFailed(ctx, now, k.ID, addr, err)
	}
	p, reason := e.check(&h, now, g.idle)
	if reason == reasonIdle && !fresh {
		// Another instance may have seen uses this one has not: ask the
		// store before refusing.
		if e, err = g.load(ctx, k.ID, now); err != nil {
			return nil, nil, g.lookupFailed(ctx, now, k.ID, addr, err)
		}
		p, reason = e.check(&h, now, g.idle)
	}
	if reason != "" {
		return nil, nil, g.reject(ctx, now, rejection{addr: addr, reason: reason, keyID: k.ID, userID: e.userID})
	}
	e.lastUse.Store(now.UnixNano())
	g.usage.record(e.id, now, addr)
	return p, e, nil
}

// lookup returns the entry for id from the cache, or loads it from the
// store (fresh is then true).
func (g *Guard) lookup(ctx context.Context, id string, now time.Time) (e *entry, fresh bool, err error) {
	if e := g.cache.get(id, now); e != nil {
		return e, false, nil
	}
	e, err = g.load(ctx, id, now)
	return e, true, err
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
	e := newEntry(k, u, g.usage.last(k.ID), now)
	if live {
		g.cache.put(e, epoch)
	}
	return e, nil
}

// lookupFailed refuses a key that is not in the store, or fails closed
// when the store cannot say.
func (g *Guard) lookupFailed(ctx context.Context, now time.Time, id, addr string, err error) error {
	if gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		return fmt.Errorf("guard: load key %s: %w: %w", id,
			gatehouse.Errorf(gatehouse.CodeUnavailable, "The credential store cannot be reached."), err)
	}
	reason := reasonUnknown
	if errors.Is(err, errOwner) {
		reason = reasonNoOwner
	}
	return g.reject(ctx, now, rejection{addr: addr, reason: reason, keyID: id})
}

// errOwner marks the failure to load a key's owner; see load.
var errOwner = errors.New("owner")

// rejection is a refused key, for the audit log.
type rejection struct {
	addr, reason, keyID string
	userID              int64
}

// reject counts a failure against the client's address, records it in the
// audit log, and returns the error every refusal gets.
func (g *Guard) reject(ctx context.Context, now time.Time, r rejection) error {
	g.limits.fail(r.addr, now)
	prefix := ""
	if r.keyID != "" {
		prefix = apikey.DisplayPrefix(r.keyID)
	}
	ev := &gatehouse.AuditEvent{
		Time: now, Action: gatehouse.ActionKeyReject, UserID: r.userID,
		KeyID: r.keyID, KeyPrefix: prefix, Addr: r.addr, Reason: r.reason,
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if err := g.store.AppendAudit(actx, ev); err != nil {
		g.log.ErrorContext(ctx, "guard: audit refused key", "err", err)
	}
	g.log.InfoContext(ctx, "guard: key refused", "reason", r.reason, "key", prefix, "addr", r.addr)
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
