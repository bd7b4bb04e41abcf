package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestResolveEval(t *testing.T) {
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth.csv")
	k := newKZ(t, map[string]string{"KIZUNA_DB": filepath.Join(dir, "k.db")})
	k.ok("demo", "--customers", "200", "--seed", "3", "--migrate", "--truth", truth, "--resolve=false")
	score := func() map[string]float64 {
		t.Helper()
		var m map[string]float64
		if err := json.Unmarshal([]byte(k.ok("resolve", "--eval", truth, "--json")), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	out := k.ok("resolve", "--eval", truth)
	mustContain(t, "resolve --eval", out, "records: ", "pairwise: precision", "B-cubed:  precision")
	m := score()
	for _, key := range []string{"pairwise_precision", "pairwise_recall", "pairwise_f1", "bcubed_precision", "bcubed_recall", "bcubed_f1", "clusters"} {
		if _, ok := m[key]; !ok {
			t.Errorf("--json lacks %s", key)
		}
	}
	lines := strings.Count(mustRead(t, truth), "\n") - 1 // header
	if int(m["records"]) != lines || m["true_clusters"] != 200 || m["bcubed_precision"] <= 0.5 || m["pairwise_precision"] > 1 {
		t.Errorf("scores %v for %d truth lines", m, lines)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("store,S1,p1\nstore,S1,p2\n"), 0o644)
	k.fails(1, []string{"bad.csv", "line 2: store/S1 is listed twice"}, "resolve", "--eval", bad)

	// A dry run trains a model for itself and changes nothing: no
	// customer, no stored model.
	dry := k.ok("resolve")
	mustContain(t, "resolve dry run", dry, "a model trained for this run and not stored", "merging at p ≥ 0.95 and queueing for review at p ≥ 0.5", "dry run: nothing changed")
	plan := regexp.MustCompile(`would merge (\d+) customers`).FindStringSubmatch(dry)
	if plan == nil || plan[1] == "0" {
		t.Fatalf("the dry run plans no merge:\n%s", dry)
	}
	if again := score(); again["clusters"] != m["clusters"] {
		t.Errorf("a dry run changed the customers: %v clusters, before %v", again["clusters"], m["clusters"])
	}
	// Applying it merges, and scores far better than the deterministic joins.
	applied := k.ok("resolve", "--apply")
	mustContain(t, "resolve --apply", applied, "model version 1 (trained now)", "merge "+plan[1]+" customers")
	after := score()
	if after["pairwise_f1"] <= m["pairwise_f1"] || after["pairwise_precision"] < 0.98 || after["clusters"] >= m["clusters"] {
		t.Errorf("after --apply: %v; before: %v", after, m)
	}
	// Again: nothing left to do.
	mustContain(t, "resolve after apply", k.ok("resolve"), "would merge 0 customers", "move 0 groups")
	// --train stores a new version.
	mustContain(t, "resolve --train", k.ok("resolve", "--train"), "model version 2 (trained now)")
	var rep map[string]any
	if err := json.Unmarshal([]byte(k.ok("resolve", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep["model_version"] != 2.0 || rep["applied"] != false {
		t.Errorf("resolve --json: %v", rep)
	}
	// A new field needs a new model; a bad one is a usage error.
	k.fails(1, []string{"train a new model"}, "resolve", "--field", "rank:exact")
	mustContain(t, "resolve --field --train", k.ok("resolve", "--field", "rank:exact", "--train"), "model version 3 (trained now)")
	// Later runs compare what the stored model compares, custom field
	// included, until told otherwise.
	mustContain(t, "resolve after --field", k.ok("resolve"), "model version 3,")
	mustContain(t, "resolve --default-fields", k.ok("resolve", "--default-fields", "--train"), "model version 4 (trained now)")
	mustContain(t, "resolve after --default-fields", k.ok("resolve"), "model version 4,")
	// Thresholds given with --train are stored with the model; without
	// it they hold for the run.
	mustContain(t, "resolve --auto-merge --train", k.ok("resolve", "--train", "--auto-merge", "0.99", "--review", "0.6"), "model version 5 (trained now), merging at p ≥ 0.99 and queueing for review at p ≥ 0.6")
	mustContain(t, "resolve with stored thresholds", k.ok("resolve"), "model version 5, merging at p ≥ 0.99 and queueing for review at p ≥ 0.6")
	mustContain(t, "resolve --review", k.ok("resolve", "--review", "0.7"), "model version 5, merging at p ≥ 0.99 and queueing for review at p ≥ 0.7")
	mustContain(t, "resolve after a run's own threshold", k.ok("resolve"), "queueing for review at p ≥ 0.6")
	k.fails(2, []string{`--field "rank"`, "NAME:KIND"}, "resolve", "--field", "rank")
	k.fails(2, []string{"--field", "KIND one of name"}, "resolve", "--field", "rank:fuzzy")
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
