package resolve

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kizuna-oss/kizuna/customer"
)

// RulePart is one part of a blocking key: a part (see Kind.BlockParts) of
// one field's value.
type RulePart struct {
	Field string
	Part  string
}

// Rule is a blocking rule: records whose keys agree on every part are
// compared.
type Rule []RulePart

func (r Rule) String() string {
	var b strings.Builder
	for i, p := range r {
		if i > 0 {
			b.WriteString("+")
		}
		b.WriteString(p.Field + "." + p.Part)
	}
	return b.String()
}

// DefaultRules block on every strong identifier alone, and on names
// combined with a second, independent key, so that people with no
// identifier in common still meet their other records.
func DefaultRules() []Rule {
	return []Rule{
		{{"email", "value"}},
		{{"mobile", "value"}},
		{{"landline", "value"}},
		{{"member_card", "value"}},
		{{"name", "written"}},
		{{"name", "reading"}},
		{{"address", "locality"}},
		{{"address", "postal_code"}, {"name", "given_reading"}},
		{{"birth_date", "value"}, {"name", "given_reading"}},
	}
}

// Options configure a Resolver. Zero values take the defaults.
type Options struct {
	Fields    []Field
	Rules     []Rule
	MaxBlock  int     // blocks with more records are skipped (default 50)
	AutoMerge float64 // merge at or above this probability (default 0.99)
	Review    float64 // queue for staff at or above this (default 0.5)
	Seed      uint64  // random pairs for u (default 1)
	// NoTermFrequency compares without counting term frequencies: for a
	// handful of records (one new record against its candidates) counts
	// say nothing. The common values a model keeps (Model.Common) are
	// used instead.
	NoTermFrequency bool
	// Common are the common values to use with NoTermFrequency (a stored
	// model's).
	Common   []CommonValues
	Progress func(stage string, done, total int)
}

// Defaults of Options.
const (
	DefaultMaxBlock  = 50
	DefaultAutoMerge = 0.95
	DefaultReview    = 0.5
)

