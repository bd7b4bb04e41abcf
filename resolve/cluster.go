package resolve

import (
	"cmp"
	"slices"
)

// Constraints are staff decisions clustering must keep.
type Constraints struct {
	// Together are groups of records staff put in one customer (a manual
	// merge): they stay together.
	Together [][]int
	// Apart says whether two records must stay in different customers (a
	// pair staff rejected, or records of customers kept apart).
	Apart func(a, b int) bool
}

// MaxClusterSize bounds a cluster: no real person has more source records
// than this across channels, and a bigger one is a chain of strangers.
const MaxClusterSize = 64

// Clustering is the outcome of Cluster.
type Clustering struct {
	// Cluster is, for each record, the index of its cluster's first record.
	Cluster []int
	// Merged are the comparisons that joined clusters, strongest first.
	Merged []Comparison
	// Review are pairs between the thresholds whose records ended in
	// different clusters: one per pair of clusters, strongest first. Pairs
	// with a conflict are never offered.
	Review []Comparison
	// Guarded counts joins refused because some records of the two
	// clusters had strong evidence against being one person.
	Guarded int
}

// Cluster groups records into people: pairs at or above the auto-merge
// threshold join their clusters, strongest first, unless the join would
// put records together that staff kept apart, or that the model says are
// different people (a chain through a shared phone or address must not
// join strangers), or exceed MaxClusterSize.
func (r *Resolver) Cluster(m *Model, pairs []uint64, con Constraints) *Clustering {
	n := len(r.Records)
	parent := make([]int, n)
	members := make([][]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		if len(members[ra]) < len(members[rb]) {
			ra, rb = rb, ra
		}
		if members[ra] == nil {
			members[ra] = []int{ra}
		}
		if members[rb] == nil {
			members[rb] = []int{rb}
		}
		members[ra] = append(members[ra], members[rb]...)
		members[rb] = nil
		parent[rb] = ra
	}
	of := func(root int) []int {
		if members[root] == nil {
			return []int{root}
		}
		return members[root]
	}
	for _, g := range con.Together {
		for _, x := range g[1:] {
			union(g[0], x)
		}
	}

	// Every pair is scored once, on every core; only the ones above the
	// review threshold are kept, as (a, b, weight).
	type scored struct {
		a, b int32
		w    float64
	}
	weights := r.scored.weights
	if r.scored.model != m || len(weights) != len(pairs) {
		weights = r.weights(m, pairs)
	}
	r.scored.model, r.scored.weights = nil, nil // done with them
	var strong, review []scored
	for i, p := range pairs {
		a, b := int(p>>32), int(p&0xffffffff)
		// Conflicts weigh -Inf: decided, two people, however much they
		// share (a household's e-mail address and phone).
		prob := m.Probability(weights[i])
		if prob < r.opts.Review {
			continue
		}
		if prob >= r.opts.AutoMerge {
			strong = append(strong, scored{int32(a), int32(b), weights[i]})
		} else {
			review = append(review, scored{int32(a), int32(b), weights[i]})
		}
	}
	r.opts.Progress("scoring", len(pairs), len(pairs))
	byWeight := func(x, y scored) int {
		return cmp.Or(cmp.Compare(y.w, x.w), cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b))
	}
	slices.SortFunc(strong, byWeight)
	slices.SortFunc(review, byWeight)
	levels := make([]Level, len(r.opts.Fields))
	tf := make([]float64, len(r.opts.Fields))

	out := &Clustering{}
	// guardWeight: evidence this strong against a cross pair says two
	// people (no evidence at all, as between a romaji-only and a kanji-only
	// record, says nothing).
	const guardWeight = -15
	compatible := func(ra, rb int) bool {
		as, bs := of(ra), of(rb)
		if len(as)+len(bs) > MaxClusterSize {
			return false
		}
		for _, a := range as {
			for _, b := range bs {
				if con.Apart != nil && con.Apart(a, b) {
					return false
				}
				if len(as) == 1 && len(bs) == 1 {
					continue // the joining pair itself
				}
				if w, conflict := r.score(m, a, b, levels, tf); conflict || w < guardWeight {
					out.Guarded++
					return false
				}
			}
		}
		return true
	}
	for i, s := range strong {
		ra, rb := find(int(s.a)), find(int(s.b))
		if ra == rb || !compatible(ra, rb) {
			continue
		}
		union(ra, rb)
		out.Merged = append(out.Merged, r.Compare(m, int(s.a), int(s.b)))
		if i%100_000 == 0 && i > 0 {
			r.opts.Progress("clustering", i, len(strong))
		}
	}
	r.opts.Progress("clustering", len(strong), len(strong))
	seen := map[[2]int]bool{}
	for _, s := range review {
		ra, rb := find(int(s.a)), find(int(s.b))
		if ra == rb {
			continue
		}
		k := [2]int{min(ra, rb), max(ra, rb)}
		if seen[k] {
			continue
		}
		seen[k] = true
		out.Review = append(out.Review, r.Compare(m, int(s.a), int(s.b)))
	}
	out.Cluster = make([]int, n)
	for i := range out.Cluster {
		out.Cluster[i] = slices.Min(of(find(i)))
	}
	return out
}
