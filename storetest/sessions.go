package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// testSessions is the conformance suite of SessionStore and LoginStore.
func testSessions(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) { testSessionRoundTrip(t, open(t)) })
	t.Run("CreateRefuses", func(t *testing.T) { testSessionCreateRefuses(t, open(t)) })
	t.Run("ListActiveNewestFirst", func(t *testing.T) { testSessionList(t, open(t)) })
	t.Run("Touch", func(t *testing.T) { testTouchSessions(t, open(t)) })
	t.Run("EndOne", func(t *testing.T) { testEndSession(t, open(t)) })
	t.Run("EndMany", func(t *testing.T) { testEndSessions(t, open(t)) })
	t.Run("PurgeOnCreate", func(t *testing.T) { testSessionPurge(t, open(t)) })
	t.Run("Logins", func(t *testing.T) { testLogins(t, open(t)) })
	t.Run("LoginTakenOnce", func(t *testing.T) { testLoginTakenOnce(t, open(t)) })
}

// session creates a session of user from issuer with sid, created at
// created and expiring twelve hours later.
func (f *fixtures) session(user int64, issuer, sid string, created time.Time) *gatehouse.Session {
	f.t.Helper()
	s := &gatehouse.Session{
		ID: f.names.next("sid"), Hash: randomHash(), UserID: user, Provider: "dev", Issuer: issuer, SID: sid,
		Created: created, LastSeen: created, Expires: created.Add(12 * time.Hour),
		UserAgent: "Mozilla/5.0 (test)", Addr: "192.0.2.1",
	}
	noErr(f.t, "CreateSession", f.s.CreateSession(f.t.Context(), s))
	return s
}

// getSession reads the session with s's hash.
func (f *fixtures) getSession(s *gatehouse.Session) *gatehouse.Session {
	f.t.Helper()
	got, err := f.s.SessionByHash(f.t.Context(), s.Hash)
	noErr(f.t, "SessionByHash", err)
	return got
}

func testSessionRoundTrip(t *testing.T, s gatehouse.Store) {
	f := newFixtures(t, s)
	owner := f.user()
	base := now()
	full := &gatehouse.Session{
		ID: "full", Hash: randomHash(), UserID: owner.ID, Provider: "google", Issuer: "https://accounts.example",
		SID: "sid-ü-1", Created: base.Add(-time.Hour), LastSeen: base.Add(-time.Minute), Expires: base.Add(11 * time.Hour),
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64)", Addr: "2001:db8::1", Ended: base,
	}
	bare := &gatehouse.Session{ID: "bare", Hash: randomHash(), UserID: owner.ID, Created: base, Expires: base.Add(time.Hour)}
	for _, sess := range []*gatehouse.Session{full, bare} {
		t.Run(sess.ID, func(t *testing.T) {
			noErr(t, "CreateSession", s.CreateSession(t.Context(), sess))
			sameFields(t, "SessionByHash", f.getSession(sess), sess)
		})
	}
	if !bare.LastSeen.Equal(bare.Created) {
		t.Errorf("CreateSession left LastSeen %v, want Created %v", bare.LastSeen, bare.Created)
	}
	_, err := s.SessionByHash(t.Context(), randomHash())
	wantCode(t, "SessionByHash(unknown)", err, gatehouse.CodeNotFound)
}

func testSessionCreateRefuses(t *testing.T, s gatehouse.Store) {
	f := newFixtures(t, s)
	owner := f.user()
	base := now()
	taken := f.session(owner.ID, "https://idp.example", "", base)
	mk := func(change func(*gatehouse.Session)) *gatehouse.Session {
		sess := &gatehouse.Session{ID: f.names.next("x"), Hash: randomHash(), UserID: owner.ID, Created: base, Expires: base.Add(time.Hour)}
		change(sess)
		return sess
	}
	cases := []struct {
		name string
		sess *gatehouse.Session
		code gatehouse.Code
	}{
		{"id taken", mk(func(s *gatehouse.Session) { s.ID = taken.ID }), gatehouse.CodeConflict},
		{"hash taken", mk(func(s *gatehouse.Session) { s.Hash = taken.Hash }), gatehouse.CodeConflict},
		{"no such user", mk(func(s *gatehouse.Session) { s.UserID = owner.ID + 1000 }), gatehouse.CodeNotFound},
		{"no hash", mk(func(s *gatehouse.Session) { s.Hash = [32]byte{} }), gatehouse.CodeInvalid},
		{"no id", mk(func(s *gatehouse.Session) { s.ID = "" }), gatehouse.CodeInvalid},
		{"no expiry", mk(func(s *gatehouse.Session) { s.Expires = time.Time{} }), gatehouse.CodeInvalid},
	}
	for _, c := range cases {
		wantCode(t, "CreateSession with "+c.name, s.CreateSession(t.Context(), c.sess), c.code)
	}
	sameFields(t, "the session whose id and hash were reused", f.getSession(taken), taken)
}