func (o *Options) defaults() {
	if o.Fields == nil {
		o.Fields = DefaultFields()
	}
	if o.Rules == nil {
		o.Rules = DefaultRules()
		for _, f := range o.Fields {
			if strings.HasPrefix(f.Name, "attr.") && f.Kind != KindDate && f.Kind != KindName && f.Kind != KindAddress {
				o.Rules = append(o.Rules, Rule{{f.Name, "value"}})
			}
		}
	}
	if o.MaxBlock <= 0 {
		o.MaxBlock = DefaultMaxBlock
	}
	if o.AutoMerge <= 0 {
		o.AutoMerge = DefaultAutoMerge
	}
	if o.Review <= 0 {
		o.Review = DefaultReview
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Progress == nil {
		o.Progress = func(string, int, int) {}
	}
}

// Resolver matches a set of records: blocking, scoring, training and
// clustering. Add every record first.
type Resolver struct {
	opts    Options
	Records []Record
	// freq counts, per field, the records holding each agreeing value
	// (term frequencies): [0] for values, [1] for a name's reading (see
	// tfKeys), so that looking one up needs no key built per pair.
	freq [][2]map[string]int32
	// scored keeps the pair weights Train computed last, for Cluster to
	// reuse under the same model (scoring every pair is the costliest step).
	scored struct {
		model   *Model
		weights []float64
	}
}

// NewResolver returns an empty resolver.
func NewResolver(opts Options) (*Resolver, error) {
	opts.defaults()
	r := &Resolver{opts: opts, freq: make([][2]map[string]int32, len(opts.Fields))}
	for i := range r.freq {
		r.freq[i] = [2]map[string]int32{{}, {}}
	}
	for _, rule := range opts.Rules {
		for _, p := range rule {
			i := r.field(p.Field)
			if i < 0 {
				return nil, fmt.Errorf("blocking rule %s: no field %q", rule, p.Field)
			}
			if !slices.Contains(opts.Fields[i].Kind.BlockParts(), p.Part) {
				return nil, fmt.Errorf("blocking rule %s: a %s field has no part %q (it has %s)", rule, opts.Fields[i].Kind, p.Part, strings.Join(opts.Fields[i].Kind.BlockParts(), ", "))
			}
		}
	}
	if opts.Review > opts.AutoMerge {
		return nil, fmt.Errorf("review threshold %.3f is above the auto-merge threshold %.3f", opts.Review, opts.AutoMerge)
	}
	return r, nil
}

// Fields are the compared fields.
func (r *Resolver) Fields() []Field { return r.opts.Fields }

// Thresholds are the match probabilities at which pairs are queued for
// review and merged.
func (r *Resolver) Thresholds() (review, autoMerge float64) { return r.opts.Review, r.opts.AutoMerge }

func (r *Resolver) field(name string) int {
	return slices.IndexFunc(r.opts.Fields, func(f Field) bool { return f.Name == name })
}

// Add adds a record and counts its values' frequencies.
func (r *Resolver) Add(rec Record) {
	r.Records = append(r.Records, rec)
	for f, vs := range rec.Values {
		kind := r.opts.Fields[f].Kind
		var seen [2][4]string
		var ns [2]int
		for _, v := range vs {
			for m, key := range tfKeys(kind, v) {
				if key == "" || slices.Contains(seen[m][:ns[m]], key) {
					continue
				}
				if ns[m] < len(seen[m]) {
					seen[m][ns[m]] = key
					ns[m]++
				}
				r.freq[f][m][key]++
			}
		}
	}
}

// tfKeys are the agreeing values compareValues can report for v: [0] a
// value (a name's written form), [1] a name's reading.
func tfKeys(k Kind, v string) [2]string {
	switch k {
	case KindName:
		n, _, rd, _ := unpackName(v)
		return [2]string{n, rd}
	case KindAddress:
		_, l := unpackAddress(v)
		return [2]string{l}
	}
	return [2]string{v}
}

// Comparison is the evidence about one pair of records.
type Comparison struct {
	A, B        int       // record indexes
	Levels      []Level   // per field
	Weights     []float64 // per field: log2 Bayes factor (0 when missing)
	Weight      float64   // sum of Weights
	Probability float64   // of a match, with the model's prior
	Conflict    string    // a field whose level rules out one person (see Kind.Conflict)
}

// Explain lists each field's level and contribution, for people.
func (c *Comparison) Explain(fields []Field) []customer.Evidence {
	out := make([]customer.Evidence, len(fields))
	for i, f := range fields {
		out[i] = customer.Evidence{Field: f.Name, Level: f.Kind.LevelName(c.Levels[i]), Weight: math.Round(c.Weights[i]*100) / 100}
	}
	return out
}

// levels compares two records field by field, and returns the term
// frequency of each agreeing value (0 where none).
func (r *Resolver) levels(a, b *Record, levels []Level, tf []float64) {
	n := float64(len(r.Records))
	for f := range r.opts.Fields {
		l, v := r.opts.Fields[f].Kind.compare(a.Values[f], b.Values[f])
		levels[f] = l
		tf[f] = 0
		m := 0
		if l == nameReading && r.opts.Fields[f].Kind == KindName {
			m = 1
		}
		switch {
		case v == "":
		case r.opts.NoTermFrequency:
			if f < len(r.opts.Common) {
				tf[f] = r.opts.Common[f].share(m, v)
			}
		default:
			if c := r.freq[f][m][v]; c > 2 {
				// Held by more than the two records compared: a common
				// value (see Model.Weight).
				tf[f] = float64(c) / n
			}
		}
	}
}

// score is Compare's total weight and whether a field conflicts, using
// the caller's scratch slices (no allocation: it runs for every candidate
// pair).
func (r *Resolver) score(m *Model, a, b int, levels []Level, tf []float64) (weight float64, conflict bool) {
	r.levels(&r.Records[a], &r.Records[b], levels, tf)
	for f, l := range levels {
		weight += m.Weight(f, l, tf[f])
		conflict = conflict || r.opts.Fields[f].Kind.Conflict(l)
	}
	return weight, conflict
}

// Compare scores records a and b under model m.
func (r *Resolver) Compare(m *Model, a, b int) Comparison {
	nf := len(r.opts.Fields)
	c := Comparison{A: a, B: b, Levels: make([]Level, nf), Weights: make([]float64, nf)}
	tf := make([]float64, nf)
	r.levels(&r.Records[a], &r.Records[b], c.Levels, tf)
	for f, l := range c.Levels {
		c.Weights[f] = m.Weight(f, l, tf[f])
		c.Weight += c.Weights[f]
		if c.Conflict == "" && r.opts.Fields[f].Kind.Conflict(l) {
			c.Conflict = r.opts.Fields[f].Name
		}
	}
	c.Probability = m.Probability(c.Weight)
	return c
}

// Candidates are the record pairs that share a blocking key, each once,
// as i<<32|j with i<j, sorted; byRule are the pairs each rule found.
// Blocks larger than MaxBlock are skipped and counted in skipped.
func (r *Resolver) Candidates() (pairs []uint64, byRule [][]uint64, skipped int) {
	type entry struct {
		key uint64
		rec int32
	}
	var entries []entry
	byRule = make([][]uint64, len(r.opts.Rules))
	for ri, rule := range r.opts.Rules {
		entries = entries[:0]
		idx := make([]int, len(rule))
		for p, part := range rule {
			idx[p] = r.field(part.Field)
		}
		var scratch [2][]uint64
		for i := range r.Records {
			for _, key := range r.ruleKeys(&r.Records[i], rule, idx, &scratch) {
				entries = append(entries, entry{key, int32(i)})
			}
		}
		slices.SortFunc(entries, func(a, b entry) int {
			return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.rec, b.rec))
		})
		var found []uint64
		for lo := 0; lo < len(entries); {
			hi := lo + 1
			for hi < len(entries) && entries[hi].key == entries[lo].key {
				hi++
			}
			if hi-lo > r.opts.MaxBlock {
				skipped++
			} else {
				for x := lo; x < hi; x++ {
					for y := x + 1; y < hi; y++ {
						if a, b := entries[x].rec, entries[y].rec; a != b {
							found = append(found, uint64(a)<<32|uint64(b))
						}
					}
				}
			}
			lo = hi
		}
		slices.Sort(found)
		found = slices.Compact(found)
		pairs = append(pairs, found...)
		// Training reads at most maxTrainPairs of a rule's pairs: keep an
		// evenly spread sample, not the whole list (memory at a million).
		if len(found) > maxTrainPairs {
			sample := make([]uint64, 0, maxTrainPairs)
			step := float64(len(found)) / maxTrainPairs
			for x := 0.0; int(x) < len(found) && len(sample) < maxTrainPairs; x += step {
				sample = append(sample, found[int(x)])
			}
			found = sample
		}
		byRule[ri] = found
		r.opts.Progress("blocking", ri+1, len(r.opts.Rules))
	}
	slices.Sort(pairs)
	return slices.Compact(pairs), byRule, skipped
}

