package sso

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
)

// loginError is a failed sign-in: a short reason for the audit log (never
// a secret) and the error with the details, for the server log.
type loginError struct {
	reason string
	err    error
}

func (e *loginError) Error() string { return e.err.Error() }
func (e *loginError) Unwrap() error { return e.err }

func failure(reason string, err error) error { return &loginError{reason: reason, err: err} }

// reasonOf returns the audit reason of err.
func reasonOf(err error) string {
	var le *loginError
	if errors.As(err, &le) {
		return le.reason
	}
	switch gatehouse.ErrorCode(err) {
	case gatehouse.CodeUnavailable:
		return "unavailable"
	case gatehouse.CodeUnauthenticated:
		return "state"
	}
	return "internal"
}

// outcome is what a person is told about a failure, by reason.
type outcome struct {
	status  int
	message string
}

var outcomes = map[string]outcome{
	"state":            {http.StatusBadRequest, "This sign-in has expired, was already used, or was started in another browser. Please start again."},
	"unknown_provider": {http.StatusBadRequest, "There is no such sign-in provider."},
	"provider_error":   {http.StatusBadRequest, "The sign-in provider did not sign you in."},
	"not_allowed":      {http.StatusForbidden, "This account may not sign in here."},
	"disabled":         {http.StatusForbidden, "This account is disabled."},
	// An invitation bound to another provider: say which way in is wrong,
	// not which one is right.
	"invitation_other_provider": {http.StatusForbidden, "This account was invited to sign in with another provider. Please sign in with that one."},
	"unavailable":               {http.StatusServiceUnavailable, "The sign-in provider or the service cannot be reached right now. Please try again shortly."},
	"provider_unavailable":      {http.StatusServiceUnavailable, "The sign-in provider cannot be reached right now, so you were not signed in. Please try again shortly."},
	"internal":                  {http.StatusInternalServerError, "Something went wrong on our side. Please try again."},
}

// outcomeOf returns the status and message for a failure reason; every
// reason not listed is a response from the provider that did not verify.
func outcomeOf(reason string) outcome {
	if o, ok := outcomes[reason]; ok {
		return o
	}
	return outcome{http.StatusBadRequest, "The answer from the sign-in provider could not be verified, so you were not signed in. Please start again."}
}

// pageCSP is the Content-Security-Policy of every page sso serves: nothing
// may load or run, the pages cannot be framed, and they have no forms.
const pageCSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">{{end}}

{{define "error"}}{{template "head"}}<title>Sign-in failed</title></head>
<body><h1>Sign-in failed</h1><p>{{.Message}}</p>
{{if .RequestID}}<p>Reference: <code>{{.RequestID}}</code></p>{{end}}
<p><a href="/">Continue</a></p></body></html>
{{end}}

{{define "landing"}}{{template "head"}}<meta http-equiv="refresh" content="0; url='{{.ReturnTo}}'">
<title>Signed in</title></head>
<body><h1>Signed in</h1><p><a href="{{.ReturnTo}}">Continue</a></p></body></html>
{{end}}

{{define "signed-out"}}{{template "head"}}<title>Signed out</title></head>
<body><h1>Signed out</h1><p>You are signed out.</p><p><a href="/">Continue</a></p></body></html>
{{end}}
`))

// page writes one of the templates with the headers every sso page has.
func page(w http.ResponseWriter, status int, name string, data any) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(status)
	return pages.ExecuteTemplate(w, name, data)
}
