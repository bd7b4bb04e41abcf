package demo

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/kizuna-oss/kizuna/customer"
)

// collect generates a data set into memory (tests only).
func collect(t testing.TB, opts Options) []Record {
	t.Helper()
	var out []Record
	if err := Generate(opts, func(r Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// digest hashes the JSON of every record, ground truth included.
func digest(t testing.TB, opts Options) string {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	if err := Generate(opts, func(r Record) error { return enc.Encode(r) }); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	a := digest(t, Options{People: 3000, Seed: 42})
	b := digest(t, Options{People: 3000, Seed: 42})
	if a != b {
		t.Fatalf("same options, different data: %s vs %s", a, b)
	}
	if c := digest(t, Options{People: 3000, Seed: 42, Start: defaultStart}); c != a {
		t.Fatalf("zero Start should mean defaultStart")
	}
	if c := digest(t, Options{People: 3000, Seed: 43}); c == a {
		t.Fatalf("different seeds gave the same data")
	}
	if c := digest(t, Options{People: 3000, Seed: 42, Start: defaultStart.AddDate(0, 1, 0)}); c == a {
		t.Fatalf("different Start gave the same data")
	}
}

// A data set shared by the tests below.
var (
	sampleOpts = Options{People: 5000, Seed: 20261101}
	sample     []Record
)

func getSample(t *testing.T) []Record {
	if sample == nil {
		sample = collect(t, sampleOpts)
	}
	return sample
}

func TestStructure(t *testing.T) {
	recs := getSample(t)
	codes := map[string]bool{}
	for _, c := range Channels() {
		codes[c.Code] = true
	}
	ext := map[string]string{} // channel+id → person
	perPerson := map[string][]Record{}
	var order []string
	for _, r := range recs {
		if !codes[r.Channel] {
			t.Fatalf("unknown channel %q", r.Channel)
		}
		k := r.Channel + "\x00" + r.ExternalID
		if p, dup := ext[k]; dup {
			t.Fatalf("external ID %s:%s given to %s and %s", r.Channel, r.ExternalID, p, r.PersonID)
		}
		ext[k] = r.PersonID
		if r.ExternalID == "" {
			t.Fatalf("empty external ID in %+v", r)
		}
		if _, ok := perPerson[r.PersonID]; !ok {
			order = append(order, r.PersonID)
		}
		perPerson[r.PersonID] = append(perPerson[r.PersonID], r)
		if r.ObservedAt.Location() != time.UTC {
			t.Fatalf("ObservedAt not UTC: %v", r.ObservedAt)
		}
		if r.ObservedAt.Before(defaultStart.AddDate(-3, 0, 0)) || !r.ObservedAt.Before(defaultStart) {
			t.Fatalf("ObservedAt %v outside the 3 years before %v", r.ObservedAt, defaultStart)
		}
	}
	if len(perPerson) != sampleOpts.People {
		t.Fatalf("%d distinct persons, want %d", len(perPerson), sampleOpts.People)
	}
	// Persons are streamed one after the other, numbered from p0000001.
	for i, id := range order {
		if want := fmt.Sprintf("p%07d", i+1); id != want {
			t.Fatalf("person %d is %s, want %s", i, id, want)
		}
	}
	counts := make([]int, 5)
	for id, rs := range perPerson {
		if len(rs) < 1 || len(rs) > 4 {
			t.Fatalf("%s has %d records", id, len(rs))
		}
		counts[len(rs)]++
		seen := map[string]bool{}
		for i, r := range rs {
			if seen[r.Channel] {
				t.Fatalf("%s appears twice in %s", id, r.Channel)
			}
			seen[r.Channel] = true
			if i > 0 && r.ObservedAt.Before(rs[i-1].ObservedAt) {
				t.Fatalf("%s's records are not in time order", id)
			}
		}
	}
	// 55% / 27% / 12% / 6%
	want := []float64{0, 0.55, 0.27, 0.12, 0.06}
	for n := 1; n <= 4; n++ {
		got := float64(counts[n]) / float64(sampleOpts.People)
		if got < want[n]*0.8 || got > want[n]*1.2 {
			t.Errorf("%.3f of persons in %d channels, want about %.2f", got, n, want[n])
		}
	}
}

// ascii folds full-width ASCII to half-width.
func ascii(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '！' && r <= '～' {
			return r - 0xFEE0
		}
		return r
	}, s)
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, ascii(s))
}