// ruleKeys are a record's keys under a rule: the hash of every
// combination of its parts' values (none if a part is empty).
func (r *Resolver) ruleKeys(rec *Record, rule Rule, idx []int, scratch *[2][]uint64) []uint64 {
	keys := append(scratch[0][:0], 0)
	next := scratch[1][:0]
	for p, part := range rule {
		kind := r.opts.Fields[idx[p]].Kind
		next = next[:0]
		for _, v := range rec.Values[idx[p]] {
			s := kind.blockPart(v, part.Part)
			if s == "" {
				continue
			}
			for _, k := range keys {
				next = append(next, fnv1a(k, s))
			}
		}
		keys, next = next, keys
		if len(keys) == 0 {
			break
		}
	}
	scratch[0], scratch[1] = keys, next
	return keys
}

// fnv1a is FNV-1a over the 8 bytes of k, little-endian, then s: the key of
// one more part, computed without allocating (it runs for every record
// under every rule).
func fnv1a(k uint64, s string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := range 8 {
		h ^= uint64(byte(k >> (8 * i)))
		h *= prime
	}
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return h
}

// randomPairsForU is how many random pairs estimate u.
const randomPairsForU = 1_000_000

// maxCommonValues bounds the common values a model keeps per field and
// kind (value, reading): the most common, which weigh least.
const maxCommonValues = 2000

