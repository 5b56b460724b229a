package blog

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse-dev/gatehouse/problem"
)

// newPostJSON is the body of POST /api/posts.
type newPostJSON struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// editJSON is the body of PATCH /api/posts/{id}; absent fields stay.
type editJSON struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

// Create serves POST /api/posts: a new draft by the caller. It answers 201
// with the post, its Location and ETag.
func (a *API) Create(w http.ResponseWriter, r *http.Request) {
	who, err := caller(r)
	var in newPostJSON
	if err == nil {
		err = decode(w, r, &in)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	p, err := a.svc.Create(r.Context(), who, in.Title, in.Body)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/posts/"+strconv.FormatInt(p.ID, 10))
	a.written(w, http.StatusCreated, p)
}

// Update serves PATCH /api/posts/{id}: a new title or body. With If-Match,
// a post that has changed since is 412.
func (a *API) Update(w http.ResponseWriter, r *http.Request) {
	who, err := caller(r)
	var in editJSON
	var id int64
	if err == nil {
		id, err = postID(r)
	}
	if err == nil {
		err = decode(w, r, &in)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	p, err := a.svc.Update(r.Context(), who, id, ifMatch(r), Edit(in))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.written(w, http.StatusOK, p)
}

// Publish serves POST /api/posts/{id}/publish: the post becomes visible
// to everyone. It takes no body. With If-Match, as for Update.
func (a *API) Publish(w http.ResponseWriter, r *http.Request) {
	who, err := caller(r)
	var id int64
	if err == nil {
		id, err = postID(r)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	p, err := a.svc.Publish(r.Context(), who, id, ifMatch(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.written(w, http.StatusOK, p)
}

// Delete serves DELETE /api/posts/{id}, answering 204. With If-Match, as
// for Update.
func (a *API) Delete(w http.ResponseWriter, r *http.Request) {
	who, err := caller(r)
	var id int64
	if err == nil {
		id, err = postID(r)
	}
	if err == nil {
		err = a.svc.Delete(r.Context(), who, id, ifMatch(r))
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// written answers a change with the post as it is now.
func (a *API) written(w http.ResponseWriter, status int, p *Post) {
	w.Header().Set("ETag", etag(p.Version))
	w.Header().Set("Cache-Control", "no-store")
	encode(w, status, toJSON(p))
}

// fail writes err as a problem. A version that If-Match did not name is
// 412 Precondition Failed; without If-Match, a post that changed between
// the decision and the write is a plain 409 conflict.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrStale) && r.Header.Get("If-Match") != "" {
		d := problem.New(err)
		d.Type, d.Status, d.Title = problem.TypeBase+"precondition_failed", http.StatusPreconditionFailed, http.StatusText(http.StatusPreconditionFailed)
		problem.WriteDetails(w, r, d)
		return
	}
	problem.Write(w, r, a.log, err)
}
