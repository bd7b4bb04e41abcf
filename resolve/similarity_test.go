package resolve

import (
	"hash/fnv"
	"math"
	"testing"
	"unicode/utf8"
)

func TestJaroWinkler(t *testing.T) {
	// Textbook values (Winkler 1990; the standard examples).
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"MARTHA", "MARHTA", 0.9611},
		{"DWAYNE", "DUANE", 0.84},
		{"DIXON", "DICKSONX", 0.8133},
		{"", "", 1},
		{"abc", "", 0},
		{"abc", "xyz", 0},
		{"タカハシ", "タカハシ", 1},
	} {
		if got := JaroWinkler(tc.a, tc.b); math.Abs(got-tc.want) > 0.0005 {
			t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.4f", tc.a, tc.b, got, tc.want)
		}
	}
	// Kana are one unit each: one wrong kana in four is close, not far.
	if s := JaroWinkler("タカハシ", "タカバシ"); s < 0.85 {
		t.Errorf("タカハシ/タカバシ = %.3f", s)
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"kitten", "sitting", 3}, {"", "abc", 3}, {"abc", "abc", 0}, {"キョウコ", "キヨウコ", 1}, {"サトウ", "サトー", 1}, {"髙橋", "高橋", 1},
	} {
		if got := Levenshtein(tc.a, tc.b); got != tc.want {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func FuzzSimilarity(f *testing.F) {
	f.Add("MARTHA", "MARHTA")
	f.Add("タカハシ", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		s := JaroWinkler(a, b)
		if s < 0 || s > 1+1e-12 || math.IsNaN(s) {
			t.Fatalf("JaroWinkler(%q, %q) = %v", a, b, s)
		}
		if a == b && s < 1-1e-12 {
			t.Fatalf("JaroWinkler(%q, %q) = %v for equal strings", a, b, s)
		}
		d := Levenshtein(a, b)
		if d != Levenshtein(b, a) || d > max(utf8.RuneCountInString(a), utf8.RuneCountInString(b)) || (d == 0) != (a == b) {
			t.Fatalf("Levenshtein(%q, %q) = %d", a, b, d)
		}
	})
}

// Within agrees with Levenshtein on every bound, ASCII or not.
func TestWithin(t *testing.T) {
	words := []string{"", "a", "ab", "satou", "sato", "takahasimisaki", "takahasimisagi", "takahasi", "misaki", "1990-04-01", "1990-01-04", "高橋", "髙橋美咲", "x"}
	for _, a := range words {
		for _, b := range words {
			d := Levenshtein(a, b)
			for k := 0; k <= 4; k++ {
				if Within(a, b, k) != (d <= k) {
					t.Errorf("Within(%q, %q, %d) = %v; distance %d", a, b, k, Within(a, b, k), d)
				}
			}
		}
	}
}

// fnv1a is the standard FNV-1a (the blocking keys must not change with it).
func TestFNV1a(t *testing.T) {
	for _, tc := range []struct {
		k uint64
		s string
	}{{0, ""}, {0, "misaki@example.jp"}, {1 << 40, "高橋"}, {12345, "1500043"}} {
		h := fnv.New64a()
		var b [8]byte
		for i := range b {
			b[i] = byte(tc.k >> (8 * i))
		}
		h.Write(b[:])
		h.Write([]byte(tc.s))
		if got := fnv1a(tc.k, tc.s); got != h.Sum64() {
			t.Errorf("fnv1a(%d, %q) = %x, want %x", tc.k, tc.s, got, h.Sum64())
		}
	}
}
