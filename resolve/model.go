package resolve

import (
	"fmt"
	"math"
)

// Level is how well one field of two records agrees.
type Level int8

// Comparison levels, worst to best. Missing means one side has no value:
// it is no evidence either way.
const (
	Missing Level = iota - 1
	Different
	Close
	Exact
	numLevels = 3
)

func (l Level) String() string {
	switch l {
	case Missing:
		return "missing"
	case Different:
		return "different"
	case Close:
		return "close"
	case Exact:
		return "exact"
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// Model is a Fellegi–Sunter model: for each compared field, the
// probability of each level among pairs that are the same person (m) and
// among pairs that are not (u), and the share of candidate pairs that are
// matches (Lambda). A level's weight is log2(m/u): evidence for (positive)
// or against (negative) a match.
type Model struct {
	Fields []string
	M, U   [][numLevels]float64
	Lambda float64
}

// NewModel starts a model with neutral guesses: agreement is likely among
// matches and unlikely among non-matches. EM and EstimateU refine them.
func NewModel(fields ...string) *Model {
	m := &Model{Fields: fields, Lambda: 0.01}
	for range fields {
		m.M = append(m.M, [numLevels]float64{0.05, 0.15, 0.80})
		m.U = append(m.U, [numLevels]float64{0.90, 0.08, 0.02})
	}
	return m
}

// Weight is the evidence of one field's level.
func (m *Model) Weight(field int, l Level) float64 {
	if l == Missing {
		return 0
	}
	return math.Log2(m.M[field][l] / m.U[field][l])
}

// Score is the total weight of a comparison vector and the match
// probability it gives with the model's prior.
func (m *Model) Score(v []Level) (weight, probability float64) {
	for f, l := range v {
		weight += m.Weight(f, l)
	}
	prior := math.Log2(m.Lambda / (1 - m.Lambda))
	return weight, 1 / (1 + math.Exp2(-(weight + prior)))
}

// floor keeps probabilities away from 0 and 1, so that a level never seen
// in training does not make a weight infinite.
const floor = 1e-6

func clampProb(p float64) float64 { return min(max(p, floor), 1-floor) }

// EstimateU sets u from comparisons of random pairs: almost all random
// pairs are different people, so their level frequencies are u.
func (m *Model) EstimateU(random [][]Level) {
	for f := range m.Fields {
		var counts [numLevels]float64
		total := 0.0
		for _, v := range random {
			if v[f] != Missing {
				counts[v[f]]++
				total++
			}
		}
		if total == 0 {
			continue
		}
		for l := range counts {
			m.U[f][l] = clampProb(counts[l] / total)
		}
	}
}

// EM estimates m and Lambda from unlabelled candidate pairs by
// expectation–maximization, keeping u fixed (it came from random pairs).
// It stops after iters rounds or when Lambda moves less than 1e-6, and
// returns the rounds it ran.
func (m *Model) EM(pairs [][]Level, iters int) int {
	if len(pairs) == 0 {
		return 0
	}
	g := make([]float64, len(pairs))
	for it := 1; it <= iters; it++ {
		// E: the probability each pair is a match under the current model.
		sum := 0.0
		for i, v := range pairs {
			_, p := m.Score(v)
			g[i] = p
			sum += p
		}
		// M: m from the levels weighted by those probabilities.
		for f := range m.Fields {
			var num [numLevels]float64
			den := 0.0
			for i, v := range pairs {
				if v[f] != Missing {
					num[v[f]] += g[i]
					den += g[i]
				}
			}
			if den == 0 {
				continue
			}
			for l := range num {
				m.M[f][l] = clampProb(num[l] / den)
			}
		}
		lambda := clampProb(sum / float64(len(pairs)))
		moved := math.Abs(lambda - m.Lambda)
		m.Lambda = lambda
		if moved < 1e-6 {
			return it
		}
	}
	return iters
}
