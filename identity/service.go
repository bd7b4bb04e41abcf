// Package identity gives every person one customer ID across channels
// ("One ID"). It ingests source profiles, joins them to customers through a
// Matcher, keeps golden records current through survivorship, and performs
// merge, unmerge, erasure and disclosure. It holds the rules; storage is
// behind customer.Store.
package identity

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/postal"
	"github.com/kizuna-oss/kizuna/resolve"
)

// MaxBatch is the most source profiles one ingest call takes.
const MaxBatch = 10000

// Service is the One ID engine.
type Service struct {
	store   customer.Store
	matcher Matcher
	audit   audit.Log
	now     func() time.Time
	// keysAdded hears, after each commit, the identity keys that ingested
	// records brought (so guest orders can find their customer).
	keysAdded func(ctx context.Context, keys []string)
	postal    *postal.Directory // nil when the store has no postal dictionary
}

// OnKeysAdded registers fn to be told, after each ingest commits, the
// identity keys of the records it created, joined or updated. fn runs on
// the ingesting goroutine and must not fail the ingest: it logs its own
// errors.
func (s *Service) OnKeysAdded(fn func(ctx context.Context, keys []string)) { s.keysAdded = fn }

// New returns a Service matching with the stored probabilistic model, or
// with the deterministic rules until one is trained. log may be nil; with
// it, disclosures include the customer's audit trail.
func New(store customer.Store, log audit.Log) *Service {
	s := &Service{store: store, audit: log, matcher: NewProbabilistic(store, resolve.Options{}), now: time.Now}
	if dir, ok := store.(postal.Reader); ok {
		// Addresses that leave out their prefecture, city or postal code
		// get them from the Japan Post dictionary, once it is loaded.
		s.postal = postal.NewDirectory(dir)
	}
	return s
}

// WithMatcher replaces the matcher (the probabilistic one plugs in here).
func (s *Service) WithMatcher(m Matcher) *Service { s.matcher = m; return s }

// Result statuses of one ingested item.
const (
	ResultCreated   = "created"   // a new customer was created
	ResultJoined    = "joined"    // joined an existing customer
	ResultUpdated   = "updated"   // a new version of a known source profile
	ResultUnchanged = "unchanged" // same content as the current version
	ResultRejected  = "rejected"  // invalid; nothing was written for it
)

// Result is the outcome for one item of a batch.
type Result struct {
	Index           int                 `json:"index"`
	Status          string              `json:"status" enum:"created,joined,updated,unchanged,rejected"`
	CustomerID      string              `json:"customer_id,omitempty"`
	SourceProfileID string              `json:"source_profile_id,omitempty"`
	Version         int                 `json:"version,omitempty"`
	Match           string              `json:"match,omitempty" doc:"What joined the record: external_id, member_card, email, probabilistic, or new"`
	Probability     float64             `json:"match_probability,omitempty" doc:"For a probabilistic join: the match probability"`
	Evidence        []customer.Evidence `json:"match_evidence,omitempty" doc:"For a probabilistic join: each compared field's level and weight"`
	Duplicates      []string            `json:"possible_duplicates,omitempty"`
	Error           *ItemError          `json:"error,omitempty"`
	Errors          []ItemError         `json:"errors,omitempty" doc:"For a rejected item with several problems: all of them, the first being error"`
}

// ItemError says what is wrong with one rejected item.
type ItemError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// rejected is the result of item i, refused for err: its first problem,
// and all of them when it has more than one.
func rejected(i int, err error) Result {
	r := Result{Index: i, Status: ResultRejected, Error: &ItemError{Field: kizuna.ErrorField(err), Reason: kizuna.ErrorMessage(err)}}
	if all := kizuna.FieldErrors(err); len(all) > 1 {
		for _, e := range all {
			r.Errors = append(r.Errors, ItemError{Field: e.Field, Reason: e.Message})
		}
	}
	return r
}

