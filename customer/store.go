package customer

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
)

// Identity key kinds. A key is "kind:value" with the value normalized, e.g.
// "email:hanako@example.jp", "ext:rakuten:rk-12ab".
const (
	KeyExternal = "ext"
	KeyCard     = "card"
	KeyEmail    = "email"
	KeyPhone    = "phone"
)

// Key builds an identity key.
func Key(kind, value string) string { return kind + ":" + value }

// ExternalKey is the key of a channel's own ID.
func ExternalKey(channel, externalID string) string {
	return Key(KeyExternal, channel+":"+externalID)
}

// ExternalRef names a source profile by its channel's own ID.
type ExternalRef struct {
	Channel    string
	ExternalID string
}

// Duplicate statuses.
const (
	DuplicateOpen      = "open"
	DuplicateMerged    = "merged"
	DuplicateDismissed = "dismissed"
	// DuplicateCleared is a pair a rule flagged (a shared phone) that the
	// match model, once trained, scored below review: taken off the queue
	// without a staff decision, so it does not keep the two apart, and
	// queued again should a later model score it for review.
	DuplicateCleared = "cleared"
)

// Duplicate is a "possible duplicate": two customers Kizuna did not join on
// its own, with the reason, for staff (or the probabilistic matcher) to decide.
type Duplicate struct {
	ID              string    `json:"id"`
	CustomerID      string    `json:"customer_id" doc:"The newer customer"`
	OtherID         string    `json:"other_customer_id"`
	Reason          string    `json:"reason"`
	SourceProfileID string    `json:"source_profile_id,omitempty"`
	Status          string    `json:"status" enum:"open,merged,dismissed,cleared"`
	CreatedAt       time.Time `json:"created_at"`
	// Set by the probabilistic matcher (the review queue).
	Probability    float64    `json:"probability,omitempty" doc:"Match probability, 0–1"`
	Evidence       []Evidence `json:"evidence,omitempty" doc:"Each compared field's level and weight"`
	OtherProfileID string     `json:"other_source_profile_id,omitempty"`
	DecidedBy      string     `json:"decided_by,omitempty" doc:"Who merged or dismissed it"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
}

// DuplicateCursor is the position after d in the review order (most
// probable first, then by ID), for paging.
func DuplicateCursor(d Duplicate) string {
	return strconv.FormatFloat(d.Probability, 'g', -1, 64) + "~" + d.ID
}

// ParseDuplicateCursor reads a DuplicateCursor.
func ParseDuplicateCursor(c string) (float64, string, error) {
	ps, id, ok := strings.Cut(c, "~")
	p, err := strconv.ParseFloat(ps, 64)
	if !ok || err != nil || id == "" {
		return 0, "", kizuna.Errorf(kizuna.EINVALID, "cursor %q is not one this API gave out", c)
	}
	return p, id, nil
}

// Evidence is one compared field's part in a match: how well it agreed
// (exact, close, different, missing, …) and its weight, the log2 of how
// much more likely that level is for one person than for two. Positive
// weights speak for a match, negative ones against.
type Evidence struct {
	Field  string  `json:"field"`
	Level  string  `json:"level"`
	Weight float64 `json:"weight"`
}

// Merge is the record of one merge, enough to undo it exactly.
type Merge struct {
	ID            string          `json:"id"`
	SurvivorID    string          `json:"survivor_id"`
	MergedID      string          `json:"merged_id"`
	MovedProfiles []string        `json:"moved_profiles"`
	Snapshot      json.RawMessage `json:"-"` // both customers and the affected duplicates before the merge
	Reason        string          `json:"reason,omitempty"`
	ActorID       string          `json:"actor_id"`
	CreatedAt     time.Time       `json:"created_at"`
	UndoneAt      *time.Time      `json:"undone_at,omitempty"`
}

// AttributeDef declares a custom attribute.
type AttributeDef struct {
	Name        string `json:"name" pattern:"^[a-z][a-z0-9_]{0,62}$"`
	Type        string `json:"type" enum:"string,integer,number,boolean,date"`
	Description string `json:"description,omitempty"`
}

// ListFilter selects customers for listing.
type ListFilter struct {
	Channel      string
	Tag          string
	Status       string
	UpdatedSince time.Time
	Limit        int
	After        string // cursor: the last ID of the previous page
}

// Store is the persistence the customer domain needs. Reads run on a pool;
// writes run in a Tx that the adapter serializes where the database needs it.
type Store interface {
	WithTx(ctx context.Context, fn func(Tx) error) error
	GetCustomer(ctx context.Context, id string) (*Customer, error)
	ListCustomers(ctx context.Context, f ListFilter) ([]Customer, error)
	CustomersByKey(ctx context.Context, key string) ([]string, error)
	SourcesOfCustomer(ctx context.Context, id string) ([]SourceProfile, error)
	SourceVersions(ctx context.Context, profileID string) ([]SourceVersion, error)
	Duplicates(ctx context.Context, status string, limit int, after string) ([]Duplicate, error)
	DuplicatesOf(ctx context.Context, customerID string) ([]Duplicate, error)
	MergesOf(ctx context.Context, customerID string) ([]Merge, error)
	Channels(ctx context.Context) ([]Channel, error)
	Locations(ctx context.Context) ([]Location, error)
	Attributes(ctx context.Context) ([]AttributeDef, error)
	Survivorship(ctx context.Context) (Survivorship, error)
	ErasureSalt(ctx context.Context) ([]byte, error)

	// SearchPrefix returns up to limit customers holding a search term that
	// starts with prefix (see SearchTerms), exact matches first.
	SearchPrefix(ctx context.Context, prefix string, limit int) ([]SearchHit, error)
	// CustomersByID reads several customers; unknown IDs are left out.
	CustomersByID(ctx context.Context, ids []string) ([]Customer, error)
	Stats(ctx context.Context, weeks int, now time.Time) (*Stats, error)
	// Notes lists staff notes on any of the customers, newest first.
	Notes(ctx context.Context, customerIDs []string) ([]Note, error)

	// Batch identity resolution.
	EachSource(ctx context.Context, fn func(SourceProfile) error) error // not erased, profile only (no raw)
	MatchModel(ctx context.Context) (version int, model []byte, err error)
	KeptApart(ctx context.Context) ([][2]string, error)                   // customer pairs staff dismissed
	MergedByOthers(ctx context.Context, actorID string) ([]string, error) // customers holding a merge by someone else
}

// Tx is one write transaction.
type Tx interface {
	// LockKeys serializes concurrent writers that touch the same identity
	// keys, so two channels sending one person at once cannot both create a
	// customer. Keys must be sorted (the adapter may rely on it to avoid deadlocks).
	LockKeys(ctx context.Context, keys []string) error
	CustomersByKeys(ctx context.Context, keys []string) (map[string][]string, error)
	SourceByExternal(ctx context.Context, channel, externalID string) (*SourceProfile, error)
	SourcesByExternal(ctx context.Context, refs []ExternalRef) (map[ExternalRef]*SourceProfile, error)
	SourcesOfCustomers(ctx context.Context, ids []string) (map[string][]SourceProfile, error)
	SourcesOfCustomer(ctx context.Context, customerID string) ([]SourceProfile, error)
	SourcesByID(ctx context.Context, ids []string) ([]SourceProfile, error)
	InsertSource(ctx context.Context, sp *SourceProfile) error
	AddSourceVersion(ctx context.Context, sp *SourceProfile) error
	MoveSources(ctx context.Context, profileIDs []string, customerID string) error
	SetKeys(ctx context.Context, profileID, customerID string, keys []string) error // replace a profile's keys
	AddKeys(ctx context.Context, profileID, customerID string, keys []string) error // keys of a new profile
	EraseSources(ctx context.Context, customerID string, erasedExternalID func(SourceProfile) string) error
	// MoveOrders gives a customer's orders to another (a merge) and
	// returns their IDs; MoveOrdersByID moves those back (an unmerge).
	MoveOrders(ctx context.Context, from, to string) ([]string, error)
	MoveOrdersByID(ctx context.Context, orderIDs []string, to string) error
	// EraseOrderContacts removes the identifiers (email, phone, card,
	// member ID) from a customer's orders; the orders stay, as the books
	// must.
	EraseOrderContacts(ctx context.Context, customerID string) error
	// EraseEvents deletes the customer's behaviour events, those of the
	// devices they signed in on included.
	EraseEvents(ctx context.Context, customerID string) error

	GetCustomer(ctx context.Context, id string) (*Customer, error)
	GetCustomers(ctx context.Context, ids []string) (map[string]*Customer, error) // sorted ids; locks them
	InsertCustomer(ctx context.Context, c *Customer) error
	UpdateCustomer(ctx context.Context, c *Customer) error

	// SaveMatchModel stores the model that model(version) encodes as the
	// next version.
	SaveMatchModel(ctx context.Context, model func(version int) ([]byte, error), actorID string, at time.Time) (int, error)

	InsertDuplicate(ctx context.Context, d *Duplicate) error
	// PairsOnRecord returns the pairs of customers, one of them in ids,
	// that the review queue holds already (open), that the match model
	// cleared, or that staff kept apart (dismissed, or a merge undone),
	// each as (smaller ID, larger ID).
	PairsOnRecord(ctx context.Context, ids []string) (map[[2]string]bool, error)
	DuplicatesOf(ctx context.Context, customerID string) ([]Duplicate, error)
	Duplicate(ctx context.Context, id string) (*Duplicate, error)
	SetDuplicate(ctx context.Context, d Duplicate) error // restore or change status/pointers
	RepointDuplicates(ctx context.Context, from, to string) error

	CustomersMergedInto(ctx context.Context, id string) ([]string, error)
	ScrubMerges(ctx context.Context, customerID string) error // erasure: forget merge snapshots

	InsertMerge(ctx context.Context, m *Merge) error
	GetMerge(ctx context.Context, id string) (*Merge, error)
	MarkMergeUndone(ctx context.Context, id string, at time.Time) error

	ErasedAmong(ctx context.Context, hashes []string) (map[string]bool, error) // which hashes belong to erased people
	AddErased(ctx context.Context, hashes []string) error

	Channel(ctx context.Context, code string) (*Channel, error)
	UpsertChannel(ctx context.Context, c Channel) error
	UpsertLocation(ctx context.Context, l Location) error
	UpsertAttribute(ctx context.Context, a AttributeDef) error
	SetSurvivorship(ctx context.Context, s Survivorship) error
	InsertNote(ctx context.Context, n *Note) error

	Audit(ctx context.Context, e audit.Entry) error
}
