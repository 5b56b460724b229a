package blog_test

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
)

func principal(u *gatehouse.User) *gatehouse.Principal {
	return &gatehouse.Principal{UserID: u.ID, Role: u.Role}
}

// TestSeed: Seed makes the demo data once, and the data shows the rules
// the README's tour walks through.
func TestSeed(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			d, err := blog.Seed(t.Context(), s, s)
			if err != nil {
				t.Fatal(err)
			}
			if d.Editor.Role != gatehouse.RoleEditor || d.Author.Role != gatehouse.RoleAuthor || d.Reader.Role != gatehouse.RoleReader || len(d.Posts) != 3 {
				t.Fatalf("Seed = %+v", d)
			}
			again, err := blog.Seed(t.Context(), s, s)
			if err != nil || again.Editor.ID != d.Editor.ID || again.Reader.ID != d.Reader.ID || len(again.Posts) != 0 {
				t.Fatalf("second Seed = %+v, %v; want the same users and no new posts", again, err)
			}
			all, err := s.Posts(t.Context(), blog.Filter{All: true, Limit: 10})
			if err != nil || len(all) != 3 {
				t.Fatalf("posts after two Seeds: %d, %v", len(all), err)
			}
			checkTour(t, newService(t, s, blog.Config{}), d)
		})
	}
}

// checkTour asks the service what the README's tour shows over HTTP.
func checkTour(t *testing.T, svc *blog.Service, d *blog.Demo) {
	welcome, mine, draft := d.Posts[0], d.Posts[1], d.Posts[2]
	title := "Edited"
	tests := []struct {
		name string
		err  error
		want gatehouse.Code
	}{
		{"anonymous reads the welcome", get(t, svc, nil, welcome.ID), ""},
		{"the reader cannot see the draft", get(t, svc, principal(d.Reader), draft.ID), gatehouse.CodeNotFound},
		{"the author edits their post", update(t, svc, principal(d.Author), mine.ID, &title), ""},
		{"the author may not edit the editor's", update(t, svc, principal(d.Author), welcome.ID, &title), gatehouse.CodeForbidden},
		{"the reader may not edit", update(t, svc, principal(d.Reader), mine.ID, &title), gatehouse.CodeForbidden},
		{"the editor publishes the draft", publish(t, svc, principal(d.Editor), draft.ID), ""},
		{"the reader now sees it", get(t, svc, principal(d.Reader), draft.ID), ""},
	}
	for _, tt := range tests {
		if got := gatehouse.ErrorCode(tt.err); got != tt.want {
			t.Errorf("%s: %v; want code %q", tt.name, tt.err, tt.want)
		}
	}
}

func get(t *testing.T, svc *blog.Service, who *gatehouse.Principal, id int64) error {
	_, err := svc.Get(t.Context(), who, id)
	return err
}

func update(t *testing.T, svc *blog.Service, who *gatehouse.Principal, id int64, title *string) error {
	_, err := svc.Update(t.Context(), who, id, nil, blog.Edit{Title: title})
	return err
}

func publish(t *testing.T, svc *blog.Service, who *gatehouse.Principal, id int64) error {
	_, err := svc.Publish(t.Context(), who, id, nil)
	return err
}