func TestPostalCodes(t *testing.T) {
	tab := tables()
	n := 0
	for _, r := range getSample(t) {
		for _, a := range r.Profile.Addresses {
			code := digitsOf(a.PostalCode)
			if len(code) != 7 {
				t.Fatalf("postal code %q is not 7 digits", a.PostalCode)
			}
			i, ok := tab.postalIndex[code]
			if !ok {
				t.Fatalf("postal code %s not in the embedded table", code)
			}
			row := tab.postalRows[i]
			if a.Prefecture != "" && a.Prefecture != row.pref || a.City != row.city {
				t.Fatalf("address %+v does not match table row %+v", a, row)
			}
			if !strings.HasPrefix(a.Street, row.town) {
				t.Fatalf("street %q does not start with the town %q", a.Street, row.town)
			}
			n++
		}
	}
	if n < 5000 {
		t.Fatalf("only %d addresses", n)
	}
}

func TestTables(t *testing.T) {
	tab := tables()
	if tables() != tab {
		t.Fatal("tables() built the tables twice")
	}
	if len(tab.families) < 150 {
		t.Errorf("%d family names, want ≥150", len(tab.families))
	}
	given := map[string]bool{}
	for g := range generations {
		for s := range 2 {
			for _, n := range tab.givens[g][s] {
				given[n.kanji] = true
				if n.kana == "" || n.romaji[romajiPassport] == "" {
					t.Errorf("given name %q lacks a reading", n.kanji)
				}
			}
		}
	}
	if len(given) < 100 {
		t.Errorf("%d distinct given names, want ≥100", len(given))
	}
	for _, f := range tab.families {
		for _, r := range f.romaji[romajiPassport] {
			if r < 'a' || r > 'z' {
				t.Errorf("romaji of %s is %q", f.kanji, f.romaji[romajiPassport])
			}
		}
	}
	if len(tab.postalRows) < 500 {
		t.Errorf("%d postal codes, want ≥500", len(tab.postalRows))
	}
	prefs := map[string]bool{}
	for _, r := range tab.postalRows {
		prefs[r.pref] = true
	}
	if len(prefs) != 47 {
		t.Errorf("postal table covers %d prefectures, want 47", len(prefs))
	}
}

func TestRomaji(t *testing.T) {
	for _, c := range []struct{ kana, passport, wapuro, oh string }{
		{"サトウ", "sato", "satou", "satoh"},
		{"オオタ", "ota", "oota", "ohta"},
		{"イノウエ", "inoue", "inoue", "inoue"},
		{"ユウイチ", "yuichi", "yuuichi", "yuichi"},
		{"ショウタ", "shota", "shouta", "shohta"},
		{"キョウコ", "kyoko", "kyouko", "kyohko"},
		{"ナンバ", "namba", "nanba", "namba"},
		{"ハットリ", "hattori", "hattori", "hattori"},
		{"オオハシ", "ohashi", "oohashi", "ohashi"},
		{"モチヅキ", "mochizuki", "mochizuki", "mochizuki"},
		{"ジュンイチ", "junichi", "junichi", "junichi"},
		{"さくら", "sakura", "sakura", "sakura"},
	} {
		for s, want := range []string{c.passport, c.wapuro, c.oh} {
			if got := romaji(c.kana, s); got != want {
				t.Errorf("romaji(%s, %d) = %q, want %q", c.kana, s, got, want)
			}
		}
	}
	if got := toHalfKana("ワタナベ パン"); got != "ﾜﾀﾅﾍﾞ ﾊﾟﾝ" {
		t.Errorf("toHalfKana = %q", got)
	}
	if got := toFullWidth("090-1234"); got != "０９０－１２３４" {
		t.Errorf("toFullWidth = %q", got)
	}
}

func isHalfKana(s string) bool {
	for _, r := range s {
		if r >= 0xFF61 && r <= 0xFF9F {
			return true
		}
	}
	return false
}

func isHiragana(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hiragana, r) {
			return true
		}
	}
	return false
}

func hasWide(s string) bool {
	for _, r := range s {
		if r >= '０' && r <= '９' {
			return true
		}
	}
	return false
}

// rate is a ratio with its expected bounds.
func checkRate(t *testing.T, what string, num, den int, lo, hi float64) {
	t.Helper()
	if den == 0 {
		t.Errorf("%s: nothing to measure", what)
		return
	}
	got := float64(num) / float64(den)
	t.Logf("%-40s %5d / %6d = %.4f", what, num, den, got)
	if got < lo || got > hi {
		t.Errorf("%s: rate %.4f, want in [%.4f, %.4f]", what, got, lo, hi)
	}
}

