package resolve_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/demo"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/resolve"
)

// demoSet is n demo people as resolver records (normalized as ingest
// does), with the truth.
func demoSet(t testing.TB, people int, opts resolve.Options) (*resolve.Resolver, resolve.Truth) {
	t.Helper()
	r, err := resolve.NewResolver(opts)
	if err != nil {
		t.Fatal(err)
	}
	truth := resolve.Truth{}
	err = demo.Generate(demo.Options{People: people, Seed: 7}, func(rec demo.Record) error {
		raw, err := json.Marshal(rec.Profile)
		if err != nil {
			return err
		}
		p, err := identity.ParseProfile(raw, "profile", rec.Channel, rec.ObservedAt, nil)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", rec.Channel, rec.ExternalID, err)
		}
		id := rec.Channel + "/" + rec.ExternalID
		r.Add(resolve.NewRecord(r.Fields(), id, id, &p))
		truth[customer.ExternalRef{Channel: rec.Channel, ExternalID: rec.ExternalID}] = rec.PersonID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, truth
}

// resolveAndScore runs the whole matcher with defaults on r and scores the
// clustering against the truth.
func resolveAndScore(r *resolve.Resolver, truth resolve.Truth) ([]uint64, *resolve.Model, *resolve.Clustering, resolve.Metrics, int) {
	pairs, byRule, skipped := r.Candidates()
	m := r.Train(nil, pairs, byRule)
	cl := r.Cluster(m, pairs, resolve.Constraints{})
	predicted := map[customer.ExternalRef]string{}
	for i, c := range cl.Cluster {
		predicted[refOf(r.Records[i].ID)] = r.Records[c].ID
	}
	return pairs, m, cl, resolve.Evaluate(truth, predicted), skipped
}

func refOf(id string) customer.ExternalRef {
	for i := range id {
		if id[i] == '/' {
			return customer.ExternalRef{Channel: id[:i], ExternalID: id[i+1:]}
		}
	}
	return customer.ExternalRef{ExternalID: id}
}

// TestResolveDemo scores the matcher with default settings on demo data
// against its ground truth.
func TestResolveDemo(t *testing.T) {
	r, truth := demoSet(t, 5000, resolve.Options{})
	pairs, m, cl, ev, skipped := resolveAndScore(r, truth)
	t.Logf("%d records, %d candidate pairs (%d blocks skipped), lambda %.3g, merged %d, review %d, guarded %d",
		len(r.Records), len(pairs), skipped, m.Lambda, len(cl.Merged), len(cl.Review), cl.Guarded)
	for _, f := range m.Fields {
		t.Logf("%-12s m %.4f u %.6f", f.Name, f.M, f.U)
	}
	t.Logf("pairwise P %.4f R %.4f F1 %.4f; B-cubed F1 %.4f", ev.PairwisePrecision, ev.PairwiseRecall, ev.PairwiseF1, ev.BCubedF1)
	// The target with default settings: F1 ≥ 0.98 at precision ≥ 0.995.
	if ev.PairwisePrecision < 0.995 || ev.PairwiseF1 < 0.98 {
		t.Errorf("pairwise precision %.4f, F1 %.4f: below the target (0.995, 0.98)", ev.PairwisePrecision, ev.PairwiseF1)
	}
	if skipped != 0 {
		t.Errorf("%d blocks skipped on 5,000 people: the block cap is cutting real candidates", skipped)
	}
	for _, c := range cl.Merged {
		if c.Conflict != "" || c.Probability < resolve.DefaultAutoMerge {
			t.Fatalf("merged %+v", c)
		}
	}
}

// The common names a model keeps give a match of one record against its
// candidates (an upsert, no counts of its own) the weights the batch run
// gives: agreeing on a common name is weaker evidence than on a rare one.
func TestCommonValuesCarryTermFrequenciesToUpserts(t *testing.T) {
	r, _ := demoSet(t, 2000, resolve.Options{})
	pairs, byRule, _ := r.Candidates()
	m := r.Train(nil, pairs, byRule)
	m.Common = r.CommonValues(m)
	name := slices.IndexFunc(r.Fields(), func(f resolve.Field) bool { return f.Name == "name" })
	if name < 0 || len(m.Common) != len(r.Fields()) || len(m.Common[name].Values) == 0 {
		t.Fatalf("no common names kept: %d fields", len(m.Common))
	}
	// Values are kept as hashes, never as written, and only names.
	for k := range m.Common[name].Values {
		if len(k) != 24 || strings.Trim(k, "0123456789abcdef") != "" {
			t.Fatalf("common value kept as %q", k)
		}
	}
	for f, c := range m.Common {
		if f != name && (len(c.Values) > 0 || len(c.Readings) > 0) {
			t.Errorf("the model keeps common values of %s", r.Fields()[f].Name)
		}
	}
	// The batch's weights for every candidate pair, and the same pairs
	// compared in a resolver of two records with the model's common values.
	over, weakened := 0, 0
	for _, p := range pairs[:min(len(pairs), 3000)] {
		a, b := int(p>>32), int(p&0xffffffff)
		batch := r.Compare(m, a, b)
		two, err := resolve.NewResolver(resolve.Options{NoTermFrequency: true, Common: m.Common})
		if err != nil {
			t.Fatal(err)
		}
		two.Add(r.Records[a])
		two.Add(r.Records[b])
		up := two.Compare(m, 0, 1)
		without, _ := resolve.NewResolver(resolve.Options{NoTermFrequency: true})
		without.Add(r.Records[a])
		without.Add(r.Records[b])
		plain := without.Compare(m, 0, 1)
		// A kept name weighs what it weighs in the batch; a name too rare
		// to keep (under minCommonRecords) weighs at most what the model
		// says without frequencies. Never less than in the batch.
		if up.Weights[name] < plain.Weights[name]-1e-9 && math.Abs(up.Weights[name]-batch.Weights[name]) < 1e-9 {
			weakened++
		}
		if up.Weights[name] < batch.Weights[name]-1e-9 {
			over++
		}
	}
	if weakened == 0 {
		t.Error("no common name was weakened in an upsert as in the batch")
	}
	if over > 0 {
		t.Errorf("%d pairs weigh their names less in an upsert than in the batch", over)
	}
}