// minCommonRecords is how many records must hold a name for a model to
// keep it: a name that common belongs to many people, not to one person
// with records in several channels.
const minCommonRecords = 10

// CommonValues are, per name field, the names whose share of records is
// above what one of the field's agreeing levels says of strangers (its u
// in model m): the values Model.Weight weakens. At most maxCommonValues of
// each, the most common first. Only names are kept, and only those held by
// minCommonRecords records or more: an identifier (a phone, an email) held
// by a few records is one person's, and a model is no place for it, hashed
// or not (a phone number's hash is found by trying them all).
func (r *Resolver) CommonValues(m *Model) []CommonValues {
	n := float64(len(r.Records))
	out := make([]CommonValues, len(r.opts.Fields))
	if n == 0 {
		return out
	}
	for f := range r.opts.Fields {
		if r.opts.Fields[f].Kind != KindName {
			continue
		}
		u := slices.Min(m.Fields[f].U[1:]) // level 0 is Different
		for k := range 2 {
			type vc struct {
				v string
				c int32
			}
			var common []vc
			for v, c := range r.freq[f][k] {
				if c >= minCommonRecords && float64(c)/n > u {
					common = append(common, vc{v, c})
				}
			}
			if len(common) == 0 {
				continue
			}
			slices.SortFunc(common, func(a, b vc) int { return cmp.Or(cmp.Compare(b.c, a.c), strings.Compare(a.v, b.v)) })
			shares := make(map[string]float64, min(len(common), maxCommonValues))
			for _, x := range common[:min(len(common), maxCommonValues)] {
				shares[commonKey(x.v)] = float64(x.c) / n
			}
			if k == 0 {
				out[f].Values = shares
			} else {
				out[f].Readings = shares
			}
		}
	}
	return out
}

// Train estimates u from random pairs and m and Lambda by EM over the
// candidate pairs, starting from start (nil: NewModel). It returns a new
// model; start is not changed.
func (r *Resolver) Train(start *Model, pairs []uint64, byRule [][]uint64) *Model {
	nf := len(r.opts.Fields)
	m := NewModel(r.opts.Fields)
	if start != nil {
		m.Lambda = start.Lambda
		for f := range m.Fields {
			if f < len(start.Fields) && len(start.Fields[f].M) == len(m.Fields[f].M) {
				copy(m.Fields[f].M, start.Fields[f].M)
			}
		}
	}
	n := len(r.Records)
	levels := make([]Level, nf)
	tf := make([]float64, nf)
	if n >= 2 {
		rng := rand.New(rand.NewPCG(r.opts.Seed, 0x6b697a756e61))
		counts := make([][]float64, nf)
		for f := range counts {
			counts[f] = make([]float64, len(m.Fields[f].Levels))
		}
		samples := min(randomPairsForU, n*(n-1)/2)
		for s := range samples {
			a, b := rng.IntN(n), rng.IntN(n-1)
			if b >= a {
				b++
			}
			r.levels(&r.Records[a], &r.Records[b], levels, tf)
			for f, l := range levels {
				if l != Missing {
					counts[f][l]++
				}
			}
			if s%100_000 == 0 && s > 0 {
				r.opts.Progress("random pairs", s, samples)
			}
		}
		r.opts.Progress("random pairs", samples, samples)
		for f := range counts {
			// Exact agreement among strangers is rarer than a million
			// random pairs can show; count it from the value frequencies.
			last := len(counts[f]) - 1
			if p := r.agreeShare(f); p > 0 && counts[f][last] == 0 {
				total := 0.0
				for _, c := range counts[f] {
					total += c
				}
				counts[f][last] = p * total
			}
			m.setU(f, counts[f])
		}
	}
	// m by EM, rule by rule: the pairs a rule found agree on its fields
	// whether they match or not, so those fields say nothing there and are
	// left out (as Splink does). Each field's m is the average over the
	// rules that estimated it, weighted by their expected matches.
	mSum := make([][]float64, nf)
	mWeight := make([]float64, nf)
	for f := range mSum {
		mSum[f] = make([]float64, len(m.Fields[f].Levels))
	}
	for ri, rule := range r.opts.Rules {
		sample := byRule[ri]
		if len(sample) == 0 {
			continue
		}
		masked := make([]bool, nf)
		for _, p := range rule {
			masked[r.field(p.Field)] = true
		}
		vectors := make([]Level, 0, len(sample)*nf)
		for _, p := range sample {
			a, b := int(p>>32), int(p&0xffffffff)
			r.levels(&r.Records[a], &r.Records[b], levels, tf)
			for f := range levels {
				if masked[f] {
					levels[f] = Missing
				}
			}
			vectors = append(vectors, levels...)
		}
		rm := m.clone()
		rm.Lambda = 0.5
		rm.EM(vectors, 100)
		matches := rm.Lambda * float64(len(sample))
		for f := range rm.Fields {
			if masked[f] {
				continue
			}
			for l, p := range rm.Fields[f].M {
				mSum[f][l] += p * matches
			}
			mWeight[f] += matches
		}
		r.opts.Progress("training", ri+1, len(r.opts.Rules))
	}
	for f := range m.Fields {
		if mWeight[f] == 0 {
			continue
		}
		for l := range m.Fields[f].M {
			m.Fields[f].M[l] = clampProb(mSum[f][l] / mWeight[f])
		}
	}
	// Lambda is the share of matches among all pairs, not among candidates,
	// so that a probability means the same whatever the blocking: pairs
	// that share no key are taken as non-matches, and the expected matches
	// among the candidates fix it.
	all := float64(n) * float64(n-1) / 2
	m.Lambda = clampProb(float64(len(pairs)) / max(all, 1) / 2)
	scores := r.weights(m, pairs)
	for range 50 {
		prior := m.Prior()
		sum := 0.0
		for _, w := range scores {
			sum += 1 / (1 + math.Exp2(-(w + prior)))
		}
		lambda := clampProb(sum / max(all, 1))
		moved := math.Abs(lambda-m.Lambda) / m.Lambda
		m.Lambda = lambda
		if moved < 1e-4 {
			break
		}
	}
	m.Pairs = len(pairs)
	m.TrainedAt = time.Now().UTC()
	r.scored.model, r.scored.weights = m, scores
	return m
}