// prepared is a validated, normalized item.
type prepared struct {
	idx      int
	in       customer.SourceProfileInput
	profile  customer.Profile
	raw      json.RawMessage
	keys     []string
	hashes   []string // keys' salted hashes, to find erased people
	observed time.Time
	// newCustomerID, when set, is the ID a newly created customer gets
	// (POST /customers answers with the ID it promised).
	newCustomerID string
}

// env is what one operation needs to know about configuration.
type env struct {
	channels map[string]customer.Channel
	attrs    map[string]customer.AttributeDef
	rules    customer.Survivorship
	salt     []byte
}

func (s *Service) loadEnv(ctx context.Context) (*env, error) {
	chs, err := s.store.Channels(ctx)
	if err != nil {
		return nil, err
	}
	attrs, err := s.store.Attributes(ctx)
	if err != nil {
		return nil, err
	}
	rules, err := s.store.Survivorship(ctx)
	if err != nil {
		return nil, err
	}
	salt, err := s.store.ErasureSalt(ctx)
	if err != nil {
		return nil, err
	}
	e := &env{channels: map[string]customer.Channel{}, attrs: map[string]customer.AttributeDef{}, rules: rules, salt: salt}
	for _, c := range chs {
		e.channels[c.Code] = c
	}
	for _, a := range attrs {
		e.attrs[a.Name] = a
	}
	return e, nil
}

func (e *env) priority(code string) int {
	if c, ok := e.channels[code]; ok {
		return c.Priority
	}
	return 1 << 20
}

