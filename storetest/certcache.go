package storetest

import (
	"bytes"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

func testCertCache(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	_, err := s.CertData(ctx, "example.com")
	wantCode(t, "CertData(missing)", err, gatehouse.CodeNotFound)

	blob := []byte("-----BEGIN EC " + "PRIVATE KEY-----\x00\xff\n") // split: not a real key
	steps := []struct {
		name string
		data []byte
	}{{"put", blob}, {"replace", append(blob, blob...)}, {"empty", []byte{}}}
	for _, st := range steps {
		noErr(t, "PutCertData "+st.name, s.PutCertData(ctx, "example.com", st.data))
		got, err := s.CertData(ctx, "example.com")
		noErr(t, "CertData "+st.name, err)
		if !bytes.Equal(got, st.data) {
			t.Errorf("%s: CertData = %q, want %q", st.name, got, st.data)
		}
	}
	noErr(t, "PutCertData other", s.PutCertData(ctx, "acme_account+key", blob))
	noErr(t, "DeleteCertData", s.DeleteCertData(ctx, "example.com"))
	_, err = s.CertData(ctx, "example.com")
	wantCode(t, "CertData after delete", err, gatehouse.CodeNotFound)
	noErr(t, "DeleteCertData(missing)", s.DeleteCertData(ctx, "example.com"))
	if got, err := s.CertData(ctx, "acme_account+key"); err != nil || !bytes.Equal(got, blob) {
		t.Errorf("other entry after delete: %q, %v", got, err)
	}
}
