package resolve

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"time"
)

// Model is a Fellegi–Sunter model: for each compared field, the
// probability of each level among pairs that are the same person (M) and
// among pairs that are not (U), and the share of candidate pairs that are
// matches (Lambda). A level's weight is log2(m/u): evidence for (positive)
// or against (negative) a match. Models are stored as JSON, versioned.
type Model struct {
	Version   int          `json:"version"`
	TrainedAt time.Time    `json:"trained_at,omitzero"`
	Pairs     int          `json:"trained_on_pairs"`
	Lambda    float64      `json:"lambda"`
	Fields    []FieldModel `json:"fields"`
	// AutoMerge and Review are the thresholds the model was trained with
	// (0 in models from before they were kept: the defaults). Upserts and
	// later runs use them unless told otherwise.
	AutoMerge float64 `json:"auto_merge,omitempty"`
	Review    float64 `json:"review,omitempty"`
	// Common are, per field, the names common enough in the data the
	// model was trained on to weaken agreement (佐藤美咲), with their share
	// of records: a match of one new record against its candidates (an
	// upsert) has no counts of its own to tell (see CommonValues).
	Common []CommonValues `json:"common,omitempty"`
}

// CommonValues are one field's common values and their share of records:
// Values as compared, Readings a name's reading (see tfKeys). Values are
// kept by commonKey, a hash, not as written: a value held by a few records
// of one person (her mobile in three channels) counts as common too, and a
// model, which erasure does not touch, should not spell it out.
type CommonValues struct {
	Values   map[string]float64 `json:"values,omitempty"`
	Readings map[string]float64 `json:"readings,omitempty"`
}

func (c *CommonValues) share(m int, v string) float64 {
	if m == 1 {
		return c.Readings[commonKey(v)]
	}
	return c.Values[commonKey(v)]
}

// commonKey is the key a common value is kept under: the first 12 bytes
// of its SHA-256, in hex.
func commonKey(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:12])
}

// FieldModel holds one field's parameters, one per level.
type FieldModel struct {
	Name   string    `json:"name"`
	Kind   Kind      `json:"kind"`
	Levels []string  `json:"levels"`
	M      []float64 `json:"m"`
	U      []float64 `json:"u"`
}

// NewModel starts a model with neutral guesses that hold for customer data
// in general: among matches most fields agree exactly; among non-matches
// they almost never do. EstimateU and EM replace them with what the data says.
func NewModel(fields []Field) *Model {
	m := &Model{Lambda: 0.1}
	for _, f := range fields {
		levels := f.Kind.Levels()
		n := len(levels)
		fm := FieldModel{Name: f.Name, Kind: f.Kind, Levels: levels, M: make([]float64, n), U: make([]float64, n)}
		// m: most mass on exact, a little on each partial level and on
		// "different" (moves, new addresses, second emails).
		fm.M[0] = 0.2
		for l := 1; l < n-1; l++ {
			fm.M[l] = 0.05
		}
		fm.M[n-1] = 1 - 0.2 - 0.05*float64(n-2)
		// u: agreement is rare among strangers, exact agreement rarest.
		fm.U[n-1] = 0.001
		for l := 1; l < n-1; l++ {
			fm.U[l] = 0.01
		}
		fm.U[0] = 1 - 0.001 - 0.01*float64(n-2)
		m.Fields = append(m.Fields, fm)
	}
	return m
}

// Check reports whether the model fits fields (same names and kinds in the
// same order): a stored model trained for other fields cannot be used.
func (m *Model) Check(fields []Field) error {
	if len(m.Fields) != len(fields) {
		return fmt.Errorf("model version %d compares %d fields, the configuration %d: train a new model", m.Version, len(m.Fields), len(fields))
	}
	for i, f := range fields {
		if m.Fields[i].Name != f.Name || m.Fields[i].Kind != f.Kind {
			return fmt.Errorf("model version %d field %d is %s (%s), the configuration's %s (%s): train a new model",
				m.Version, i+1, m.Fields[i].Name, m.Fields[i].Kind, f.Name, f.Kind)
		}
	}
	return nil
}

// Weight is the evidence of field f at level l. tf, when above zero, is the
// share of records holding the agreeing value: a common value (佐藤美咲, a
// shop's landline) is weaker evidence than the average one. Rare values
// keep the field's u, so small data sets are not overconfident.
func (m *Model) Weight(f int, l Level, tf float64) float64 {
	if l == Missing {
		return 0
	}
	fm := &m.Fields[f]
	u := fm.U[l]
	if tf > u {
		u = tf
	}
	return math.Log2(fm.M[l] / u)
}

// Prior is the log2 odds of a match before any evidence.
func (m *Model) Prior() float64 { return math.Log2(m.Lambda / (1 - m.Lambda)) }

// Probability turns a total weight into a match probability.
func (m *Model) Probability(weight float64) float64 {
	return 1 / (1 + math.Exp2(-(weight + m.Prior())))
}

func (m *Model) clone() *Model {
	c := *m
	c.Fields = make([]FieldModel, len(m.Fields))
	for i, f := range m.Fields {
		f.M = slices.Clone(f.M)
		f.U = slices.Clone(f.U)
		c.Fields[i] = f
	}
	return &c
}

// floor keeps probabilities away from 0 and 1, so that a level never seen
// in training does not make a weight infinite.
const floor = 1e-6

func clampProb(p float64) float64 { return min(max(p, floor), 1-floor) }

// setU sets u of field f from level counts among random pairs.
func (m *Model) setU(f int, counts []float64) {
	total := 0.0
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return
	}
	for l, c := range counts {
		m.Fields[f].U[l] = clampProb(c / total)
	}
}

// priorPairs is how many pseudo-pairs the starting m-probabilities count
// for in EM: enough to keep a level that the candidate pairs rarely show
// from swinging to an extreme, too few to outweigh real data.
const priorPairs = 20

// EM estimates m and Lambda from unlabelled comparison vectors (one row of
// len(m.Fields) levels per candidate pair) by expectation–maximization,
// keeping u fixed (it came from random pairs). It stops after iters
// rounds or when Lambda moves less than 1e-6, and returns the rounds run.
func (m *Model) EM(vectors []Level, iters int) int {
	nf := len(m.Fields)
	if nf == 0 || len(vectors) == 0 {
		return 0
	}
	n := len(vectors) / nf
	start := make([][]float64, nf)
	for f := range m.Fields {
		start[f] = append([]float64(nil), m.Fields[f].M...)
	}
	num := make([][]float64, nf)
	for f := range num {
		num[f] = make([]float64, len(m.Fields[f].Levels))
	}
	for it := 1; it <= iters; it++ {
		for f := range num {
			clear(num[f])
		}
		sum := 0.0
		prior := m.Prior()
		for i := range n {
			v := vectors[i*nf : (i+1)*nf]
			w := prior
			for f, l := range v {
				w += m.Weight(f, l, 0)
			}
			g := 1 / (1 + math.Exp2(-w))
			sum += g
			for f, l := range v {
				if l != Missing {
					num[f][l] += g
				}
			}
		}
		for f := range m.Fields {
			den := 0.0
			for l := range num[f] {
				num[f][l] += priorPairs * start[f][l]
				den += num[f][l]
			}
			for l := range num[f] {
				m.Fields[f].M[l] = clampProb(num[f][l] / den)
			}
		}
		lambda := clampProb(sum / float64(n))
		moved := math.Abs(lambda - m.Lambda)
		m.Lambda = lambda
		if moved < 1e-6 {
			return it
		}
	}
	return iters
}