func TestNoiseRates(t *testing.T) {
	recs := getSample(t)
	var (
		oldPOSKana, oldPOSHalf     int
		mpKana, mpHira             int
		records, oldKanji          int
		catalog, catalogWide       int
		amazon, amazonRomaji       int
		withEmail, typoed, masked  int
		sama, oneField             int
		noPhone, noBirth, withCard int
	)
	typoDomains := map[string]bool{}
	for _, ts := range domainTypos {
		for _, d := range ts {
			typoDomains[d] = true
		}
	}
	emailOwners := map[string][]string{}
	type personInfo struct {
		postals map[string]bool
		kana    map[string]bool
		n       int
	}
	persons := map[string]*personInfo{}
	for _, r := range recs {
		p := r.Profile
		records++
		pi := persons[r.PersonID]
		if pi == nil {
			pi = &personInfo{postals: map[string]bool{}, kana: map[string]bool{}}
			persons[r.PersonID] = pi
		}
		pi.n++
		if p.FamilyNameKana != "" && p.GivenNameKana != "" {
			pi.kana[toKatakana(fullKana(p.FamilyNameKana))] = true
		}
		for _, a := range p.Addresses {
			pi.postals[digitsOf(a.PostalCode)] = true
		}
		if p.FamilyNameKana != "" && (r.Channel == "store" || r.Channel == "catalog") {
			oldPOSKana++
			if isHalfKana(p.FamilyNameKana) {
				oldPOSHalf++
			}
		}
		if p.FamilyNameKana != "" && r.Channel == "rakuten" {
			mpKana++
			if isHiragana(p.FamilyNameKana) {
				mpHira++
			}
		}
		if strings.ContainsAny(p.FamilyName, "髙齋齊邊邉﨑濱澤嶋櫻廣𠮷") {
			oldKanji++
		}
		if r.Channel == "catalog" {
			catalog++
			all := strings.Join(p.Phones, "")
			for _, a := range p.Addresses {
				all += a.PostalCode + a.Street
			}
			if hasWide(all) {
				catalogWide++
			}
		}
		if r.Channel == "amazon" {
			amazon++
			if p.FamilyNameRomaji != "" && p.GivenName == "" || p.FamilyName != "" && p.FamilyName[0] < 0x80 {
				amazonRomaji++
			}
		}
		for _, e := range p.Emails {
			if strings.HasSuffix(e, "amazon.co.jp") || strings.HasSuffix(e, "rakuten.ne.jp") {
				masked++
				continue
			}
			withEmail++
			if typoDomains[e[strings.LastIndexByte(e, '@')+1:]] {
				typoed++
			}
			owners := emailOwners[e]
			if !slices.Contains(owners, r.PersonID) {
				emailOwners[e] = append(owners, r.PersonID)
			}
		}
		if strings.HasSuffix(p.GivenName, "様") || strings.HasSuffix(p.FamilyName, "様") {
			sama++
		}
		if p.FamilyName != "" && p.GivenName == "" && p.FamilyNameRomaji == "" {
			oneField++
		}
		if len(p.Phones) == 0 {
			noPhone++
		}
		if p.BirthDate == "" {
			noBirth++
		}
		if len(p.MemberCards) > 0 {
			withCard++
		}
	}

	checkRate(t, "half-width kana in store/catalog", oldPOSHalf, oldPOSKana, 0.30, 0.45)
	checkRate(t, "hiragana kana on rakuten", mpHira, mpKana, 0.12, 0.28)
	checkRate(t, "old kanji family names", oldKanji, records, 0.003, 0.04)
	checkRate(t, "full-width digits in catalog", catalogWide, catalog, 0.30, 0.60)
	checkRate(t, "romaji-only Amazon names", amazonRomaji, amazon, 0.30, 0.50)
	checkRate(t, "domain typos in e-mails", typoed, withEmail, 0.001, 0.02)
	checkRate(t, "masked marketplace e-mails", masked, records, 0.05, 0.25)
	checkRate(t, "様 appended", sama, records, 0.0005, 0.01)
	checkRate(t, "full name in one field", oneField, records, 0.02, 0.12)
	checkRate(t, "records without a phone", noPhone, records, 0.03, 0.15)
	checkRate(t, "records without a birth date", noBirth, records, 0.30, 0.70)
	checkRate(t, "records with a member card", withCard, records, 0.15, 0.50)

	// Shared e-mails: only the two members of a household (consecutive
	// person numbers) share an address.
	shared := 0
	for e, owners := range emailOwners {
		if len(owners) < 2 {
			continue
		}
		shared++
		if len(owners) > 2 {
			t.Errorf("%s shared by %v", e, owners)
			continue
		}
		var a, b int
		fmt.Sscanf(owners[0], "p%d", &a)
		fmt.Sscanf(owners[1], "p%d", &b)
		if b-a != 1 && a-b != 1 {
			t.Errorf("%s shared by unrelated %v", e, owners)
		}
	}
	checkRate(t, "persons sharing an e-mail (pairs)", shared, sampleOpts.People, 0.003, 0.03)

	// Moves and marriages: multi-record persons whose records disagree.
	multi, moved, renamed := 0, 0, 0
	for _, pi := range persons {
		if pi.n < 2 {
			continue
		}
		multi++
		if len(pi.postals) > 1 {
			moved++
		}
		if len(pi.kana) > 1 {
			renamed++
		}
	}
	checkRate(t, "multi-channel persons with two addresses", moved, multi, 0.04, 0.20)
	checkRate(t, "multi-channel persons with two family names", renamed, multi, 0.003, 0.04)
}

