package console

import (
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// maxForm bounds a form body; the largest form, a post's edit, is a
// little over blog.MaxBody.
const maxForm = 256 << 10

// parseForm reads a bounded url-encoded form body.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The form could not be read.")
	}
	return nil
}

// fieldMsg is one error shown beside a field; ID is what the field's
// aria-describedby names.
type fieldMsg struct {
	ID   string
	Text string
}

// formErrors holds what is wrong with a form, by field; Form is for what
// belongs to no field.
type formErrors struct {
	Label, Scopes, Expires, Title, Body, Form string
}

func msg(id, text string) *fieldMsg {
	if text == "" {
		return nil
	}
	return &fieldMsg{ID: id, Text: text}
}

// LabelMsg returns the label's error, or nil.
func (e formErrors) LabelMsg() *fieldMsg { return msg("label-error", e.Label) }

// ScopesMsg returns the scopes' error, or nil.
func (e formErrors) ScopesMsg() *fieldMsg { return msg("scopes-error", e.Scopes) }

// ExpiresMsg returns the expiry's error, or nil.
func (e formErrors) ExpiresMsg() *fieldMsg { return msg("expires-error", e.Expires) }

// TitleMsg returns the title's error, or nil.
func (e formErrors) TitleMsg() *fieldMsg { return msg("title-error", e.Title) }

// BodyMsg returns the body's error, or nil.
func (e formErrors) BodyMsg() *fieldMsg { return msg("body-error", e.Body) }

// Any reports whether there is an error.
func (e formErrors) Any() bool { return e != formErrors{} }

// placeKeyError puts a keyring error beside the field it is about. The
// keyring's messages name the field they concern ("label", "scope",
// "expiry", "duration"); the tests check each one lands where it belongs.
func placeKeyError(err error) formErrors {
	text := gatehouse.ErrorMessage(err)
	lower := strings.ToLower(text)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeConflict:
		return formErrors{Label: "You already have a key with this label; choose another one."}
	case strings.Contains(lower, "label"):
		return formErrors{Label: text}
	case strings.Contains(lower, "scope"):
		return formErrors{Scopes: text}
	case strings.Contains(lower, "expir"), strings.Contains(lower, "duration"):
		return formErrors{Expires: text}
	}
	return formErrors{Form: text}
}

// clientError reports whether err is the caller's to fix on the form, as
// opposed to one that gets the error page.
func clientError(err error) bool {
	switch gatehouse.ErrorCode(err) {
	case gatehouse.CodeInvalid, gatehouse.CodeConflict, gatehouse.CodeForbidden:
		return true
	}
	return false
}