func testSessionList(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := newFixtures(t, s)
	owner, other := f.user(), f.user()
	base := now()
	oldest := f.session(owner.ID, "https://idp.example", "", base.Add(-13*time.Hour)) // expired: still listed
	newest := f.session(owner.ID, "https://idp.example", "", base)
	ended := f.session(owner.ID, "https://idp.example", "", base.Add(-time.Minute))
	middle := f.session(owner.ID, "https://idp.example", "", base.Add(-time.Hour))
	f.session(other.ID, "https://idp.example", "", base.Add(time.Minute))
	noErr(t, "EndSession", s.EndSession(ctx, ended.ID, base))

	cases := []struct {
		user int64
		want []string
	}{
		{owner.ID, []string{newest.ID, middle.ID, oldest.ID}},
		{owner.ID + other.ID + 1, nil},
	}
	for _, c := range cases {
		got, err := s.Sessions(ctx, c.user)
		noErr(t, "Sessions", err)
		var ids []string
		for _, sess := range got {
			ids = append(ids, sess.ID)
		}
		if !slices.Equal(c.want, ids) {
			t.Errorf("Sessions(%d) = %v, want %v", c.user, ids, c.want)
		}
	}
	got, err := s.Sessions(ctx, owner.ID)
	noErr(t, "Sessions", err)
	sameFields(t, "listed session", got[0], newest)
}

func testTouchSessions(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := newFixtures(t, s)
	owner := f.user()
	base := now()
	a := f.session(owner.ID, "https://idp.example", "", base)
	b := f.session(owner.ID, "https://idp.example", "", base)
	ended := f.session(owner.ID, "https://idp.example", "", base)
	noErr(t, "EndSession", s.EndSession(ctx, ended.ID, base))
	noErr(t, "TouchSessions", s.TouchSessions(ctx, []gatehouse.SessionUse{
		{SessionID: a.ID, At: base.Add(2 * time.Second), Addr: "192.0.2.10"},
		{SessionID: b.ID, At: base.Add(time.Second), Addr: "192.0.2.20"},
	}))
	noErr(t, "TouchSessions", s.TouchSessions(ctx, []gatehouse.SessionUse{
		{SessionID: a.ID, At: base.Add(time.Second), Addr: "198.51.100.1"}, // earlier: ignored
		{SessionID: "missing", At: base.Add(time.Hour), Addr: "198.51.100.2"},
		{SessionID: b.ID, At: base.Add(3 * time.Second), Addr: "198.51.100.3"}, // later: wins
		{SessionID: b.ID, At: base.Add(2 * time.Second), Addr: "198.51.100.4"}, // earlier in the batch
		{SessionID: ended.ID, At: base.Add(time.Hour), Addr: "198.51.100.5"},   // ended: ignored
	}))
	cases := []struct {
		sess     *gatehouse.Session
		lastSeen time.Time
		addr     string
		ended    time.Time
	}{
		{a, base.Add(2 * time.Second), "192.0.2.10", time.Time{}},
		{b, base.Add(3 * time.Second), "198.51.100.3", time.Time{}},
		{ended, base, ended.Addr, base},
	}
	for _, c := range cases {
		want := *c.sess
		want.LastSeen, want.Addr, want.Ended = c.lastSeen, c.addr, c.ended
		sameFields(t, "touched session", f.getSession(c.sess), &want)
	}
	noErr(t, "TouchSessions(nil)", s.TouchSessions(ctx, nil))
}

func testEndSession(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := newFixtures(t, s)
	owner := f.user()
	base := now()
	a := f.session(owner.ID, "https://idp.example", "", base)
	b := f.session(owner.ID, "https://idp.example", "", base)
	noErr(t, "EndSession", s.EndSession(ctx, a.ID, base.Add(time.Second)))
	if got := f.getSession(a); !got.Ended.Equal(base.Add(time.Second)) {
		t.Errorf("Ended = %v after EndSession, want %v", got.Ended, base.Add(time.Second))
	}
	wantCode(t, "EndSession twice", s.EndSession(ctx, a.ID, base.Add(time.Minute)), gatehouse.CodeNotFound)
	if got := f.getSession(a); !got.Ended.Equal(base.Add(time.Second)) {
		t.Errorf("a second EndSession moved Ended to %v", got.Ended)
	}
	wantCode(t, "EndSession(missing)", s.EndSession(ctx, "missing", base), gatehouse.CodeNotFound)
	if got := f.getSession(b); !got.Ended.IsZero() {
		t.Errorf("EndSession of a ended b too (Ended %v)", got.Ended)
	}
}

