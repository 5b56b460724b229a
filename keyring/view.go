package keyring

import (
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// Warning is shown with every new secret.
const Warning = "Store this key now: it will not be shown again."

// KeyView is what the REST API and the command line show of a key: never
// its hash or secret. Times that are not set are left out of the JSON.
type KeyView struct {
	ID           string           `json:"id"`
	Label        string           `json:"label"`
	Prefix       string           `json:"prefix"`
	Scopes       []string         `json:"scopes"`
	Status       gatehouse.Status `json:"status"`
	Created      time.Time        `json:"created"`
	Expires      time.Time        `json:"expires,omitzero"`
	LastUsed     time.Time        `json:"last_used,omitzero"`
	LastUsedAddr string           `json:"last_used_addr,omitempty"`
	Rolled       time.Time        `json:"rolled,omitzero"`
	// PreviousValidUntil is when the secret replaced by the last roll stops
	// working, while that is still ahead.
	PreviousValidUntil time.Time `json:"previous_valid_until,omitzero"`
	Revoked            time.Time `json:"revoked,omitzero"`
}

// CreatedView is a KeyView with the new secret, for the one response that
// shows it.
type CreatedView struct {
	KeyView
	Key     string `json:"key"`
	Warning string `json:"warning"`
}

// View returns what may be shown of k, with its status at the Service's
// current time.
func (s *Service) View(k *gatehouse.APIKey) KeyView {
	now := s.now()
	v := KeyView{
		ID: k.ID, Label: k.Label, Prefix: k.Prefix, Scopes: k.Scopes.Strings(),
		Status: k.Status(now, s.idle), Created: k.Created.UTC(), Expires: utc(k.Expires),
		LastUsed: utc(k.LastUsed), LastUsedAddr: k.LastUsedAddr, Rolled: utc(k.Rolled), Revoked: utc(k.Revoked),
	}
	if k.PrevExpires.After(now) && k.Revoked.IsZero() {
		v.PreviousValidUntil = k.PrevExpires.UTC()
	}
	return v
}

// CreatedView returns the view of a new or rolled key with its secret and
// the warning to store it.
func (s *Service) CreatedView(c Created) CreatedView {
	return CreatedView{KeyView: s.View(c.Key), Key: c.Secret, Warning: Warning}
}

// utc returns t in UTC, keeping the zero time zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
