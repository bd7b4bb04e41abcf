package resolve

// JaroWinkler is the Jaro–Winkler similarity of two strings, over runes
// (so kanji and kana count one each): 1 for equal strings, 0 for nothing in
// common. The Winkler bonus rewards a common prefix of up to 4 runes, as
// typos tend to come late in names.
func JaroWinkler(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	j := jaro(ra, rb)
	prefix := 0
	for prefix < min(4, len(ra), len(rb)) && ra[prefix] == rb[prefix] {
		prefix++
	}
	return j + float64(prefix)*0.1*(1-j)
}

func jaro(a, b []rune) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	window := max(len(a), len(b))/2 - 1
	window = max(window, 0)
	am := make([]bool, len(a))
	bm := make([]bool, len(b))
	matches := 0
	for i := range a {
		lo, hi := max(0, i-window), min(len(b), i+window+1)
		for k := lo; k < hi; k++ {
			if !bm[k] && a[i] == b[k] {
				am[i], bm[k] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions, k := 0, 0
	for i := range a {
		if !am[i] {
			continue
		}
		for !bm[k] {
			k++
		}
		if a[i] != b[k] {
			transpositions++
		}
		k++
	}
	m := float64(matches)
	return (m/float64(len(a)) + m/float64(len(b)) + (m-float64(transpositions)/2)/m) / 3
}

// Within reports whether the edit distance between a and b is at most k.
// It answers from the lengths when it can and, for ASCII (romaji keys,
// dates, IDs), without allocating: it runs for millions of pairs.
func Within(a, b string, k int) bool {
	if a == b {
		return true
	}
	la, lb := len(a), len(b)
	if la-lb > k || lb-la > k {
		if isASCII(a) && isASCII(b) {
			return false
		}
	}
	if !isASCII(a) || !isASCII(b) || lb >= 63 || la >= 63 {
		return Levenshtein(a, b) <= k
	}
	if la < lb {
		a, b, la, lb = b, a, lb, la
	}
	var prevBuf, curBuf [64]int
	prev, cur := prevBuf[:lb+1], curBuf[:lb+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > k {
			return false
		}
		prev, cur = cur, prev
	}
	return prev[lb] <= k
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Levenshtein is the edit distance between two strings over runes
// (insertions, deletions and substitutions each cost 1).
func Levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for k := range prev {
		prev[k] = k
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for k := 1; k <= len(rb); k++ {
			cost := 1
			if ra[i-1] == rb[k-1] {
				cost = 0
			}
			cur[k] = min(prev[k]+1, cur[k-1]+1, prev[k-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