// testEndSessions ends sessions by user, by sid and by subject, and checks
// exactly which sessions each call ended.
func testEndSessions(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := newFixtures(t, s)
	u, v := f.user(), f.user()
	const idp, other = "https://idp.example", "https://other.example"
	base := now()
	at := base.Add(time.Minute)
	mk := func(user int64, issuer, sid string) *gatehouse.Session { return f.session(user, issuer, sid, base) }
	uSid, uSid2, uNoSid, uOther := mk(u.ID, idp, "s1"), mk(u.ID, idp, "s1"), mk(u.ID, idp, ""), mk(u.ID, other, "s1")
	vSid, vNoSid, vOther := mk(v.ID, idp, "s2"), mk(v.ID, idp, ""), mk(v.ID, other, "")

	steps := []struct {
		name  string
		end   func() (int, error)
		code  gatehouse.Code
		n     int
		ended []*gatehouse.Session // by this step
	}{
		{"by sid without a sid", func() (int, error) { return s.EndSessionsBySID(ctx, idp, "", at) }, gatehouse.CodeInvalid, 0, nil},
		{"by sid without an issuer", func() (int, error) { return s.EndSessionsBySID(ctx, "", "s1", at) }, gatehouse.CodeInvalid, 0, nil},
		{"by subject without an issuer", func() (int, error) { return s.EndSessionsBySubject(ctx, "", u.ID, at) }, gatehouse.CodeInvalid, 0, nil},
		{"by sid", func() (int, error) { return s.EndSessionsBySID(ctx, idp, "s1", at) }, "", 2, []*gatehouse.Session{uSid, uSid2}},
		{"by sid again", func() (int, error) { return s.EndSessionsBySID(ctx, idp, "s1", at) }, "", 0, nil},
		{"by subject", func() (int, error) { return s.EndSessionsBySubject(ctx, idp, v.ID, at) }, "", 2, []*gatehouse.Session{vSid, vNoSid}},
		{"by user", func() (int, error) { return s.EndUserSessions(ctx, u.ID, at) }, "", 2, []*gatehouse.Session{uNoSid, uOther}},
		{"by user again", func() (int, error) { return s.EndUserSessions(ctx, u.ID, at) }, "", 0, nil},
	}
	var ended []*gatehouse.Session
	for _, st := range steps {
		n, err := st.end()
		wantCode(t, st.name, err, st.code)
		if n != st.n {
			t.Errorf("%s ended %d sessions, want %d", st.name, n, st.n)
		}
		ended = append(ended, st.ended...)
		for _, sess := range []*gatehouse.Session{uSid, uSid2, uNoSid, uOther, vSid, vNoSid, vOther} {
			if got, want := !f.getSession(sess).Ended.IsZero(), slices.Contains(ended, sess); got != want {
				t.Fatalf("after %s: session of user %d (issuer %s, sid %q) ended = %v, want %v",
					st.name, sess.UserID, sess.Issuer, sess.SID, got, want)
			}
		}
	}
	if got := f.getSession(uSid); !got.Ended.Equal(at) {
		t.Errorf("Ended = %v, want %v", got.Ended, at)
	}
}

// testSessionPurge: creating a session deletes those whose absolute expiry
// is more than a day before it, and no others.
func testSessionPurge(t *testing.T, s gatehouse.Store) {
	f := newFixtures(t, s)
	owner := f.user()
	base := now()
	old := f.session(owner.ID, "https://idp.example", "", base.Add(-40*time.Hour))    // expired 28h before base
	recent := f.session(owner.ID, "https://idp.example", "", base.Add(-30*time.Hour)) // expired 18h before base
	f.session(owner.ID, "https://idp.example", "", base)
	_, err := s.SessionByHash(t.Context(), old.Hash)
	wantCode(t, "SessionByHash of a long-expired session", err, gatehouse.CodeNotFound)
	sameFields(t, "recently expired session", f.getSession(recent), recent)
}
