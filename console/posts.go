package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/policy"
)

// postRow is one post on the posts page.
type postRow struct {
	*blog.Post
	Author  string
	CanEdit bool
}

// postsData is the body of the posts page.
type postsData struct {
	Posts  []postRow
	Next   int64 // the cursor of the next page, 0 after the last
	Notice string
}

// Posts serves GET /posts: the posts the caller may read, newest first,
// with an edit link on those the policy lets them edit.
func (c *Console) Posts(w http.ResponseWriter, r *http.Request) {
	p, ok := c.postsWho(w, r, c.who)
	if !ok {
		return
	}
	before, err := cursor(r.URL.Query().Get("before"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	list, err := c.posts.List(r.Context(), p, blog.Page{Limit: 20, Before: before})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := postsData{Next: list.Next}
	names := c.namer(r.Context(), false)
	for _, post := range list.Posts {
		can, err := c.canEdit(r.Context(), p, post)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		d.Posts = append(d.Posts, postRow{Post: post, Author: names(post.AuthorID), CanEdit: can})
	}
	if r.URL.Query().Get("saved") != "" {
		d.Notice = "Your changes were saved."
	}
	c.render(w, r, http.StatusOK, "posts.html", view{Title: "Posts", Nav: "posts", User: p, Data: d})
}

// postsWho answers 404 when the console has no posts pages, and is check
// (who or unsafe) otherwise.
func (c *Console) postsWho(w http.ResponseWriter, r *http.Request,
	check func(http.ResponseWriter, *http.Request) (*gatehouse.Principal, bool)) (*gatehouse.Principal, bool) {
	if c.posts == nil {
		c.fail(w, r, notFound())
		return nil, false
	}
	return check(w, r)
}

// canEdit asks the policy, as blog.Service does before an edit, and the
// request-level scope, as the route of the edit form does.
func (c *Console) canEdit(ctx context.Context, p *gatehouse.Principal, post *blog.Post) (bool, error) {
	if !p.Has(gatehouse.ScopeWrite) {
		return false, nil
	}
	return c.policy.Can(ctx, p, policy.Edit, policy.Resource{ID: post.ID, AuthorID: post.AuthorID, Status: string(post.Status)})
}

// cursor reads the before parameter: empty, or a positive post id.
func cursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, gatehouse.Errorf(gatehouse.CodeInvalid, "The page link is not valid.")
	}
	return n, nil
}

// editData is the body of the edit page.
type editData struct {
	Post   *blog.Post
	Title  string
	Body   string
	Errors formErrors
}

// EditPost serves GET /posts/{id}/edit: the edit form, for a post the
// policy lets the caller edit (another is refused, as the save would be).
func (c *Console) EditPost(w http.ResponseWriter, r *http.Request) {
	p, ok := c.postsWho(w, r, c.who)
	if !ok {
		return
	}
	post, err := c.editable(r, p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.editPage(w, r, p, http.StatusOK, editData{Post: post, Title: post.Title, Body: post.Body})
}

func (c *Console) editPage(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, status int, d editData) {
	c.render(w, r, status, "post_edit.html", view{Title: "Edit “" + d.Post.Title + "”", Nav: "posts", User: p, Data: d})
}

// editable loads the post named by {id} if the caller may edit it:
// CodeNotFound if they may not read it, CodeForbidden if they may read
// but not edit it.
func (c *Console) editable(r *http.Request, p *gatehouse.Principal) (*blog.Post, error) {
	id, err := postID(r)
	if err != nil {
		return nil, err
	}
	post, err := c.posts.Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	ok, err := c.canEdit(r.Context(), p, post)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, gatehouse.Errorf(gatehouse.CodeForbidden, "You may not edit this post.")
	}
	return post, nil
}

// postID reads the {id} path value as blog's API does: a positive decimal
// number without sign or leading zeros; anything else is no post.
func postID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != s {
		return 0, notFound()
	}
	return id, nil
}

// UpdatePost serves POST /posts/{id}: it saves the edit form through
// blog.Service, which asks the policy, so a form forged for a post the
// caller may not edit is refused. The form names the version it edited;
// a post changed since comes back with the error above the form.
func (c *Console) UpdatePost(w http.ResponseWriter, r *http.Request) {
	p, ok := c.postsWho(w, r, c.unsafe)
	if !ok {
		return
	}
	id, err := postID(r)
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	title, body := r.PostForm.Get("title"), strings.ReplaceAll(r.PostForm.Get("body"), "\r\n", "\n")
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	post, err := c.posts.Update(r.Context(), p, id, blog.Match{version}, blog.Edit{Title: &title, Body: &body})
	switch {
	case err == nil:
		c.seeOther(w, r, "/posts?saved="+strconv.FormatInt(post.ID, 10))
	case gatehouse.ErrorCode(err) == gatehouse.CodeInvalid || gatehouse.ErrorCode(err) == gatehouse.CodeConflict:
		c.editAgain(w, r, p, id, title, body, err)
	default:
		c.fail(w, r, err)
	}
}

// editAgain shows the edit form again with what was sent and the error
// beside its field.
func (c *Console) editAgain(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, id int64, title, body string, err error) {
	post, gerr := c.posts.Get(r.Context(), p, id)
	if gerr != nil {
		c.fail(w, r, gerr)
		return
	}
	d := editData{Post: post, Title: title, Body: body}
	text := gatehouse.ErrorMessage(err)
	switch lower := strings.ToLower(text); {
	case gatehouse.ErrorCode(err) == gatehouse.CodeConflict:
		d.Errors.Form = "Someone changed this post while you were editing it. The form now edits the latest version; check your changes and save again."
	case strings.Contains(lower, "title"):
		d.Errors.Title = text
	case strings.Contains(lower, "body"):
		d.Errors.Body = text
	default:
		d.Errors.Form = text
	}
	c.editPage(w, r, p, http.StatusBadRequest, d)
}
