package resolve_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/kizuna-oss/kizuna/resolve"
)

// TestScale scores the matcher with default settings on a larger demo set
// held in memory, against the target (pairwise precision ≥ 0.995,
// F1 ≥ 0.98). It runs only when asked: KIZUNA_RESOLVE_PEOPLE=200000 go
// test ./resolve -run TestScale -v -timeout 30m (about a minute per 100,000).
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("KIZUNA_RESOLVE_PEOPLE"))
	if n == 0 {
		t.Skip("set KIZUNA_RESOLVE_PEOPLE to run")
	}
	r, truth := demoSet(t, n, resolve.Options{})
	pairs, _, cl, ev, skipped := resolveAndScore(r, truth)
	t.Logf("%d people, %d records, %d candidate pairs (%d keys skipped): pairwise P %.4f R %.4f F1 %.4f, B-cubed F1 %.4f; %d joins guarded, %d for review",
		n, len(r.Records), len(pairs), skipped, ev.PairwisePrecision, ev.PairwiseRecall, ev.PairwiseF1, ev.BCubedF1, cl.Guarded, len(cl.Review))
	if ev.PairwisePrecision < 0.995 || ev.PairwiseF1 < 0.98 {
		t.Errorf("pairwise precision %.4f, F1 %.4f: below the target (0.995, 0.98)", ev.PairwisePrecision, ev.PairwiseF1)
	}
}
