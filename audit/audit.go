// Package audit defines Kizuna's audit trail: who did what, when, from where,
// to which object. Entries are append-only and hash-chained: each entry's hash
// covers its content and the previous entry's hash, so an edited, deleted or
// reordered entry breaks the chain at a point Verify can name.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/kizuna-oss/kizuna"
)

// Entry is one audit record.
type Entry struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	ActorType  string          `json:"actor_type"`
	ActorID    string          `json:"actor_id"`
	ActorName  string          `json:"actor_name,omitempty"`
	IP         string          `json:"ip,omitempty"`
	UserAgent  string          `json:"user_agent,omitempty"`
	Terminal   string          `json:"terminal,omitempty"`
	Action     string          `json:"action" doc:"e.g. customer.read, customer.update, source_profile.upsert, customer.merge"`
	ObjectType string          `json:"object_type,omitempty"`
	ObjectID   string          `json:"object_id,omitempty"`
	CustomerID string          `json:"customer_id,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty" doc:"Changed fields before and after, personal data redacted"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// New is an entry of action by actor at a time, on an object; detail is
// stored as JSON (nil: none).
func New(actor kizuna.Actor, at time.Time, action, objType, objID, customerID string, detail any) Entry {
	var d json.RawMessage
	if detail != nil {
		d, _ = json.Marshal(detail)
	}
	return Entry{At: at, ActorType: actor.Type, ActorID: actor.ID, ActorName: actor.Name, IP: actor.IP, UserAgent: actor.UserAgent,
		Terminal: actor.Terminal, Action: action, ObjectType: objType, ObjectID: objID, CustomerID: customerID, Detail: d}
}

// GenesisHash is the PrevHash of the first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the entry's hash over every field but Hash itself.
// Fields are length-prefixed so no two different entries encode alike.
func (e *Entry) ComputeHash() string {
	h := sha256.New()
	put := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	put(strconv.FormatInt(e.Seq, 10))
	put(e.At.UTC().Format(time.RFC3339Nano))
	put(e.ActorType)
	put(e.ActorID)
	put(e.ActorName)
	put(e.IP)
	put(e.UserAgent)
	put(e.Terminal)
	put(e.Action)
	put(e.ObjectType)
	put(e.ObjectID)
	put(e.CustomerID)
	put(string(e.Detail))
	put(e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// Seal fills Seq, PrevHash and Hash given the chain's current head.
func (e *Entry) Seal(prevSeq int64, prevHash string) {
	if prevHash == "" {
		prevHash = GenesisHash
	}
	e.Seq = prevSeq + 1
	e.PrevHash = prevHash
	e.At = e.At.UTC().Truncate(time.Microsecond) // both databases keep microseconds
	e.Hash = e.ComputeHash()
}

// Problem is the first break found in the chain.
type Problem struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

func (p *Problem) Error() string { return fmt.Sprintf("audit entry %d: %s", p.Seq, p.Reason) }

// Verify walks entries in Seq order and returns the number checked and the
// first problem, or nil when the chain is intact.
func Verify(entries iter.Seq2[Entry, error]) (int64, *Problem, error) {
	var n, prevSeq int64
	prevHash := GenesisHash
	for e, err := range entries {
		if err != nil {
			return n, nil, err
		}
		n++
		switch {
		case e.Seq != prevSeq+1 && e.Seq <= prevSeq:
			return n, &Problem{e.Seq, fmt.Sprintf("out of order: follows entry %d", prevSeq)}, nil
		case e.Seq != prevSeq+1:
			// A deleted entry is named by its own number, as a deleted
			// newest entry is (by the head check).
			return n, &Problem{prevSeq + 1, fmt.Sprintf("entries %d to %d are missing (deleted); the chain resumes at entry %d", prevSeq+1, e.Seq-1, e.Seq)}, nil
		case e.PrevHash != prevHash:
			return n, &Problem{e.Seq, "previous-hash link does not match entry " + strconv.FormatInt(prevSeq, 10) + " (an entry was deleted, inserted or reordered)"}, nil
		case e.ComputeHash() != e.Hash:
			return n, &Problem{e.Seq, "content does not match its hash (the entry was edited)"}, nil
		}
		prevSeq, prevHash = e.Seq, e.Hash
	}
	return n, nil, nil
}

// Filter selects audit entries, newest first.
type Filter struct {
	CustomerID string
	ActorID    string
	Action     string
	Since      time.Time
	Until      time.Time
	BeforeSeq  int64 // cursor: entries older than this
	Limit      int
}

// Log is the audit trail's storage.
type Log interface {
	AppendAudit(ctx context.Context, entries ...Entry) error
	AuditEntries(ctx context.Context, f Filter) ([]Entry, error)
	VerifyAudit(ctx context.Context) (int64, *Problem, error)
}

// Redacted replaces a personal value in audit details: the trail keeps the
// fact that a field changed, never the personal data itself.
const Redacted = "[redacted]"

// Change is one field's before and after in an entry's detail.
type Change struct {
	Field  string `json:"field"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

// personalFields are redacted by policy; everything else is kept as is.
var personalFields = map[string]bool{
	"name": true, "name_kana": true, "name_romaji": true, "birth_date": true,
	"emails": true, "phones": true, "addresses": true, "member_cards": true,
	"family_name": true, "given_name": true, "family_name_kana": true, "given_name_kana": true,
	"family_name_romaji": true, "given_name_romaji": true, "external_id": true,
}

// IsPersonal reports whether the audit policy redacts a field's values.
func IsPersonal(field string) bool { return personalFields[field] }

// Redact applies the policy to changes.
func Redact(changes []Change) []Change {
	out := make([]Change, len(changes))
	for i, c := range changes {
		if IsPersonal(c.Field) {
			if c.Before != nil {
				c.Before = Redacted
			}
			if c.After != nil {
				c.After = Redacted
			}
		}
		out[i] = c
	}
	return out
}
