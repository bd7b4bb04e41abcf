package resolve

import (
	"math"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
)

func ref(s string) customer.ExternalRef {
	ch, id, _ := strings.Cut(s, "/")
	return customer.ExternalRef{Channel: ch, ExternalID: id}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// A worked example: truth {a1 a2 a3} {b1 b2}; predicted {a1 a2} {a3 b1} {b2}.
func TestEvaluateWorkedExample(t *testing.T) {
	truth := Truth{ref("s/a1"): "A", ref("s/a2"): "A", ref("s/a3"): "A", ref("s/b1"): "B", ref("s/b2"): "B", ref("s/gone"): "C"}
	pred := map[customer.ExternalRef]string{ref("s/a1"): "1", ref("s/a2"): "1", ref("s/a3"): "2", ref("s/b1"): "2", ref("s/b2"): "3"}
	m := Evaluate(truth, pred)
	// Pairs: predicted {a1a2, a3b1} = 2; true {a1a2, a1a3, a2a3, b1b2} = 4; correct {a1a2} = 1.
	if m.PredictedPairs != 2 || m.TruePairs != 4 || m.CorrectPairs != 1 {
		t.Fatalf("pairs %+v", m)
	}
	if !near(m.PairwisePrecision, 0.5) || !near(m.PairwiseRecall, 0.25) || !near(m.PairwiseF1, 2*0.5*0.25/0.75) {
		t.Errorf("pairwise %+v", m)
	}
	// B-cubed precision: a1,a2: 2/2; a3: 1/2; b1: 1/2; b2: 1/1 → (1+1+.5+.5+1)/5 = 0.8.
	// B-cubed recall: a1,a2: 2/3; a3: 1/3; b1: 1/2; b2: 1/2 → (2/3+2/3+1/3+.5+.5)/5.
	if !near(m.BCubedPrecision, 0.8) || !near(m.BCubedRecall, (2.0/3+2.0/3+1.0/3+0.5+0.5)/5) {
		t.Errorf("b-cubed %+v", m)
	}
	if m.Clusters != 3 || m.TrueClusters != 2 || m.Records != 5 || m.MissingRecords != 1 {
		t.Errorf("counts %+v", m)
	}
}

func TestEvaluatePerfectAndSingletons(t *testing.T) {
	truth := Truth{ref("s/1"): "A", ref("e/1"): "A", ref("s/2"): "B"}
	m := Evaluate(truth, map[customer.ExternalRef]string{ref("s/1"): "x", ref("e/1"): "x", ref("s/2"): "y"})
	if m.PairwiseF1 != 1 || m.BCubedF1 != 1 {
		t.Errorf("perfect clustering: %+v", m)
	}
	m = Evaluate(truth, map[customer.ExternalRef]string{ref("s/1"): "x", ref("e/1"): "z", ref("s/2"): "y"})
	if m.PairwisePrecision != 1 || m.PairwiseRecall != 0 || m.PairwiseF1 != 0 {
		t.Errorf("all singletons: %+v", m)
	}
}

func TestReadTruth(t *testing.T) {
	tr, err := ReadTruth(strings.NewReader("channel,external_id,person_id\nstore,S1,p1\nec,E1,p1\n"))
	if err != nil || len(tr) != 2 || tr[ref("ec/E1")] != "p1" {
		t.Fatalf("%v %v", tr, err)
	}
	for in, want := range map[string]string{
		"store,S1\n":                 "line 1",
		"store,S1,p1\nstore,S1,p2\n": "line 2: store/S1 is listed twice",
		"store,,p1\n":                "line 1, column 2: empty external_id",
	} {
		if _, err := ReadTruth(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadTruth(%q) error %v, want %q", in, err, want)
		}
	}
}
