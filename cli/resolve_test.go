package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveEval(t *testing.T) {
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth.csv")
	k := newKZ(t, map[string]string{"KIZUNA_DB": filepath.Join(dir, "k.db")})
	k.ok("demo", "--customers", "200", "--seed", "3", "--migrate", "--truth", truth)
	k.fails(2, []string{"give --eval TRUTH.csv"}, "resolve")
	out := k.ok("resolve", "--eval", truth)
	mustContain(t, "resolve --eval", out, "records: ", "pairwise: precision", "B-cubed:  precision")
	var m map[string]float64
	if err := json.Unmarshal([]byte(k.ok("resolve", "--eval", truth, "--json")), &m); err != nil {
		t.Fatal(err)
	}
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
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
