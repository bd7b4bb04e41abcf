package demo

import "math"

// Identifiers that must be unique (external IDs, card numbers, phone
// numbers) are not drawn at random, which would collide at a million people,
// but made by a keyed permutation of a counter: a small Feistel network over
// [0, m²) with cycle walking down to [0, n). They look random, never repeat,
// and need no memory.

// mix64 is the splitmix64 finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// perm is a keyed bijection on [0, n).
type perm struct {
	n, m uint64
	key  [4]uint64
}

func newPerm(n uint64, key uint64) perm {
	m := uint64(math.Sqrt(float64(n)))
	for m*m < n {
		m++
	}
	p := perm{n: n, m: m}
	for i := range p.key {
		key = mix64(key + 0x9e3779b97f4a7c15)
		p.key[i] = key
	}
	return p
}

func (p *perm) feistel(x uint64) uint64 {
	l, r := x/p.m, x%p.m
	for _, k := range p.key {
		l, r = r, (l+mix64(r^k)%p.m)%p.m
	}
	return l*p.m + r
}

// at returns the i-th element of the permutation. Past n (a data set larger
// than the ID space) it returns i itself, which is still unique but no
// longer fits the nominal width.
func (p *perm) at(i uint64) uint64 {
	if i >= p.n {
		return i
	}
	x := p.feistel(i)
	for x >= p.n {
		x = p.feistel(x)
	}
	return x
}

// appendDigits appends v as exactly width decimal digits (more if it needs).
func appendDigits(b []byte, v uint64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || width > 0 {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(b, tmp[i:]...)
}

// appendBase appends v in the given alphabet, exactly width symbols (more if
// it needs).
func appendBase(b []byte, v uint64, width int, alphabet string) []byte {
	var tmp [64]byte
	base := uint64(len(alphabet))
	i := len(tmp)
	for v > 0 || width > 0 {
		i--
		tmp[i] = alphabet[v%base]
		v /= base
		width--
	}
	return append(b, tmp[i:]...)
}

const (
	hexDigits  = "0123456789abcdef"
	upperAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lowerAlnum = "0123456789abcdefghijklmnopqrstuvwxyz"
)

// bloom is a fixed-size Bloom filter over email addresses, so generated
// addresses of different people never coincide (only households share one,
// on purpose). It takes about 3 bytes per person, allocated once; past 44
// million people it fills up and collisions become possible.
type bloom struct {
	bits []uint64
	mask uint64
}

func newBloom(people int) *bloom {
	n := uint64(1 << 16)
	for n < uint64(people)*24 && n < 1<<30 { // at most 128 MiB (44M people)
		n <<= 1
	}
	return &bloom{bits: make([]uint64, n/64), mask: n - 1}
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// add records s unless it may be there already, and reports whether it
// did: false means s may have been added before (or is a false positive).
func (b *bloom) add(s string) bool {
	h1 := fnv64(s)
	h2 := mix64(h1) | 1
	var idx [4]uint64
	seen := true
	for i := range uint64(4) {
		bit := (h1 + i*h2) & b.mask
		idx[i] = bit
		if b.bits[bit/64]&(uint64(1)<<(bit%64)) == 0 {
			seen = false
		}
	}
	if seen {
		return false
	}
	for _, bit := range idx {
		b.bits[bit/64] |= uint64(1) << (bit % 64)
	}
	return true
}
