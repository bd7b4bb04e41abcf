package resolve

import (
	"math"
	"math/rand/v2"
	"testing"
)

// draw picks a level from a distribution over the non-missing levels.
func draw(r *rand.Rand, p [numLevels]float64) Level {
	x := r.Float64()
	for l := range p {
		if x < p[l] {
			return Level(l)
		}
		x -= p[l]
	}
	return Exact
}

// EM recovers known m-probabilities and the match share from unlabelled
// pairs drawn from a known model, with u taken from random pairs.
func TestEMRecoversAKnownModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	trueM := [][numLevels]float64{{0.05, 0.15, 0.80}, {0.10, 0.20, 0.70}, {0.02, 0.08, 0.90}}
	trueU := [][numLevels]float64{{0.85, 0.10, 0.05}, {0.70, 0.20, 0.10}, {0.95, 0.04, 0.01}}
	const lambda = 0.15
	gen := func(n int, matchShare float64) [][]Level {
		var out [][]Level
		for range n {
			match := r.Float64() < matchShare
			v := make([]Level, 3)
			for f := range v {
				switch {
				case r.Float64() < 0.1:
					v[f] = Missing
				case match:
					v[f] = draw(r, trueM[f])
				default:
					v[f] = draw(r, trueU[f])
				}
			}
			out = append(out, v)
		}
		return out
	}
	m := NewModel("name", "phone", "birth_date")
	m.EstimateU(gen(50000, 0))
	rounds := m.EM(gen(30000, lambda), 200)
	if math.Abs(m.Lambda-lambda) > 0.02 {
		t.Errorf("Lambda = %.3f, want %.3f (after %d rounds)", m.Lambda, lambda, rounds)
	}
	for f := range trueM {
		for l := range trueM[f] {
			if math.Abs(m.M[f][l]-trueM[f][l]) > 0.03 {
				t.Errorf("m[%s][%s] = %.3f, want %.3f", m.Fields[f], Level(l), m.M[f][l], trueM[f][l])
			}
			if math.Abs(m.U[f][l]-trueU[f][l]) > 0.01 {
				t.Errorf("u[%s][%s] = %.3f, want %.3f", m.Fields[f], Level(l), m.U[f][l], trueU[f][l])
			}
		}
	}
	// Scores order pairs sensibly.
	_, all := m.Score([]Level{Exact, Exact, Exact})
	_, none := m.Score([]Level{Different, Different, Different})
	_, unknown := m.Score([]Level{Missing, Missing, Missing})
	if !(all > 0.99 && none < 0.01 && math.Abs(unknown-m.Lambda) < 1e-9) {
		t.Errorf("scores: all %.4f, none %.4f, unknown %.4f (lambda %.4f)", all, none, unknown, m.Lambda)
	}
	if m.Weight(0, Missing) != 0 || m.Weight(0, Exact) <= 0 || m.Weight(0, Different) >= 0 {
		t.Error("weights have the wrong signs")
	}
}
