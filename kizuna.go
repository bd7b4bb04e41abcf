// Package kizuna holds the few types every layer of Kizuna shares: the
// domain error, the actor who performs an action, and opaque ID generation.
// Domain packages (customer, identity, audit, auth) build on it; adapters
// (store/sqlstore, httpapi) translate it to their own world in one place each.
package kizuna

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Error codes. The HTTP layer maps each to one status code (httpapi/errors.go);
// nothing else in Kizuna decides a status code.
const (
	ECONFLICT     = "conflict"     // state does not allow the action (409)
	EINTERNAL     = "internal"     // a bug or an unavailable dependency (500)
	EINVALID      = "invalid"      // the input is wrong (400/422)
	ENOTFOUND     = "not_found"    // no such object (404)
	EUNAUTHORIZED = "unauthorized" // no or bad credentials (401)
	EFORBIDDEN    = "forbidden"    // credentials lack the right (403)
	EPRECONDITION = "precondition" // If-Match did not match (412)
	ETOOLARGE     = "too_large"    // the request is too big (413)
	EUNSUPPORTED  = "unsupported"  // schema too old/new, unsupported media (…)
)

// Error is Kizuna's one domain error. Field names the input that was wrong
// ("profile.emails[2]"), so a caller can point at it.
type Error struct {
	Code    string
	Message string
	Field   string
	Current string // for a conflict: the state the object is in now
	Err     error  // the cause, if any; never shown to API clients
	// Also holds the input's further problems, when it has several (a
	// bad email and a bad birth date in one record), so a caller can fix
	// them all at once rather than one per attempt.
	Also []*Error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Field != "" {
		b.WriteString(" (" + e.Field + ")")
	}
	b.WriteString(": " + e.Message)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a domain error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error that names the offending field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns nil for no problems, or the first with the rest in Also.
func Invalid(problems []*Error) error {
	if len(problems) == 0 {
		return nil
	}
	first := *problems[0]
	first.Also = append(slices.Clone(first.Also), problems[1:]...)
	return &first
}

// FieldErrors lists every problem of err: the first *Error in its chain
// and those in its Also; nil when err holds no *Error.
func FieldErrors(err error) []*Error {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	return append([]*Error{e}, e.Also...)
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human-readable message of a domain error, or a
// generic one for internal errors (whose details stay in the logs).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field named by a domain error, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// ErrorCurrent is the state a conflict error says the object is in, or "".
func ErrorCurrent(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Current
	}
	return ""
}

// Tokyo is Japan Standard Time, where dates are shown and days counted by
// default. Japan has no daylight saving, so a fixed zone needs no tzdata.
var Tokyo = time.FixedZone("Asia/Tokyo", 9*60*60)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns an opaque, URL-safe ID with a readable prefix ("cus_0k2…").
// Clients must not parse IDs. Inside, the first 48 bits are the creation
// time in milliseconds and the other 72 are random: IDs made later sort
// later, so new rows land at the end of B-tree indexes instead of all over
// them, which keeps bulk inserts fast as tables grow. Within one process
// the order is strict: an ID made in the same millisecond as the one before
// it (or while the clock stepped back) continues from it, as ULIDs do, so
// "older" is "smaller ID" even for two customers made in one millisecond.
func NewID(prefix string) string {
	var b [15]byte
	if _, err := rand.Read(b[6:]); err != nil {
		panic(fmt.Sprintf("kizuna: crypto/rand failed: %v", err)) // the OS is broken; nothing sane to do
	}
	ms := uint64(time.Now().UnixMilli())
	lastID.Lock()
	if ms <= lastID.ms {
		ms, b = lastID.ms, lastID.b
		for i := 14; i >= 6; i-- { // the previous random part plus one
			if b[i]++; b[i] != 0 {
				break
			}
			if i == 6 { // 2^72 IDs in one millisecond: borrow the next one
				ms++
			}
		}
	}
	for i, m := 5, ms; i >= 0; i-- {
		b[i] = byte(m)
		m >>= 8
	}
	lastID.ms, lastID.b = ms, b
	lastID.Unlock()
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// lastID is the latest ID NewID made, which the next one follows.
var lastID struct {
	sync.Mutex
	ms uint64
	b  [15]byte
}

// Actor is who performs an action: a staff user, an API key or the system
// itself (CLI, jobs). Every write and every read of personal data names one.
type Actor struct {
	Type      string // "user", "apikey", "system"
	ID        string
	Name      string
	IP        string
	UserAgent string
	Terminal  string // the staff terminal's name (X-Kizuna-Terminal header or console cookie)
}

// System is the actor for CLI commands and background jobs.
func System(name string) Actor { return Actor{Type: "system", ID: name, Name: name} }

// TimeCursor is the position after an item in a newest-first listing
// ordered by a time and then an ID.
func TimeCursor(at time.Time, id string) string { return at.UTC().Format(time.RFC3339Nano) + "|" + id }

// ParseTimeCursor reads a position TimeCursor made.
func ParseTimeCursor(c string) (time.Time, string, error) {
	at, id, ok := strings.Cut(c, "|")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", FieldError("query.cursor", "is not a cursor this server gave")
	}
	return t, id, nil
}
