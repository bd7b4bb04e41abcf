package resolve

import (
	"math"
	"math/rand/v2"
	"testing"
)

// draw picks a level from a distribution over the levels.
func draw(r *rand.Rand, p []float64) Level {
	x := r.Float64()
	for l := range p {
		if x < p[l] {
			return Level(l)
		}
		x -= p[l]
	}
	return Level(len(p) - 1)
}

// EM recovers known m-probabilities and the match share from unlabelled
// pairs drawn from a known model, with u given.
func TestEMRecoversAKnownModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fields := []Field{{Name: "name", Kind: KindText}, {Name: "phone", Kind: KindText}, {Name: "birth_date", Kind: KindDate}}
	trueM := [][]float64{{0.05, 0.15, 0.80}, {0.10, 0.20, 0.70}, {0.02, 0.08, 0.90}}
	trueU := [][]float64{{0.85, 0.10, 0.05}, {0.70, 0.20, 0.10}, {0.95, 0.04, 0.01}}
	const lambda = 0.15
	var vectors []Level
	for range 30000 {
		match := r.Float64() < lambda
		for f := range fields {
			switch {
			case r.Float64() < 0.1:
				vectors = append(vectors, Missing)
			case match:
				vectors = append(vectors, draw(r, trueM[f]))
			default:
				vectors = append(vectors, draw(r, trueU[f]))
			}
		}
	}
	m := NewModel(fields)
	for f := range fields {
		copy(m.Fields[f].U, trueU[f])
	}
	rounds := m.EM(vectors, 500)
	if math.Abs(m.Lambda-lambda) > 0.02 {
		t.Errorf("Lambda = %.3f, want %.3f (after %d rounds)", m.Lambda, lambda, rounds)
	}
	for f := range trueM {
		for l := range trueM[f] {
			if math.Abs(m.Fields[f].M[l]-trueM[f][l]) > 0.03 {
				t.Errorf("m[%s][%s] = %.3f, want %.3f", fields[f].Name, fields[f].Kind.LevelName(Level(l)), m.Fields[f].M[l], trueM[f][l])
			}
		}
	}
	if m.Weight(0, Missing, 0) != 0 || m.Weight(0, 2, 0) <= 0 || m.Weight(0, Different, 0) >= 0 {
		t.Error("weights have the wrong signs")
	}
	// A common agreeing value is weaker evidence than a rare one.
	if m.Weight(0, 2, 0.2) >= m.Weight(0, 2, 0.0001) {
		t.Error("term frequency does not weaken a common value")
	}
	if err := m.Check(fields); err != nil {
		t.Error(err)
	}
	if err := m.Check(fields[:2]); err == nil {
		t.Error("a model for three fields fits two")
	}
}

// A stored model names its fields; FieldsOf rebuilds them, custom
// attributes included, and refuses one it does not know.
func TestFieldsOf(t *testing.T) {
	fields := append(DefaultFields(), AttributeField("national_id", KindText))
	m := NewModel(fields)
	got, err := FieldsOf(m)
	if err != nil || len(got) != len(fields) {
		t.Fatalf("FieldsOf: %d fields, %v", len(got), err)
	}
	if err := m.Check(got); err != nil {
		t.Error(err)
	}
	if got[len(got)-1].Extract == nil || got[len(got)-1].Name != "attr.national_id" {
		t.Errorf("attribute field: %+v", got[len(got)-1])
	}
	m.Fields[0].Name = "shoe_size"
	if _, err := FieldsOf(m); err == nil {
		t.Error("an unknown field was accepted")
	}
}