// fullKana turns half-width katakana back into full-width (tests only).
func fullKana(s string) string {
	if !isHalfKana(s) {
		return s
	}
	inv := map[string]string{}
	for full, half := range halfKana {
		inv[half] = string(full)
	}
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if i+1 < len(rs) && (rs[i+1] == 'ﾞ' || rs[i+1] == 'ﾟ') {
			if f, ok := inv[string(rs[i:i+2])]; ok {
				b.WriteString(f)
				i++
				continue
			}
		}
		if f, ok := inv[string(rs[i])]; ok && f != "　" {
			b.WriteString(f)
		} else {
			b.WriteRune(rs[i])
		}
	}
	return b.String()
}

// Unique identifiers stay unique: cards per person, mobiles only shared
// within a household.
func TestIdentifiersGroundTruth(t *testing.T) {
	cards := map[string]string{}
	phones := map[string]string{}
	for _, r := range getSample(t) {
		for _, c := range r.Profile.MemberCards {
			d := digitsOf(c)
			if len(d) != 13 || d[0] != '2' {
				t.Fatalf("card %q is not 13 digits starting with 2", c)
			}
			if p, ok := cards[d]; ok && p != r.PersonID {
				t.Fatalf("card %s held by %s and %s", d, p, r.PersonID)
			}
			cards[d] = r.PersonID
		}
		for _, ph := range r.Profile.Phones {
			d := digitsOf(ph)
			if strings.HasPrefix(ph, "+81") || strings.HasPrefix(ascii(ph), "+81") {
				d = "0" + d[2:]
			}
			if len(d) != 10 && len(d) != 11 || d[0] != '0' {
				t.Fatalf("phone %q is not a Japanese number", ph)
			}
			if p, ok := phones[d]; ok && p != r.PersonID {
				var a, b int
				fmt.Sscanf(p, "p%d", &a)
				fmt.Sscanf(r.PersonID, "p%d", &b)
				if b-a != 1 && a-b != 1 {
					t.Fatalf("phone %s shared by unrelated %s and %s", d, p, r.PersonID)
				}
			}
			phones[d] = r.PersonID
		}
	}
}

