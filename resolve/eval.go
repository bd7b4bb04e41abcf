// Package resolve is identity resolution beyond the deterministic join.
// So far: evaluating a clustering against a ground truth (Evaluate),
// comparing two customers field by field with Japanese-aware keys
// (Record, Compare, DefaultFields), similarity measures, and a
// Fellegi–Sunter model with EM training (Model). Blocking, batch matching
// and clustering are still to come (work in progress on the branch
// wip/matcher).
package resolve

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kizuna-oss/kizuna/customer"
)

// Truth says which real person each source record belongs to: the
// `channel,external_id,person_id` file `kizuna demo --truth` writes.
type Truth map[customer.ExternalRef]string

// ReadTruth reads a truth CSV. A header line is allowed; errors name the
// line and column.
func ReadTruth(r io.Reader) (Truth, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 3
	t := Truth{}
	for i := 0; ; i++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("truth file: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if i == 0 && rec[0] == "channel" && rec[1] == "external_id" {
			continue
		}
		for c, v := range rec {
			if strings.TrimSpace(v) == "" {
				return nil, fmt.Errorf("truth file line %d, column %d: empty %s", line, c+1, []string{"channel", "external_id", "person_id"}[c])
			}
		}
		ref := customer.ExternalRef{Channel: rec[0], ExternalID: rec[1]}
		if prev, dup := t[ref]; dup && prev != rec[2] {
			return nil, fmt.Errorf("truth file line %d: %s/%s is listed twice, for %s and %s", line, rec[0], rec[1], prev, rec[2])
		}
		t[ref] = rec[2]
	}
	return t, nil
}

// Metrics are the standard scores of a clustering against the truth.
type Metrics struct {
	PairwisePrecision float64 `json:"pairwise_precision"`
	PairwiseRecall    float64 `json:"pairwise_recall"`
	PairwiseF1        float64 `json:"pairwise_f1"`
	BCubedPrecision   float64 `json:"bcubed_precision"`
	BCubedRecall      float64 `json:"bcubed_recall"`
	BCubedF1          float64 `json:"bcubed_f1"`
	Clusters          int     `json:"clusters"`        // predicted clusters among the evaluated records
	TrueClusters      int     `json:"true_clusters"`   // real people among them
	Records           int     `json:"records"`         // records in both the truth and the clustering
	MissingRecords    int     `json:"missing_records"` // in the truth, not in the clustering
	PredictedPairs    int64   `json:"predicted_pairs"`
	TruePairs         int64   `json:"true_pairs"`
	CorrectPairs      int64   `json:"correct_pairs"`
}

// Evaluate scores predicted clusters (record → cluster ID) against the
// truth, over the records both know. Pairwise scores count pairs of
// records put together; B-cubed scores average, per record, how much of
// its cluster is right (precision) and how much of its person it found
// (recall). With no pairs to judge a score is 1.
func Evaluate(truth Truth, predicted map[customer.ExternalRef]string) Metrics {
	var m Metrics
	type cell struct{ cluster, person string }
	cells := map[cell]int{}
	clusterSize := map[string]int{}
	personSize := map[string]int{}
	for ref, person := range truth {
		cl, ok := predicted[ref]
		if !ok {
			m.MissingRecords++
			continue
		}
		m.Records++
		cells[cell{cl, person}]++
		clusterSize[cl]++
		personSize[person]++
	}
	m.Clusters, m.TrueClusters = len(clusterSize), len(personSize)
	pairs := func(n int) int64 { return int64(n) * int64(n-1) / 2 }
	var bp, br float64
	for c, n := range cells {
		m.CorrectPairs += pairs(n)
		// Each of the n records in this cell scores n/|cluster| and n/|person|.
		bp += float64(n) * float64(n) / float64(clusterSize[c.cluster])
		br += float64(n) * float64(n) / float64(personSize[c.person])
	}
	for _, n := range clusterSize {
		m.PredictedPairs += pairs(n)
	}
	for _, n := range personSize {
		m.TruePairs += pairs(n)
	}
	ratio := func(a, b int64) float64 {
		if b == 0 {
			return 1
		}
		return float64(a) / float64(b)
	}
	m.PairwisePrecision, m.PairwiseRecall = ratio(m.CorrectPairs, m.PredictedPairs), ratio(m.CorrectPairs, m.TruePairs)
	m.PairwiseF1 = f1(m.PairwisePrecision, m.PairwiseRecall)
	if m.Records > 0 {
		m.BCubedPrecision, m.BCubedRecall = bp/float64(m.Records), br/float64(m.Records)
	} else {
		m.BCubedPrecision, m.BCubedRecall = 1, 1
	}
	m.BCubedF1 = f1(m.BCubedPrecision, m.BCubedRecall)
	return m
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
