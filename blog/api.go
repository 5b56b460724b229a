package blog

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// API serves the blog over HTTP. Its methods are handlers for the routes
// their comments name; the server's route table decides who reaches them
// (see the package server). Handlers under /api/ refuse a request without a
// principal in its context, so a route wired without authentication fails
// closed; handlers under /public/ answer as for an anonymous caller even
// when a principal is present.
type API struct {
	svc *Service
	log *slog.Logger
}

// NewAPI returns the handlers over svc. log receives internal errors; nil
// discards them.
func NewAPI(svc *Service, log *slog.Logger) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{svc: svc, log: log}
}

// postJSON is a post on the wire.
type postJSON struct {
	ID       int64     `json:"id"`
	AuthorID int64     `json:"author_id"`
	Title    string    `json:"title"`
	Body     string    `json:"body"`
	Status   Status    `json:"status"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	Version  int64     `json:"version"`
}

func toJSON(p *Post) postJSON {
	return postJSON{p.ID, p.AuthorID, p.Title, p.Body, p.Status, p.Created, p.Updated, p.Version}
}

// listJSON is a page of posts on the wire.
type listJSON struct {
	Posts []postJSON `json:"posts"`
	// NextCursor continues the list (?cursor=); absent after the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// PublicList serves GET /public/posts: published posts, newest first.
func (a *API) PublicList(w http.ResponseWriter, r *http.Request) {
	a.list(w, r, nil)
}

// PublicGet serves GET /public/posts/{id}: one published post.
func (a *API) PublicGet(w http.ResponseWriter, r *http.Request) {
	a.get(w, r, nil)
}

// List serves GET /api/posts: the posts the caller may read, newest first,
// a page at a time (?limit=, ?cursor=).
func (a *API) List(w http.ResponseWriter, r *http.Request) {
	who, err := caller(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.list(w, r, who)
}

// Get serves GET /api/posts/{id}: one post the caller may read.
func (a *API) Get(w http.ResponseWriter, r *http.Request) {
	who, err := caller(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.get(w, r, who)
}

func (a *API) list(w http.ResponseWriter, r *http.Request, who *gatehouse.Principal) {
	pg, err := pageOf(r)
	if err == nil {
		var l *Listing
		if l, err = a.svc.List(r.Context(), who, pg); err == nil {
			out := listJSON{Posts: make([]postJSON, len(l.Posts)), NextCursor: cursor(l.Next)}
			for i, p := range l.Posts {
				out.Posts[i] = toJSON(p)
			}
			cacheControl(w, who)
			encode(w, http.StatusOK, out)
			return
		}
	}
	a.fail(w, r, err)
}

func (a *API) get(w http.ResponseWriter, r *http.Request, who *gatehouse.Principal) {
	id, err := postID(r)
	if err == nil {
		var p *Post
		if p, err = a.svc.Get(r.Context(), who, id); err == nil {
			cacheControl(w, who)
			w.Header().Set("ETag", etag(p.Version))
			if noneMatch(r, p.Version) {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			encode(w, http.StatusOK, toJSON(p))
			return
		}
	}
	a.fail(w, r, err)
}

// cacheControl lets shared caches keep public answers (revalidating with
// the ETag), and keeps a caller's own answers out of every cache.
func cacheControl(w http.ResponseWriter, who *gatehouse.Principal) {
	if who == nil {
		w.Header().Set("Cache-Control", "no-cache")
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
}

// caller returns the request's principal, or CodeUnauthenticated.
func caller(r *http.Request) (*gatehouse.Principal, error) {
	who, ok := gatehouse.PrincipalFrom(r.Context())
	if !ok {
		return nil, gatehouse.Errorf(gatehouse.CodeUnauthenticated, "Authentication is required.")
	}
	return who, nil
}

// postID reads the {id} path value: a positive decimal number written
// without sign or leading zeros. Anything else is no post (404).
func postID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != s {
		return 0, notFound()
	}
	return id, nil
}
