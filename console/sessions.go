package console

import (
	"net/http"
	"time"
)

// sessionRow is one session as the sessions page shows it.
type sessionRow struct {
	ID       string
	Device   string
	Addr     string
	Provider string
	Started  time.Time
	LastSeen time.Time
	Current  bool
}

// sessionsData is the body of the sessions page.
type sessionsData struct {
	Sessions []sessionRow
	Notice   string
}

// Sessions serves GET /sessions: the caller's sessions, with a way to end
// each, and all of them.
func (c *Console) Sessions(w http.ResponseWriter, r *http.Request) {
	p, ok := c.who(w, r)
	if !ok {
		return
	}
	list, err := c.sessions.List(r.Context(), p.UserID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := sessionsData{Sessions: make([]sessionRow, len(list))}
	for i, s := range list {
		d.Sessions[i] = sessionRow{ID: s.ID, Device: device(s.UserAgent), Addr: s.Addr, Provider: s.Provider,
			Started: s.Created, LastSeen: s.LastSeen, Current: s.ID == p.SessionID}
	}
	if r.URL.Query().Get("ended") == "1" {
		d.Notice = "The session was signed out."
	}
	c.render(w, r, http.StatusOK, "sessions.html", view{Title: "Sessions", Nav: "sessions", User: p, Data: d})
}

// EndSession serves POST /sessions/{id}/end: it signs one session out.
// Ending the current one signs this browser out too.
func (c *Console) EndSession(w http.ResponseWriter, r *http.Request) {
	p, ok := c.unsafe(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if id == p.SessionID {
		c.signOut(w, r)
		return
	}
	if err := c.sessions.EndOne(r.Context(), p.UserID, id); err != nil {
		c.fail(w, r, err)
		return
	}
	c.seeOther(w, r, "/sessions?ended=1")
}

// EndAllSessions serves POST /sessions/end-all: it signs the caller out
// everywhere, this browser included.
func (c *Console) EndAllSessions(w http.ResponseWriter, r *http.Request) {
	p, ok := c.unsafe(w, r)
	if !ok {
		return
	}
	// This browser's session first, so that its cookie is cleared even if
	// ending the others fails.
	if err := c.sessions.End(r.Context(), w, r); err != nil {
		c.fail(w, r, err)
		return
	}
	if _, err := c.sessions.EndAll(r.Context(), p.UserID); err != nil {
		c.fail(w, r, err)
		return
	}
	c.seeOther(w, r, "/")
}

// signOut ends this browser's session, clears its cookie, and goes home.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	if err := c.sessions.End(r.Context(), w, r); err != nil {
		c.fail(w, r, err)
		return
	}
	c.seeOther(w, r, "/")
}