// weights scores every pair, on every core. A pair with a conflict (see
// Kind.Conflict) weighs -Inf: it is decided, two people.
func (r *Resolver) weights(m *Model, pairs []uint64) []float64 {
	out := make([]float64, len(pairs))
	onEveryCore(len(pairs), func(next func() (int, bool)) {
		levels := make([]Level, len(r.opts.Fields))
		tf := make([]float64, len(r.opts.Fields))
		for i, ok := next(); ok; i, ok = next() {
			w, conflict := r.score(m, int(pairs[i]>>32), int(pairs[i]&0xffffffff), levels, tf)
			if conflict {
				w = math.Inf(-1)
			}
			out[i] = w
		}
	})
	return out
}

// NewRecords builds n records (normalized, split, keyed) on every core;
// at(i) gives the i-th record's source profile ID, customer and profile.
func NewRecords(fields []Field, n int, at func(i int) (id, customerID string, p *customer.Profile)) []Record {
	out := make([]Record, n)
	onEveryCore(n, func(next func() (int, bool)) {
		for i, ok := next(); ok; i, ok = next() {
			id, cid, p := at(i)
			out[i] = NewRecord(fields, id, cid, p)
		}
	})
	return out
}

// onEveryCore runs work on one goroutine per core; each takes its share of
// the indexes 0..n-1 (every workers-th, so neighbours spread) from next.
func onEveryCore(n int, work func(next func() (int, bool))) {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := w - workers
			work(func() (int, bool) {
				i += workers
				return i, i < n
			})
		}()
	}
	wg.Wait()
}

// maxTrainPairs bounds the pairs EM reads per rule.
const maxTrainPairs = 200_000

// agreeShare is the chance two random records agree exactly on field f,
// from the value frequencies: the sum over values of (count/n)².
func (r *Resolver) agreeShare(f int) float64 {
	n := float64(len(r.Records))
	sum := 0.0
	for _, c := range r.freq[f][0] {
		sum += float64(c) * float64(c-1)
	}
	for _, c := range r.freq[f][1] {
		sum += float64(c) * float64(c-1)
	}
	return sum / (n * (n - 1))
}
