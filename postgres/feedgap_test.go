package postgres_test

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/postgres"
	"github.com/gatehouse-dev/gatehouse/storetest"
)

func TestFeedGaps(t *testing.T) {
	dsn(t)
	storetest.RunFeedGaps(t, func(t *testing.T, now func() time.Time) gatehouse.Store {
		s, err := postgres.Open(t.Context(), dsn(t), postgres.Config{Schema: newSchema(t), Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}
