package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// TestUpdateUserConcurrentChange: when another process (a sign-in, another
// operator) changes the user between updateUser's read and its write, the
// write is refused and updateUser reads the user again and reapplies its
// change: both changes survive, where saving the first copy would have
// undone the other one.
func TestUpdateUserConcurrentChange(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--service", "ci-bot", "--role", "reader")
	ctx := context.Background()
	other, err := sqlite.Open(ctx, c.dbPath(), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var out bytes.Buffer
	e := env{getenv: func(k string) string { return c.vars[k] }, stdout: &out, stderr: io.Discard}
	conf, _, err := parseOp(opCommand{"users set-role", "", func(*flag.FlagSet) {}}, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	err = updateUser(ctx, e, conf, "ci-bot", func(u *gatehouse.User) string {
		calls++
		if calls == 1 { // the other process disables the user after our read
			fresh, err := other.User(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			fresh.Disabled = true
			if err := other.UpdateUser(ctx, fresh); err != nil {
				t.Fatal(err)
			}
		}
		u.Role = gatehouse.RoleEditor
		return "role reader -> editor"
	})
	if err != nil {
		t.Fatal(err)
	}
	if u := c.user("ci-bot"); u.Role != gatehouse.RoleEditor || !u.Disabled {
		t.Errorf("after set-role raced a disable: role %s, disabled %t; want editor and still disabled", u.Role, u.Disabled)
	}
	if calls != 2 || !strings.Contains(out.String(), "role reader -> editor") {
		t.Errorf("change applied %d times (want 2: the stale copy, then the re-read one); output %q", calls, out.String())
	}
}