func TestChannelsAndStores(t *testing.T) {
	chs := Channels()
	if len(chs) != 9 {
		t.Fatalf("%d channels", len(chs))
	}
	kinds := map[string]bool{}
	for _, k := range customer.ChannelKinds {
		kinds[k] = true
	}
	codes := map[string]bool{}
	for i, c := range chs {
		if codes[c.Code] || !kinds[c.Kind] || c.Name == "" {
			t.Errorf("bad channel %+v", c)
		}
		codes[c.Code] = true
		if i > 0 && c.Priority <= chs[i-1].Priority {
			t.Errorf("channels not in priority order at %s", c.Code)
		}
		if c.Kind == customer.KindMarketplace && i < 6 {
			t.Errorf("marketplace %s ranks before an own channel", c.Code)
		}
	}
	chs[0].Code = "changed"
	if Channels()[0].Code != "store" {
		t.Errorf("Channels returns shared state")
	}
	prefs := map[string]bool{}
	var dept, ec bool
	for _, s := range Stores() {
		if !codes[s.Channel] {
			t.Errorf("store %s on unknown channel %s", s.Code, s.Channel)
		}
		if !strings.HasPrefix(s.Address, s.Prefecture) {
			t.Errorf("store %s address %q does not start with %s", s.Code, s.Address, s.Prefecture)
		}
		if s.Latitude < 24 || s.Latitude > 46 || s.Longitude < 122 || s.Longitude > 146 {
			t.Errorf("store %s is not in Japan", s.Code)
		}
		switch s.Channel {
		case "store":
			prefs[s.Prefecture] = true
		case "dept":
			dept = true
		case "ec":
			ec = true
		}
	}
	if len(prefs) < 3 || !dept || !ec {
		t.Errorf("want own stores in 3+ prefectures, a dept counter and an EC warehouse")
	}
}

func TestEmitError(t *testing.T) {
	boom := errors.New("boom")
	n := 0
	err := Generate(Options{People: 100, Seed: 1}, func(Record) error {
		n++
		if n == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 10 {
		t.Fatalf("err=%v after %d records, want boom after 10", err, n)
	}
	if err := Generate(Options{People: 0}, func(Record) error { t.Fatal("record for nobody"); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := Generate(Options{People: -1}, func(Record) error { return nil }); err == nil {
		t.Fatal("negative People accepted")
	}
}

// Generation streams: memory does not grow with the number of people, and
// allocations per person stay constant.
func TestStreamingMemory(t *testing.T) {
	const people = 200_000
	var ms runtime.MemStats
	var early, late uint64
	last := ""
	seen := 0
	err := Generate(Options{People: people, Seed: 9}, func(r Record) error {
		if r.PersonID == last {
			return nil
		}
		last = r.PersonID
		seen++
		if seen == people/10 || seen == people {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if seen == people/10 {
				early = ms.HeapInuse
			} else {
				late = ms.HeapInuse
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("heap in use after %d people: %d KiB; after %d: %d KiB", people/10, early>>10, people, late>>10)
	if late > early+8<<20 {
		t.Errorf("heap grew from %d to %d bytes while streaming", early, late)
	}
	if late > 64<<20 {
		t.Errorf("heap in use %d bytes", late)
	}

	perPerson := func(n int) float64 {
		return testing.AllocsPerRun(1, func() {
			Generate(Options{People: n, Seed: 9}, func(Record) error { return nil })
		}) / float64(n)
	}
	small, large := perPerson(2_000), perPerson(50_000)
	t.Logf("allocations per person: %.1f (2k people), %.1f (50k people)", small, large)
	if large > small*1.2 || large > 60 {
		t.Errorf("allocations per person grow with the data set: %.1f → %.1f", small, large)
	}
}

func TestMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("1M people in -short mode")
	}
	var ms runtime.MemStats
	var peak uint64
	n := 0
	t0 := time.Now()
	Generate(Options{People: 1_000_000, Seed: 1}, func(Record) error {
		n++
		if n%100_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	t.Logf("1,000,000 people: %d records in %v, peak heap %d MiB", n, time.Since(t0).Round(time.Millisecond), peak>>20)
	if peak > 200<<20 {
		t.Errorf("peak heap %d MiB", peak>>20)
	}
}

func BenchmarkGenerate(b *testing.B) {
	const people = 10_000
	records := 0
	b.ReportAllocs()
	for b.Loop() {
		Generate(Options{People: people, Seed: 1}, func(Record) error {
			records++
			return nil
		})
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(people*b.N)/s, "people/s")
	b.ReportMetric(float64(records)/s, "records/s")
}

func TestProductsAreValid(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Products() {
		p.Normalize()
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.SKU, err)
		}
		if seen[p.SKU] || seen[p.JAN] {
			t.Errorf("%s: SKU or JAN %s twice", p.SKU, p.JAN)
		}
		seen[p.SKU], seen[p.JAN] = true, true
	}
	for _, c := range Stock() {
		if !seen[c.SKU] || c.Set == nil || *c.Set < 0 || c.Location == "C001" {
			t.Errorf("stocktake %+v", c)
		}
	}
	if len(seen) < 80 {
		t.Errorf("%d products", len(seen)/2)
	}
}
