package keyring_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

// TestSecretNeverStored: after a create and two rolls (one with grace),
// no file of the database holds any secret text, while it does hold their
// hashes, which shows that the bytes read are the ones written.
func TestSecretNeverStored(t *testing.T) {
	e := newEnv(t, keyring.Config{})
	u := e.user("owner", gatehouse.RoleAuthor)
	ctx := context.Background()
	first := e.create(u.ID, "ci", "read", "write")
	second, err := e.svc.Roll(ctx, keyring.Actor{}, u.ID, first.Key.ID, keyring.MaxGrace)
	if err != nil {
		t.Fatal(err)
	}
	third, err := e.svc.Roll(ctx, keyring.Actor{}, u.ID, first.Key.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{first.Secret, second.Secret, third.Secret}
	checkAuditHasNoSecret(t, e, secrets)

	// Read the files while the store is open (the WAL holds the writes)
	// and again after Close has checkpointed them into the main file.
	raw := readDBFiles(t, e.path)
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	raw = append(raw, readDBFiles(t, e.path)...)
	all := bytes.Join(raw, nil)
	for _, h := range [][32]byte{second.Key.PrevHash, third.Key.Hash} {
		if !bytes.Contains(all, h[:]) {
			t.Fatal("a stored hash is not in the files read: the test reads the wrong files")
		}
	}
	for _, s := range secrets {
		secretPart := s[strings.LastIndex(s, "_")+1:]
		for _, needle := range []string{s, secretPart, strings.ToUpper(secretPart)} {
			if bytes.Contains(all, []byte(needle)) {
				t.Errorf("the database files contain a secret")
			}
		}
	}
}

// readDBFiles returns the contents of the database file and its -wal and
// -shm companions, where they exist.
func readDBFiles(t *testing.T, path string) [][]byte {
	t.Helper()
	files, err := filepath.Glob(path + "*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no database files at %s: %v", path, err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func checkAuditHasNoSecret(t *testing.T, e *env, secrets []string) {
	t.Helper()
	ev, err := e.store.AuditEvents(context.Background(), gatehouse.AuditFilter{Limit: 1000})
	if err != nil || len(ev) != 3 {
		t.Fatalf("audit: %v, %d events, want 3", err, len(ev))
	}
	for _, a := range ev {
		text := strings.Join([]string{a.KeyID, a.KeyPrefix, a.Addr, a.Reason, a.Detail}, " ")
		for _, s := range secrets {
			if strings.Contains(text, s) || strings.Contains(text, s[strings.LastIndex(s, "_")+1:]) {
				t.Errorf("audit event %s holds a secret", a.Action)
			}
		}
	}
}

// failingAudit is the real store with an audit log that cannot be written.
type failingAudit struct{ keyring.Store }

func (failingAudit) AppendAudit(context.Context, *gatehouse.AuditEvent) error {
	return errors.New("disk full")
}

// TestUnauditedKeyIsRemoved: a key whose creation cannot be audited does
// not stay behind.
func TestUnauditedKeyIsRemoved(t *testing.T) {
	e := newEnv(t, keyring.Config{})
	svc, err := keyring.New(keyring.Config{Store: failingAudit{e.store}, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	u := e.user("owner", gatehouse.RoleAuthor)
	c, err := svc.Create(context.Background(), keyring.Actor{}, u.ID, keyring.CreateRequest{Label: "ci", Scopes: []string{"read"}})
	if err == nil || c.Secret != "" {
		t.Fatalf("create without audit: %v, secret returned: %t", err, c.Secret != "")
	}
	if keys, _ := e.store.Keys(context.Background(), u.ID); len(keys) != 0 {
		t.Errorf("%d unaudited keys left", len(keys))
	}
}
