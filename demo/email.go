package demo

import (
	"strconv"
	"strings"
)

// E-mail domains: mobile carriers, then free mail.
var emailDomains = [...]string{
	"docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp",
	"yahoo.co.jp", "gmail.com", "icloud.com", "outlook.jp", "hotmail.co.jp",
}

const carrierDomains = 5 // the first five are carriers

// domainWeights by generation: the old keep their carrier address, the
// young use Gmail and iCloud.
var domainWeights = [generations][len(emailDomains)]int{
	gen1945: {300, 150, 50, 80, 20, 200, 100, 20, 30, 50},
	gen1960: {180, 100, 50, 50, 40, 220, 220, 40, 30, 70},
	gen1975: {100, 50, 50, 30, 60, 180, 330, 100, 40, 60},
	gen1990: {60, 20, 50, 20, 60, 100, 450, 180, 40, 20},
}

var emailWords = []string{
	"love", "happy", "smile", "star", "sky", "blue", "cat", "dog", "nyan", "wan", "coco", "momo",
	"sora", "hana", "umi", "kaze", "lucky", "peace", "candy", "soccer", "tennis", "guitar", "music",
	"piano", "coffee", "beer", "ramen", "panda", "usagi", "kuma", "mikan", "ichigo", "sakura",
	"tsuki", "hoshi", "niko", "ribbon", "angel", "dream", "sweet", "papa", "mama", "baseball", "golf",
}

// domainTypos are the misspellings of each domain seen in forms.
var domainTypos = map[string][]string{
	"gmail.com":      {"gmial.com", "gmail.co", "gmai.com", "gmail.con", "gmail.co.jp"},
	"yahoo.co.jp":    {"yahoo.co.pj", "yaho.co.jp", "yahoo.ne.jp", "yahoo.com.jp"},
	"docomo.ne.jp":   {"docomo.ne.pj", "docomo.co.jp", "docom.ne.jp", "docomo.jp"},
	"ezweb.ne.jp":    {"ezweb.co.jp", "ezwed.ne.jp", "ezweb.jp"},
	"au.com":         {"au.co", "au.con", "au.co.jp"},
	"softbank.ne.jp": {"softbank.co.jp", "sofbank.ne.jp", "softbank.jp"},
	"i.softbank.jp":  {"i.sofbank.jp", "softbank.jp", "i.softbank.co.jp"},
	"icloud.com":     {"icloud.co", "icloud.jp", "iclod.com", "icloud.con"},
	"outlook.jp":     {"outlook.co.jp", "outlok.jp", "outlook.com"},
	"hotmail.co.jp":  {"hotmail.co.pj", "hotmai.co.jp", "hotmail.jp"},
}

// newEmail makes a new address for p, never one given to anyone else.
func (g *generator) newEmail(p *person) string {
	d := g.pick(domainWeights[p.gen][:]...)
	dom, carrier := emailDomains[d], d < carrierDomains
	fi := p.fam
	if p.maiden >= 0 && g.chance(700) {
		fi = p.maiden // the address predates the marriage
	}
	fr, gr := g.tab.families[fi].romaji[p.style], p.given.romaji[p.style]
	for try := 0; ; try++ {
		local := g.localPart(p, fr, gr, carrier)
		if try >= 3 {
			local += strconv.Itoa(10 + g.r.IntN(9990))
		}
		if carrier && g.chance(30) {
			// pre-2009 carrier addresses that break RFC 5322
			if g.chance(500) {
				local += "."
			} else if i := strings.IndexAny(local, "._-"); i > 0 {
				local = local[:i] + ".." + local[i+1:]
			} else {
				local = local[:len(local)/2] + ".." + local[len(local)/2:]
			}
		}
		e := local + "@" + dom
		if g.emails.add(e) || try > 50 { // a saturated filter must not loop forever
			return e
		}
	}
}

func (g *generator) localPart(p *person, fr, gr string, carrier bool) string {
	yy := string(appendDigits(nil, uint64(p.year%100), 2))
	mmdd := string(appendDigits(appendDigits(nil, uint64(p.month), 2), uint64(p.day), 2))
	seps := [4]string{".", "_", "-", ""}
	sep := seps[g.pick(40, 25, 15, 20)]
	word := func() string { return emailWords[g.r.IntN(len(emailWords))] }
	digits := func() string {
		switch g.r.IntN(4) {
		case 0:
			return yy
		case 1:
			return mmdd
		default:
			return strconv.Itoa(g.r.IntN(1000))
		}
	}
	w := [12]int{120, 60, 50, 80, 80, 70, 40, 120, 60, 40, 40, 40}
	if carrier {
		w = [12]int{40, 20, 20, 40, 100, 40, 20, 200, 100, 60, 20, 100}
	}
	switch g.pick(w[:]...) {
	case 0:
		return gr + "." + fr
	case 1:
		return fr + "." + gr
	case 2:
		return gr + "_" + fr
	case 3:
		return gr + fr + yy
	case 4:
		return gr + mmdd
	case 5:
		if g.chance(500) {
			return gr[:1] + sep + fr + yy
		}
		return gr[:1] + sep + fr
	case 6:
		return fr + "-" + gr[:1] + strconv.Itoa(10+g.r.IntN(90))
	case 7:
		return word() + sep + word() + digits()
	case 8:
		return gr + sep + word()
	case 9:
		return word() + gr + yy
	case 10:
		return fr + strconv.Itoa(p.year)
	default:
		return word() + "." + gr + "." + digits()
	}
}

// familyEmail makes a household address ("takahashi-family@…").
func (g *generator) familyEmail(head *person) string {
	dom := emailDomains[g.pick(domainWeights[head.gen][:]...)]
	fr := g.tab.families[head.fam].romaji[head.style]
	suffix := [5]string{"family", "home", "ke", "house", "kazoku"}[g.r.IntN(5)]
	sep := [3]string{"", ".", "-"}[g.r.IntN(3)]
	for try := 0; ; try++ {
		local := fr + sep + suffix
		if try > 0 || g.chance(500) {
			local += strconv.Itoa(1 + g.r.IntN(999))
		}
		e := local + "@" + dom
		if g.emails.add(e) || try > 50 {
			return e
		}
	}
}

// typo misspells an address: a dropped character, two swapped ones, or a
// misspelled domain.
func (g *generator) typo(e string) string {
	at := strings.LastIndexByte(e, '@')
	if at < 0 {
		return e
	}
	local, dom := e[:at], e[at+1:]
	switch g.pick(40, 30, 30) {
	case 0:
		if len(local) > 3 {
			i := 1 + g.r.IntN(len(local)-1)
			return local[:i-1] + local[i:] + "@" + dom
		}
	case 1:
		for range 4 {
			if len(local) < 2 {
				break
			}
			i := g.r.IntN(len(local) - 1)
			if local[i] != local[i+1] {
				b := []byte(local)
				b[i], b[i+1] = b[i+1], b[i]
				return string(b) + "@" + dom
			}
		}
	}
	if t, ok := domainTypos[dom]; ok {
		return local + "@" + t[g.r.IntN(len(t))]
	}
	return local + "@" + dom
}