// hash is the salted hash an erased identifier is remembered by.
func (e *env) hash(key string) string {
	m := hmac.New(sha256.New, e.salt)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

// AllowedChannels limits which channels an actor may write for (API keys
// scoped to channels); nil means all.
type AllowedChannels []string

func (a AllowedChannels) allows(ch string) bool { return a == nil || slices.Contains(a, ch) }

// Ingest upserts a batch of source profiles in one transaction and returns
// one result per item, in order. Invalid items are rejected individually;
// the rest are written. An error return means nothing was written.
func (s *Service) Ingest(ctx context.Context, actor kizuna.Actor, allowed AllowedChannels, items []customer.SourceProfileInput) ([]Result, error) {
	return s.ingest(ctx, actor, allowed, items, false)
}

// errPreview rolls back a preview's transaction.
var errPreview = errors.New("preview: roll back")

// IngestPreview says what Ingest would do with a batch — created, joined,
// updated, unchanged, flagged as possible duplicates, rejected — by doing
// it in a transaction that is then rolled back: nothing is stored or
// audited. (Customer IDs in the answer are not kept.)
func (s *Service) IngestPreview(ctx context.Context, actor kizuna.Actor, items []customer.SourceProfileInput) ([]Result, error) {
	return s.ingest(ctx, actor, nil, items, true)
}

func (s *Service) ingest(ctx context.Context, actor kizuna.Actor, allowed AllowedChannels, items []customer.SourceProfileInput, preview bool) ([]Result, error) {
	b, err := s.prepareBatch(ctx, allowed, items, preview, runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, err
	}
	return s.CommitBatch(ctx, actor, b)
}

// Batch is a batch of source profiles parsed and normalized by
// PrepareBatch, ready for CommitBatch. Splitting the two lets a bulk
// loader prepare the next batch on the other core while this one is
// written (the writer is serialized; preparing is pure CPU work).
type Batch struct {
	env     *env
	now     time.Time
	results []Result
	ready   []*prepared
	preview bool
}

// PrepareBatch parses, validates and normalizes items without touching
// the database's customers, for a loader that commits one batch while it
// prepares the next. A preview batch (see IngestPreview) is rolled back
// when committed. It leaves a core to the writer: with as many busy
// preparing goroutines as cores, the Go scheduler time-slices the writer,
// the critical path, with them (docs/benchmarks.md).
func (s *Service) PrepareBatch(ctx context.Context, allowed AllowedChannels, items []customer.SourceProfileInput, preview bool) (*Batch, error) {
	return s.prepareBatch(ctx, allowed, items, preview, runtime.GOMAXPROCS(0)-1)
}

func (s *Service) prepareBatch(ctx context.Context, allowed AllowedChannels, items []customer.SourceProfileInput, preview bool, cores int) (*Batch, error) {
	if len(items) > MaxBatch {
		return nil, kizuna.Errorf(kizuna.ETOOLARGE, "a batch holds at most %d source profiles, got %d", MaxBatch, len(items))
	}
	e, err := s.loadEnv(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	results := make([]Result, len(items))
	// Parsing and normalizing is pure CPU work: spread it over the cores
	// before the (serialized) write transaction starts.
	preps := make([]*prepared, len(items))
	workers := max(1, min(cores, len(items)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(items); i += workers {
				var p *prepared
				var err error
				if strings.TrimSpace(items[i].Channel) == customer.ManualChannel {
					err = kizuna.FieldError("channel", "channel %q is reserved for staff edits: use POST /api/v1/customers or PATCH /api/v1/customers/{id}", customer.ManualChannel)
				} else {
					p, err = s.prepare(ctx, e, allowed, i, items[i], now)
				}
				if err != nil {
					results[i] = rejected(i, err)
					continue
				}
				preps[i] = p
			}
		}()
	}
	wg.Wait()
	b := &Batch{env: e, now: now, results: results, preview: preview}
	for _, p := range preps {
		if p != nil {
			b.ready = append(b.ready, p)
		}
	}
	return b, nil
}

// CommitBatch runs a prepared batch through One ID in one transaction and
// says what became of each item (in the order PrepareBatch was given).
func (s *Service) CommitBatch(ctx context.Context, actor kizuna.Actor, b *Batch) ([]Result, error) {
	if len(b.ready) == 0 {
		return b.results, nil
	}
	// The matcher reads what it needs (the match model) now: inside the
	// transaction a second connection could wait on a pool the
	// transactions themselves hold.
	if pr, ok := s.matcher.(interface{ Prepare(context.Context) error }); ok {
		if err := pr.Prepare(ctx); err != nil {
			return nil, err
		}
	}
	err := s.store.WithTx(ctx, func(tx customer.Tx) error {
		if err := s.ingestTx(ctx, tx, b.env, actor, b.ready, b.results, b.now); err != nil {
			return err
		}
		if b.preview {
			return errPreview
		}
		return nil
	})
	if err != nil && !(b.preview && errors.Is(err, errPreview)) {
		return nil, err
	}
	if s.keysAdded != nil && !b.preview {
		var keys []string
		for _, p := range b.ready {
			switch b.results[p.idx].Status {
			case ResultCreated, ResultJoined, ResultUpdated:
				keys = append(keys, p.keys...)
			}
		}
		if len(keys) > 0 {
			s.keysAdded(ctx, keys)
		}
	}
	return b.results, nil
}

func (s *Service) prepare(ctx context.Context, e *env, allowed AllowedChannels, i int, in customer.SourceProfileInput, now time.Time) (*prepared, error) {
	in.Channel = strings.TrimSpace(in.Channel)
	in.ExternalID = strings.TrimSpace(in.ExternalID)
	if in.Channel == "" {
		return nil, kizuna.FieldError("channel", "is required")
	}
	if _, ok := e.channels[in.Channel]; !ok {
		return nil, kizuna.FieldError("channel", "unknown channel %q; GET /api/v1/channels lists them", in.Channel)
	}
	if !allowed.allows(in.Channel) {
		return nil, &kizuna.Error{Code: kizuna.EFORBIDDEN, Field: "channel", Message: fmt.Sprintf("this API key may not write for channel %q", in.Channel)}
	}
	if in.ExternalID == "" {
		return nil, kizuna.FieldError("external_id", "is required")
	}
	if len(in.ExternalID) > 200 {
		return nil, kizuna.FieldError("external_id", "is longer than 200 bytes")
	}
	observed := now
	if in.ObservedAt != nil && !in.ObservedAt.IsZero() {
		observed = in.ObservedAt.UTC().Truncate(time.Microsecond)
		if observed.After(now.Add(24 * time.Hour)) {
			return nil, kizuna.FieldError("observed_at", "is in the future")
		}
	}
	p, err := ParseProfile(in.Profile, "profile", in.Channel, observed, e.attrs)
	if err != nil {
		return nil, err
	}
	completeAddresses(ctx, s.postal, &p)
	var raw bytes.Buffer
	if err := json.Compact(&raw, in.Profile); err != nil {
		return nil, kizuna.FieldError("profile", "invalid JSON: %v", err)
	}
	keys := Keys(in.Channel, in.ExternalID, &p)
	hashes := make([]string, len(keys))
	for i, k := range keys {
		hashes[i] = e.hash(k)
	}
	return &prepared{idx: i, in: in, profile: p, raw: raw.Bytes(), keys: keys, hashes: hashes, observed: observed}, nil
}

func (s *Service) ingestTx(ctx context.Context, tx customer.Tx, e *env, actor kizuna.Actor, items []*prepared, results []Result, now time.Time) error {
	var all, hashes []string
	refs := make([]customer.ExternalRef, 0, len(items))
	for _, p := range items {
		all = append(all, p.keys...)
		hashes = append(hashes, p.hashes...)
		refs = append(refs, customer.ExternalRef{Channel: p.in.Channel, ExternalID: p.in.ExternalID})
	}
	sort.Strings(all)
	all = slices.Compact(all)
	sort.Strings(hashes)
	hashes = slices.Compact(hashes)
	if err := tx.LockKeys(ctx, all); err != nil {
		return err
	}
	// Everything the batch needs to know is read up front in a few queries;
	// the writes are then buffered and sent in bulk. The records' own channel
	// IDs are answered by SourcesByExternal, so CustomersByKeys is not asked
	// for them too.
	others := make([]string, 0, len(all))
	for _, k := range all {
		if !strings.HasPrefix(k, customer.KeyExternal+":") {
			others = append(others, k)
		}
	}
	index, err := tx.CustomersByKeys(ctx, others)
	if err != nil {
		return err
	}
	known, err := tx.SourcesByExternal(ctx, refs)
	if err != nil {
		return err
	}
	for ref, sp := range known {
		k := customer.ExternalKey(ref.Channel, ref.ExternalID)
		index[k] = append(index[k], sp.CustomerID)
	}
	erased, err := tx.ErasedAmong(ctx, hashes)
	if err != nil {
		return err
	}
	lookup := func(k string) []string { return index[k] }
	// Pairs already in the review queue or kept apart by staff, for the
	// customers the batch's identifiers point at: a new hint for one of
	// them would list the pair twice or bring back a pair staff dismissed.
	var near []string
	for _, cs := range index {
		near = append(near, cs...)
	}
	pairs, err := newPairRecord(ctx, tx, near)
	if err != nil {
		return err
	}
	claim := func(keys []string, id string) {
		for _, k := range keys {
			if !slices.Contains(index[k], id) {
				index[k] = append(index[k], id)
			}
		}
	}
	dirty := map[string]bool{}                           // existing customers whose golden record must be rebuilt
	created := map[string]*customer.Customer{}           // customers new in this batch
	newSources := map[string][]*customer.SourceProfile{} // their sources, all in this batch
	joined := map[string][]*customer.SourceProfile{}     // sources this batch added to existing customers
	// Sources of candidate customers, for the probabilistic matcher: every
	// customer an identifier of the batch points at, read up front with
	// the rest. A read in the middle of the batch would send the buffered
	// rows first, children before their new customers, and SQLite then
	// checks each later customer insert against every child table.
	stored := map[string][]customer.SourceProfile{}
	if pm, ok := s.matcher.(*Probabilistic); ok && pm.cached() != nil {
		var ids []string
		for k, cs := range index {
			if !strings.HasPrefix(k, customer.KeyExternal+":") {
				ids = append(ids, cs...)
			}
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if len(ids) > 0 {
			if stored, err = tx.SourcesOfCustomers(ctx, ids); err != nil {
				return err
			}
		}
	}
	sources := func(ids []string) (map[string][]customer.SourceProfile, error) {
		out := make(map[string][]customer.SourceProfile, len(ids))
		for _, id := range ids {
			out[id] = stored[id]
			for _, sp := range newSources[id] {
				out[id] = append(out[id], *sp)
			}
			for _, sp := range joined[id] {
				out[id] = append(out[id], *sp)
			}
		}
		return out, nil
	}
	for _, p := range items {
		r := &results[p.idx]
		r.Index = p.idx
		ref := customer.ExternalRef{Channel: p.in.Channel, ExternalID: p.in.ExternalID}
		if existing := known[ref]; existing != nil {
			if err := s.updateSource(ctx, tx, actor, existing, p, r, lookup, pairs, now); err != nil {
				return err
			}
			if r.Status == ResultUpdated {
				claim(p.keys, existing.CustomerID)
				if created[existing.CustomerID] == nil {
					dirty[existing.CustomerID] = true
				}
			}
			continue
		}
		d, err := s.matcher.Match(ctx, Candidate{Channel: p.in.Channel, ExternalID: p.in.ExternalID, Profile: &p.profile, Keys: p.keys, Sources: sources}, lookup)
		if err != nil {
			return fmt.Errorf("match item %d: %w", p.idx, err)
		}
		custID := d.CustomerID
		r.Status, r.Match, r.Probability, r.Evidence = ResultJoined, d.Rule, d.Probability, d.Evidence
		if custID == "" {
			custID = p.newCustomerID
			if custID == "" {
				custID = kizuna.NewID("cus")
			}
			r.Status = ResultCreated
			sup := false
			for _, h := range p.hashes {
				sup = sup || erased[h]
			}
			created[custID] = &customer.Customer{ID: custID, Status: customer.StatusActive, Suppressed: sup, CreatedAt: now}
		}
		sp := &customer.SourceProfile{ID: kizuna.NewID("src"), CustomerID: custID, Channel: p.in.Channel, ExternalID: p.in.ExternalID,
			Version: 1, Profile: p.profile, Raw: p.raw, ObservedAt: p.observed, ReceivedAt: now, CreatedAt: now}
		if err := tx.InsertSource(ctx, sp); err != nil {
			return err
		}
		if err := tx.AddKeys(ctx, sp.ID, custID, p.keys); err != nil {
			return err
		}
		known[ref] = sp
		claim(p.keys, custID)
		if created[custID] != nil {
			newSources[custID] = append(newSources[custID], sp)
		} else {
			dirty[custID] = true
			joined[custID] = append(joined[custID], sp)
		}
		for _, h := range d.Hints {
			if pairs.onRecord(custID, h.OtherID) {
				continue
			}
			if err := tx.InsertDuplicate(ctx, &customer.Duplicate{ID: kizuna.NewID("dup"), CustomerID: custID, OtherID: h.OtherID, Reason: h.Reason, SourceProfileID: sp.ID,
				Status: customer.DuplicateOpen, CreatedAt: now, Probability: h.Probability, Evidence: h.Evidence, OtherProfileID: h.OtherProfileID}); err != nil {
				return err
			}
			r.Duplicates = append(r.Duplicates, h.OtherID)
		}
		r.CustomerID, r.SourceProfileID, r.Version = custID, sp.ID, 1
		if err := tx.Audit(ctx, audit.New(actor, now, "source_profile.create", "source_profile", sp.ID, custID, map[string]any{
			"channel": sp.Channel, "status": r.Status, "match": r.Match, "match_probability": r.Probability, "possible_duplicates": r.Duplicates, "suppressed": created[custID] != nil && created[custID].Suppressed})); err != nil {
			return err
		}
	}
	// New customers: every source is in this batch, so the golden record is
	// built in memory and inserted once.
	ids := make([]string, 0, len(created))
	for id := range created {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := created[id]
		srcs := make([]customer.SourceProfile, len(newSources[id]))
		for i, sp := range newSources[id] {
			srcs[i] = *sp
		}
		c.Profile, c.Lineage, c.Channels = customer.BuildGolden(srcs, e.rules, e.priority)
		c.Version, c.UpdatedAt = 1, now
		if err := tx.InsertCustomer(ctx, c); err != nil {
			return err
		}
	}
	ids = ids[:0]
	for id := range dirty {
		ids = append(ids, id)
	}
	sort.Strings(ids) // lock order: never two writers waiting on each other
	return s.recomputeMany(ctx, tx, e, actor, ids, now)
}

// recomputeMany rebuilds existing customers' golden records, reading their
// sources in one query.
func (s *Service) recomputeMany(ctx context.Context, tx customer.Tx, e *env, actor kizuna.Actor, ids []string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	cs, err := tx.GetCustomers(ctx, ids) // locks the rows on PostgreSQL before their sources are read
	if err != nil {
		return err
	}
	srcs, err := tx.SourcesOfCustomers(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.rebuild(ctx, tx, e, actor, cs[id], srcs[id], now); err != nil {
			return err
		}
	}
	return nil
}

// updateSource appends a new version when the content changed.
func (s *Service) updateSource(ctx context.Context, tx customer.Tx, actor kizuna.Actor, sp *customer.SourceProfile, p *prepared, r *Result, lookup Lookup, pairs pairRecord, now time.Time) error {
	r.CustomerID, r.SourceProfileID, r.Match = sp.CustomerID, sp.ID, "external_id"
	if sp.Erased {
		*r = Result{Index: r.Index, Status: ResultRejected, Error: &ItemError{Field: "external_id", Reason: "this source record was erased on a deletion request"}}
		return nil
	}
	// Same content is not a new version, whatever its timestamp: channels
	// resend whole member lists, and history should show changes, not resends.
	if bytes.Equal(sp.Raw, p.raw) {
		r.Status, r.Version = ResultUnchanged, sp.Version
		return nil
	}
	if p.observed.Before(sp.ObservedAt) {
		// An older observation arriving late is kept in history but does not
		// replace newer data (replays and out-of-order batches).
		p.observed = sp.ObservedAt
	}
	sp.Version++
	sp.Profile, sp.Raw, sp.ObservedAt, sp.ReceivedAt = p.profile, p.raw, p.observed, now
	if err := tx.AddSourceVersion(ctx, sp); err != nil {
		return err
	}
	if err := tx.SetKeys(ctx, sp.ID, sp.CustomerID, p.keys); err != nil {
		return err
	}
	r.Status, r.Version = ResultUpdated, sp.Version
	// New identifiers that point at another customer are worth a look.
	var hints []string
	for _, k := range p.keys {
		if strings.HasPrefix(k, customer.KeyCard+":") || strings.HasPrefix(k, customer.KeyEmail+":") {
			for _, other := range lookup(k) {
				if other != sp.CustomerID && !slices.Contains(hints, other) {
					hints = append(hints, other)
				}
			}
		}
	}
	for _, other := range hints {
		if pairs.onRecord(sp.CustomerID, other) {
			continue
		}
		if err := tx.InsertDuplicate(ctx, &customer.Duplicate{ID: kizuna.NewID("dup"), CustomerID: sp.CustomerID, OtherID: other,
			Reason: "an updated source record shares a member card or email with another customer", SourceProfileID: sp.ID, Status: customer.DuplicateOpen, CreatedAt: now}); err != nil {
			return err
		}
		r.Duplicates = append(r.Duplicates, other)
	}
	return tx.Audit(ctx, audit.New(actor, now, "source_profile.update", "source_profile", sp.ID, sp.CustomerID, map[string]any{
		"channel": sp.Channel, "version": sp.Version, "possible_duplicates": r.Duplicates}))
}

// recompute rebuilds a customer's golden record from its sources.
func (s *Service) recompute(ctx context.Context, tx customer.Tx, e *env, actor kizuna.Actor, id string, now time.Time) error {
	return s.recomputeMany(ctx, tx, e, actor, []string{id}, now)
}

// rebuild applies survivorship to a customer's sources and saves the result,
// auditing which golden fields changed.
func (s *Service) rebuild(ctx context.Context, tx customer.Tx, e *env, actor kizuna.Actor, c *customer.Customer, srcs []customer.SourceProfile, now time.Time) error {
	before := c.Profile
	c.Profile, c.Lineage, c.Channels = customer.BuildGolden(srcs, e.rules, e.priority)
	if c.Channels == nil {
		c.Channels = []string{}
	}
	c.Version++
	c.UpdatedAt = now
	if err := tx.UpdateCustomer(ctx, c); err != nil {
		return err
	}
	changes := Diff(before, c.Profile)
	if len(changes) == 0 {
		return nil
	}
	return tx.Audit(ctx, audit.New(actor, now, "customer.update", "customer", c.ID, c.ID, map[string]any{"changes": audit.Redact(changes), "version": c.Version}))
}

// Diff lists the golden fields that differ between two profiles. An empty
// side (no value, empty list) is reported as absent.
func Diff(a, b customer.Profile) []audit.Change {
	var out []audit.Change
	add := func(field string, x, y any) {
		xb, _ := json.Marshal(x)
		yb, _ := json.Marshal(y)
		if bytes.Equal(xb, yb) {
			return
		}
		c := audit.Change{Field: field, Before: x, After: y}
		if isEmptyJSON(xb) {
			c.Before = nil
		}
		if isEmptyJSON(yb) {
			c.After = nil
		}
		out = append(out, c)
	}
	add("family_name", a.FamilyName, b.FamilyName)
	add("given_name", a.GivenName, b.GivenName)
	add("family_name_kana", a.FamilyNameKana, b.FamilyNameKana)
	add("given_name_kana", a.GivenNameKana, b.GivenNameKana)
	add("family_name_romaji", a.FamilyNameRomaji, b.FamilyNameRomaji)
	add("given_name_romaji", a.GivenNameRomaji, b.GivenNameRomaji)
	add("emails", a.Emails, b.Emails)
	add("phones", a.Phones, b.Phones)
	add("addresses", a.Addresses, b.Addresses)
	add("birth_date", a.BirthDate, b.BirthDate)
	add("gender", a.Gender, b.Gender)
	add("member_cards", a.MemberCards, b.MemberCards)
	add("consents", a.Consents, b.Consents)
	add("attributes", a.Attributes, b.Attributes)
	add("tags", a.Tags, b.Tags)
	return out
}

func isEmptyJSON(b []byte) bool {
	s := string(b)
	return s == `""` || s == "null" || s == "[]" || s == "{}"
}

// pairRecord knows which pairs of customers the review queue holds or
// staff kept apart, so that a batch queues each pair once and never again
// one that staff dismissed ("a rejected pair stays apart forever").
type pairRecord map[[2]string]bool

func newPairRecord(ctx context.Context, tx customer.Tx, ids []string) (pairRecord, error) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return pairRecord{}, nil
	}
	return tx.PairsOnRecord(ctx, ids)
}

// onRecord says whether the pair (a, b) is queued or kept apart already;
// if not, it records it as queued now, as the caller is about to. It reads
// nothing: a customer of a hint is either one the batch's identifiers
// pointed at (read up front) or one created in this batch, which has no
// pairs stored. A read in the middle of a batch would also send the
// buffered rows, and SQLite then checks every later customer insert
// against the child tables (a 1M-row import went from 2 minutes to hours).
func (r pairRecord) onRecord(a, b string) bool {
	k := [2]string{min(a, b), max(a, b)}
	if r[k] {
		return true
	}
	r[k] = true
	return false
}
