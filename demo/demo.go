// Package demo is a deterministic generator of realistic Japanese demo
// customers spread over the channels of a lifestyle/apparel retailer, with
// ground truth, for demos, tests and benchmarks.
//
// Generate streams one Record per (person, channel): what that channel holds
// about the person, with the noise real Japanese customer data has, and the
// PersonID of the real person behind it, so identity resolution can be
// scored. The same Options always give the same records, byte for byte, and
// memory stays flat however many people are generated (about 3 bytes per
// person for a Bloom filter that keeps e-mail addresses apart).
//
// # People
//
// Genders are 58% female (an apparel customer base); birth years 1945–2006,
// 12% / 25% / 33% / 30% born in 1945–59 / 1960–74 / 1975–89 / 1990–2006.
// Family names come from a table of 180 common names weighted by their real
// frequency; given names from popular names of each generation and gender.
// Addresses come from about a thousand real postal codes in all 47
// prefectures (postal.tsv, from Japan Post data), prefectures weighted by
// population. 8% of households have two people in the data set (a couple, or
// a parent and a grown-up child): they share the address, a landline if they
// have one, in 40% of them an e-mail address and in 10% a mobile phone, yet
// each is a distinct PersonID.
//
// # Channels
//
// Each person appears in 1 to 4 channels (55% / 27% / 12% / 6%), one record
// per channel. The mix depends on age and gender (catalog and call center
// for older people, the app for younger ones, Amazon more for men) and on
// the channels already picked (store goes with app, catalog with call
// center, Rakuten with Yahoo!).
//
// # Noise
//
// Rates are per record of the channels named unless said otherwise:
//   - reading in half-width katakana (ﾀｶﾊｼ): store 35%, catalog 40%; in
//     hiragana: ec 8%, app 10%, rakuten 20%, yahoo 15%. No reading: 5–20%
//     of records depending on the channel, all of Amazon's.
//   - old/variant kanji (髙橋, 齋藤, 渡邊, 山﨑, 濱田, 澤田, 𠮷田): 3–25% of the
//     bearers of such names are registered with the old form; channels then
//     show the common form in 15% (ec, app, dept) to 60% (store POS) of their
//     records. People with the common form appear with the old one in 3%.
//   - full name in one field ("高橋 美咲", "高橋　美咲", "高橋美咲"): Amazon
//     35%, call center 5%, others 0–3%. 様 appended: 1–2% on marketplaces,
//     call center and catalog.
//   - Amazon: romaji only in 40% of records ("Misaki Takahashi"; given and
//     family swapped in a fifth of those; passport, wapuro or "oh" Hepburn
//     per person: Sato / Satou / Satoh), romaji as well as kanji in 10%.
//   - full-width digits and letters (１５０－００４１): addresses in 25% of
//     catalog, 10% of dept and 5% of marketplace records; phones in 25% of
//     catalog records; e-mails in 8% of catalog records. A chōon or minus
//     sign for the hyphen (1ー19ー11) in 3% of ec and marketplace addresses.
//   - formats: phones as 09012345678, 090-1234-5678, 090 1234 5678,
//     03(1234)5678, +81…; postal codes with or without hyphen or 〒; streets
//     as 1-19-11, 1丁目19-11, 1丁目19番11号, 一丁目19番11号; rooms as 203,
//     203号室, 203号; member cards with hyphens (15%) or spaces (10%).
//   - e-mail typos (a dropped or swapped character, gmial.com): 5% of
//     e-mails typed by staff (store, catalog, dept, call center), 1% of those
//     typed by customers; a capitalized first letter in 2% of the latter.
//     Carrier addresses break RFC 5322 ("..", "." before @) in 3% of cases,
//     as old docomo/au addresses do.
//   - moves: 12% of people living alone move during the three years (60%
//     within their prefecture); their records before the move carry the old
//     address and landline.
//   - marriage: 10% of single women born 1980–2002 marry during the three
//     years; their records before it carry the maiden family name (60% also
//     the old address) and share an e-mail address, mobile or card with the
//     later ones; their e-mail often still spells the maiden name.
//   - missing fields: birth dates, genders, phones, e-mails, addresses and
//     readings are present at channel-specific rates (the call center rarely
//     knows a birth date; marketplaces never do). A building is left out of
//     15% of addresses and written into the street in 20%; the prefecture is
//     left out of 3% of store and call-center addresses; 1.5% of store birth
//     dates are the POS placeholder YYYY-01-01.
//   - masked addresses: Amazon (90%) and Rakuten (60%) give relay addresses
//     (…@marketplace.amazon.co.jp, …@pc.fw.rakuten.ne.jp) instead of the
//     customer's own.
package demo

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/normalize"
)

// Options configure Generate.
type Options struct {
	People int       // number of distinct real persons
	Seed   int64     // same seed, same data (byte for byte)
	Start  time.Time // the "now" of the data set; records are observed in the 3 years before it. Zero means 2026-11-01T00:00:00+09:00.
}

// Record is one channel's record of one person.
type Record struct {
	Channel    string           // a channel code from Channels()
	ExternalID string           // the channel's own member ID, unique within the channel
	PersonID   string           // ground truth: which real person ("p0000001")
	ObservedAt time.Time        // UTC
	Profile    customer.Profile // what this channel holds, with realistic noise
}

var jst = time.FixedZone("JST", 9*60*60)

// defaultStart is the "now" of the data set when Options.Start is zero.
var defaultStart = time.Date(2026, 11, 1, 0, 0, 0, 0, jst)

// Now is the data set's "now": Options.Start, or its default.
func Now(opts Options) time.Time {
	if opts.Start.IsZero() {
		return defaultStart
	}
	return opts.Start
}

// Generate streams records person by person (a person's records in order of
// ObservedAt) to emit. It holds only the person being generated, never the
// data set. It stops and returns emit's error if emit fails.
func Generate(opts Options, emit func(Record) error) error {
	if opts.People < 0 {
		return errors.New("demo: negative People")
	}
	if emit == nil {
		return errors.New("demo: nil emit")
	}
	g := newGenerator(opts)
	for g.next < opts.People {
		if err := g.household(emit); err != nil {
			return err
		}
	}
	return nil
}

// generator is the state of one Generate call.
type generator struct {
	tab     *lookupTables // shared, read-only
	r       *rand.Rand
	people  int
	next    int       // index of the next person
	start   time.Time // Options.Start
	from    time.Time // start of the observation window
	appFrom time.Time // the app launched two years before Start
	span    int64     // window length in seconds
	appSpan int64

	ids     [numChannels]perm
	idN     [numChannels]uint64
	masked  [2]perm // amazon, rakuten relay addresses
	maskedN [2]uint64
	mobile  perm
	mobileN uint64
	land    []perm // per area code
	landN   []uint64
	card    perm
	cardN   uint64
	emails  *bloom

	hh [2]person // the household being generated
}

func newGenerator(opts Options) *generator {
	start := opts.Start
	if start.IsZero() {
		start = defaultStart
	}
	g := &generator{
		tab:    tables(),
		r:      rand.New(rand.NewPCG(uint64(opts.Seed), 0x6b697a756e61)), // "kizuna"
		people: opts.People,
		start:  start,
		from:   start.AddDate(-3, 0, 0),
		emails: newBloom(opts.People),
	}
	g.appFrom = start.AddDate(-2, 0, 0)
	g.span = int64(g.start.Sub(g.from) / time.Second)
	g.appSpan = int64(g.start.Sub(g.appFrom) / time.Second)
	key := func() uint64 { return g.r.Uint64() }
	idSpace := [numChannels]uint64{
		chStore:   1e10,                                                      // "S" + 10 digits
		chEC:      1e8,                                                       // "EC" + 8 digits
		chApp:     1 << 60,                                                   // 60 bits of a UUID
		chCatalog: 1e7,                                                       // "C" + 7 digits
		chDept:    1e8,                                                       // "DP" + 8 digits
		chCall:    1e9,                                                       // "CC" + 9 digits
		chRakuten: 1 << 60,                                                   // "rk-" + hex
		chYahoo:   1e10,                                                      // "yh" + 10 digits
		chAmazon:  36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36, // 12 base-36 symbols
	}
	for c := range numChannels {
		g.ids[c] = newPerm(idSpace[c], key())
	}
	g.masked[0] = newPerm(idSpace[chAmazon], key())
	g.masked[1] = newPerm(1<<60, key())
	g.mobile = newPerm(9e7, key())
	g.card = newPerm(1e11, key())
	g.land = make([]perm, len(g.tab.areaCodes))
	g.landN = make([]uint64, len(g.tab.areaCodes))
	for i, ac := range g.tab.areaCodes {
		local := 10 - len(ac) // digits after the area code
		n := uint64(8)
		for range local - 1 {
			n *= 10
		}
		g.land[i] = newPerm(n, key())
	}
	return g
}

// chance reports true with probability perMille/1000.
func (g *generator) chance(perMille int) bool { return g.r.IntN(1000) < perMille }

// pick returns an index drawn with the given integer weights.
func (g *generator) pick(w ...int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	n := g.r.IntN(total)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

// pickCum draws an index from cumulative weights.
func (g *generator) pickCum(cum []int) int {
	n := g.r.IntN(cum[len(cum)-1])
	i, _ := slices.BinarySearch(cum, n+1)
	return i
}

// person is the ground truth about one real person.
type person struct {
	idx    int
	id     string
	female bool
	year   int
	month  int
	day    int
	gen    int

	fam    int  // index in families
	famOld bool // registered with the old kanji form
	famAlt bool // ... its second variant (渡邉 rather than 渡邊)
	given  *nameEntry
	style  int // romaji style

	maiden    int // index in families, -1 if not married in the window
	maidenOld bool
	married   time.Time

	home     addr
	prev     addr // before moving
	moved    time.Time
	mobile   phone
	land     phone
	prevLand phone

	emails    [2]string
	nEmails   int
	yahooMail int // index of a yahoo.co.jp address, -1 if none
	card      string
	optIn     bool // likes marketing e-mail
	vip       bool
	link      bool // always show e-mail and mobile (a married woman's records stay linkable)

	chans [4]int
	times [4]time.Time
	n     int
}

type addr struct {
	row      int // index in postalRows
	chome    int // 0 if the town has no 丁目
	ban, gou int // 番地, 号 (gou 0: none)
	building string
	room     int // 0: none
}

type phone struct {
	digits string // 10 or 11 digits
	area   int    // length of the area code / mobile prefix
}

func (p phone) ok() bool { return p.digits != "" }

const (
	relSingle = iota
	relCouple
	relFamily // parent and child
)

// household generates one household (one or two people) and emits its
// records.
func (g *generator) household(emit func(Record) error) error {
	size := 1
	if g.people-g.next >= 2 && g.chance(80) {
		size = 2
	}
	head := &g.hh[0]
	if size == 1 {
		g.newPerson(head, nil, relSingle)
	} else {
		rel := relCouple
		if g.chance(400) {
			rel = relFamily
		}
		g.newPerson(head, nil, rel)
		g.newPerson(&g.hh[1], head, rel)
		g.share(head, &g.hh[1])
	}
	for i := range size {
		p := &g.hh[i]
		for k := range p.n {
			if err := emit(g.record(p, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// newPerson fills p with a new person: alone, or a member of head's
// household.
func (g *generator) newPerson(p *person, head *person, rel int) {
	*p = person{idx: g.next, maiden: -1, yahooMail: -1}
	g.next++
	p.id = string(appendDigits([]byte{'p'}, uint64(p.idx+1), 7))

	switch {
	case head == nil:
		p.female = g.chance(580)
		gen := g.pick(12, 25, 33, 30)
		p.year = genFirstYear[gen] + g.r.IntN(genFirstYear[gen+1]-genFirstYear[gen])
	case rel == relCouple:
		p.female = !head.female
		p.year = min(max(head.year+g.r.IntN(11)-5, 1945), 2006)
	default: // parent and grown-up child
		p.female = g.chance(550)
		if head.year >= 1978 {
			p.year = max(head.year-25-g.r.IntN(11), 1945)
		} else {
			p.year = min(head.year+25+g.r.IntN(11), 2006)
		}
	}
	for p.gen = 0; p.year >= genFirstYear[p.gen+1]; p.gen++ {
	}
	p.month = 1 + g.r.IntN(12)
	p.day = 1 + g.r.IntN(daysIn(p.year, p.month))

	sex := 1
	if p.female {
		sex = 0
	}
	p.given = &g.tab.givens[p.gen][sex][g.pickCum(g.tab.givenCum[p.gen][sex])]
	p.style = g.pick(70, 25, 5)
	if head == nil {
		p.fam = g.pickCum(g.tab.familyCum)
		if f := &g.tab.families[p.fam]; f.old != "" {
			p.famOld = g.chance(f.oldRate)
			p.famAlt = g.tab.familyOld2[p.fam] != "" && g.chance(400)
		}
		p.home = g.newAddr(-1)
	} else {
		p.fam, p.famOld, p.famAlt = head.fam, head.famOld, head.famAlt
		p.home = head.home
	}

	// Phones: almost everyone has a mobile; landlines are for the old.
	if g.chance([generations]int{800, 960, 980, 985}[p.gen]) {
		p.mobile = g.newMobile(p.gen)
	}
	if g.chance([generations]int{650, 350, 150, 60}[p.gen]) || !p.mobile.ok() {
		p.land = g.newLandline(p.home.row)
	}

	g.chooseChannels(p)
	g.chooseTimes(p)

	// Life events, for people living alone (a household shares its address).
	if rel != relSingle {
		// no events
	} else if p.female && p.year >= 1980 && p.year <= 2002 && g.chance(100) {
		p.maiden = g.pickCum(g.tab.familyCum)
		for p.maiden == p.fam {
			p.maiden = g.pickCum(g.tab.familyCum)
		}
		if f := &g.tab.families[p.maiden]; f.old != "" {
			p.maidenOld = g.chance(f.oldRate)
		}
		p.married = g.pivot(p)
		p.link = true
		if g.chance(600) { // moved in with her husband
			p.prev, p.moved = p.home, p.married
			p.home = g.newAddr(-1)
			p.prevLand, p.land = p.land, phone{}
			if p.prevLand.ok() && g.chance(300) {
				p.land = g.newLandline(p.home.row)
			}
		}
	} else if g.chance(120) {
		p.moved = g.pivot(p)
		p.prev = p.home
		pref := -1
		if g.chance(600) {
			pref = g.tab.prefOf(p.prev.row)
		}
		p.home = g.newAddr(pref)
		if p.land.ok() {
			p.prevLand = p.land
			p.land = phone{}
			if g.chance(700) || !p.mobile.ok() {
				p.land = g.newLandline(p.home.row)
			}
		}
	}

	// E-mail: the ec site, the app and Yahoo! need one.
	needs := false
	for _, c := range p.chans[:p.n] {
		needs = needs || c == chEC || c == chApp || c == chYahoo
	}
	if needs || g.chance([generations]int{700, 850, 930, 960}[p.gen]) {
		p.emails[0] = g.newEmail(p)
		p.nEmails = 1
		if g.chance(250) {
			p.emails[1] = g.newEmail(p)
			p.nEmails = 2
		}
		p.findYahooMail()
	}
	for _, c := range p.chans[:p.n] {
		if (c == chStore || c == chApp || c == chDept) && p.card == "" && g.chance(700) {
			p.card = g.newCard()
		}
	}
	p.optIn = g.chance([generations]int{450, 550, 550, 600}[p.gen])
	vipRate := 15
	for _, c := range p.chans[:p.n] {
		if c == chDept {
			vipRate = 60
		}
	}
	p.vip = g.chance(vipRate)
}

// share links the two members of a household.
func (g *generator) share(head, m *person) {
	// One landline for the home.
	if head.land.ok() {
		m.land = head.land
	} else if m.land.ok() {
		head.land = m.land
	}
	// A family e-mail address, or one's address used by both.
	if g.chance(400) {
		var shared string
		if head.nEmails > 0 && g.chance(500) {
			shared = head.emails[0]
		} else {
			shared = g.familyEmail(head)
			if head.nEmails == 0 {
				head.nEmails = 1
			}
			head.emails[0] = shared
		}
		if m.nEmails == 0 {
			m.nEmails = 1
		}
		m.emails[0] = shared
		head.findYahooMail()
		m.findYahooMail()
	}
	// One mobile for two (an elderly parent uses the child's, or a couple
	// registers the same number).
	if head.mobile.ok() && g.chance(100) {
		m.mobile = head.mobile
	}
}

// findYahooMail notes which address, if any, is a Yahoo! one: the
// Yahoo! Shopping record uses it.
func (p *person) findYahooMail() {
	p.yahooMail = -1
	for i := range p.nEmails {
		if strings.HasSuffix(p.emails[i], "@yahoo.co.jp") {
			p.yahooMail = i
		}
	}
}

// pivot returns a time between a person's first and last records, so that
// an event (move, marriage) separates them; any time if there is one record.
func (g *generator) pivot(p *person) time.Time {
	if p.n < 2 {
		return g.from.Add(time.Duration(g.r.Int64N(g.span)) * time.Second)
	}
	a, b := p.times[0], p.times[p.n-1]
	d := int64(b.Sub(a) / time.Second)
	if d < 2 {
		return b
	}
	return a.Add(time.Duration(1+g.r.Int64N(d-1)) * time.Second)
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Channel mix weights (integers so results are the same on every CPU).
var (
	channelBase = [numChannels]int{chStore: 300, chEC: 220, chApp: 150, chCatalog: 50, chDept: 50, chCall: 20, chRakuten: 120, chYahoo: 60, chAmazon: 90}
	// per-cent multipliers by generation
	channelGen = [generations][numChannels]int{
		gen1945: {100, 60, 25, 500, 250, 300, 60, 80, 50},
		gen1960: {100, 100, 70, 200, 180, 150, 100, 120, 90},
		gen1975: {100, 100, 120, 60, 80, 60, 120, 100, 120},
		gen1990: {100, 110, 200, 15, 40, 30, 110, 90, 130},
	}
	channelMale = [numChannels]int{100, 100, 100, 60, 60, 100, 100, 100, 150}
	// channelAffinity[a][b] multiplies b's weight (per cent) once a is picked.
	channelAffinity = func() (m [numChannels][numChannels]int) {
		for a := range m {
			for b := range m[a] {
				m[a][b] = 100
			}
		}
		set := func(a, b, pct int) { m[a][b] = pct }
		set(chStore, chApp, 300)
		set(chStore, chDept, 70)
		set(chEC, chRakuten, 140)
		set(chEC, chApp, 130)
		set(chApp, chStore, 250)
		set(chApp, chEC, 130)
		set(chCatalog, chCall, 600)
		set(chCatalog, chDept, 130)
		set(chDept, chStore, 130)
		set(chDept, chCatalog, 130)
		set(chCall, chCatalog, 400)
		set(chRakuten, chYahoo, 150)
		set(chRakuten, chAmazon, 130)
		set(chYahoo, chRakuten, 150)
		set(chAmazon, chRakuten, 130)
		return m
	}()
)

func (g *generator) chooseChannels(p *person) {
	p.n = 1 + g.pick(550, 270, 120, 60)
	var w [numChannels]int
	for c := range numChannels {
		w[c] = channelBase[c] * channelGen[p.gen][c] / 100
		if !p.female {
			w[c] = w[c] * channelMale[c] / 100
		}
	}
	for i := range p.n {
		c := g.pick(w[:]...)
		p.chans[i] = c
		for o := range numChannels {
			w[o] = w[o] * channelAffinity[c][o] / 100
		}
		w[c] = 0
	}
}

// chooseTimes draws when each record was last observed, in the local
// opening hours of the channel, and sorts the channels by it.
func (g *generator) chooseTimes(p *person) {
	for i := range p.n {
		p.times[i] = g.observedAt(p.chans[i])
	}
	// insertion sort, n ≤ 4
	for i := 1; i < p.n; i++ {
		for j := i; j > 0 && p.times[j].Before(p.times[j-1]); j-- {
			p.times[j], p.times[j-1] = p.times[j-1], p.times[j]
			p.chans[j], p.chans[j-1] = p.chans[j-1], p.chans[j]
		}
	}
}

func (g *generator) observedAt(ch int) time.Time {
	from, span := g.from, g.span
	if ch == chApp {
		from, span = g.appFrom, g.appSpan
	}
	t := from.Add(time.Duration(g.r.Int64N(span)) * time.Second).In(jst)
	var h int
	switch ch {
	case chStore, chDept:
		h = 10 + g.r.IntN(10)
	case chCall:
		h = 9 + g.r.IntN(9)
	default:
		if g.chance(550) {
			h = 19 + g.r.IntN(5)
		} else {
			h = 7 + g.r.IntN(12)
		}
	}
	y, m, d := t.Date()
	t = time.Date(y, m, d, h, g.r.IntN(60), g.r.IntN(60), 0, jst)
	if !t.Before(g.start) {
		t = t.AddDate(0, 0, -1)
	}
	if t.Before(from) {
		t = t.AddDate(0, 0, 1)
	}
	return t.UTC()
}

// newAddr draws an address, in a given prefecture or (pref < 0) anywhere,
// weighted by population.
func (g *generator) newAddr(pref int) addr {
	if pref < 0 {
		pref = g.pickCum(g.tab.prefCum)
	}
	rows := g.tab.prefRows[pref]
	a := addr{row: rows[0] + g.r.IntN(rows[1]-rows[0])}
	row := &g.tab.postalRows[a.row]
	if row.chome {
		a.chome = 1 + g.r.IntN(1+g.r.IntN(7))
		a.ban = 1 + g.r.IntN(1+g.r.IntN(35))
		a.gou = 1 + g.r.IntN(1+g.r.IntN(30))
	} else {
		a.ban = 1 + g.r.IntN(1+g.r.IntN(2500))
		if g.chance(650) {
			a.gou = 1 + g.r.IntN(1+g.r.IntN(30))
		}
	}
	flats := 250
	if row.urban {
		flats = 550
	}
	if g.chance(flats) {
		word := buildingWord[g.r.IntN(len(buildingWord))]
		var name string
		lowRise := false
		if g.chance(500) {
			name = buildingPre[g.r.IntN(len(buildingPre))] + word
		} else {
			post := buildingPost[g.r.IntN(len(buildingPost))]
			name = word + post
			lowRise = post == "荘" || post == "ハイツ" || post == "コーポ" || post == "ハイム"
		}
		if g.chance(80) {
			name += []string{"II", "A棟", "B棟", "壱番館", "弐番館"}[g.r.IntN(5)]
		}
		a.building = name
		floors := 15
		if lowRise {
			floors = 3
		}
		a.room = (1+g.r.IntN(1+g.r.IntN(floors)))*100 + 1 + g.r.IntN(8)
	}
	return a
}

// mobilePrefixWeights: 090 numbers ran out in the 2000s, 070 opened to
// mobiles in 2013, so prefixes follow the owner's age.
var mobilePrefixWeights = [generations][3]int{{0, 20, 80}, {5, 30, 65}, {10, 45, 45}, {35, 45, 20}}

func (g *generator) newMobile(gen int) phone {
	w := mobilePrefixWeights[gen]
	prefix := [3]string{"070", "080", "090"}[g.pick(w[:]...)]
	v := g.mobile.at(g.mobileN) + 1e7 // 8 digits, not starting with 0
	g.mobileN++
	return phone{digits: string(appendDigits([]byte(prefix), v, 8)), area: 3}
}

func (g *generator) newLandline(row int) phone {
	a := g.tab.rowArea[row]
	ac := g.tab.areaCodes[a]
	local := 10 - len(ac)
	p := &g.land[a]
	first := p.n / 8 * 2 // local numbers start with 2–9
	// Some local exchanges are not allocated; draw again until the number
	// is one Japan's numbering plan could have issued (a few tries at most).
	for try := 0; ; try++ {
		v := p.at(g.landN[a]%p.n) + first
		g.landN[a]++
		digits := string(appendDigits([]byte(ac), v, local))
		if _, _, err := normalize.Phone(digits); err == nil || try == 20 {
			return phone{digits: digits, area: len(ac)}
		}
	}
}

// newCard returns a new member card number: 13 digits starting with 2 (an
// in-store JAN code), the last a check digit.
func (g *generator) newCard() string {
	b := appendDigits([]byte{'2'}, g.card.at(g.cardN), 11)
	g.cardN++
	sum := 0
	for i, c := range b {
		d := int(c - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return string(append(b, byte('0'+(10-sum%10)%10)))
}

// externalID returns the next member ID of a channel, in its format.
func (g *generator) externalID(ch int) string {
	v := g.ids[ch].at(g.idN[ch])
	g.idN[ch]++
	var b []byte
	switch ch {
	case chStore:
		b = appendDigits(append(make([]byte, 0, 11), 'S'), v, 10)
	case chEC:
		b = appendDigits(append(make([]byte, 0, 10), 'E', 'C'), v, 8)
	case chApp:
		b = make([]byte, 0, 36)
		b = appendBase(b, v>>28, 8, hexDigits)
		b = append(b, '-')
		b = appendBase(b, (v>>12)&0xffff, 4, hexDigits)
		b = append(b, '-', '4')
		b = appendBase(b, v&0xfff, 3, hexDigits)
		b = append(b, '-', "89ab"[g.r.IntN(4)])
		b = appendBase(b, g.r.Uint64N(1<<12), 3, hexDigits)
		b = append(b, '-')
		b = appendBase(b, g.r.Uint64N(1<<48), 12, hexDigits)
	case chCatalog:
		b = appendDigits([]byte{'C'}, v, 7)
	case chDept:
		b = appendDigits([]byte("DP"), v, 8)
	case chCall:
		b = appendDigits([]byte("CC"), v, 9)
	case chRakuten:
		b = appendBase(append([]byte("rk-"), hexDigits[g.r.IntN(16)]), v, 15, hexDigits)
	case chYahoo:
		b = appendDigits([]byte("yh"), v, 10)
	case chAmazon:
		b = appendBase([]byte{'A', "123"[g.r.IntN(3)]}, v, 12, upperAlnum)
	}
	return string(b)
}

// record builds the k-th record of p.
func (g *generator) record(p *person, k int) Record {
	ch, at := p.chans[k], p.times[k]
	rec := Record{
		Channel:    channels[ch].Code,
		ExternalID: g.externalID(ch),
		PersonID:   p.id,
		ObservedAt: at,
	}
	pr := &rec.Profile
	maiden := p.maiden >= 0 && at.Before(p.married)
	moved := !p.moved.IsZero() && at.Before(p.moved)
	g.names(pr, p, ch, maiden)
	g.contact(pr, p, ch, moved)
	g.personal(pr, p, ch, at)
	return rec
}

func (g *generator) birthDate(y, m, d int) string {
	b := make([]byte, 0, 10)
	b = appendDigits(b, uint64(y), 4)
	b = append(b, '-')
	b = appendDigits(b, uint64(m), 2)
	b = append(b, '-')
	b = appendDigits(b, uint64(d), 2)
	return string(b)
}

// personal fills birth date, gender, member card, consents and tags.
func (g *generator) personal(pr *customer.Profile, p *person, ch int, at time.Time) {
	birth := [numChannels]int{chStore: 850, chEC: 600, chApp: 850, chCatalog: 600, chDept: 900, chCall: 100}[ch]
	if g.chance(birth) {
		if ch == chStore && g.chance(15) {
			pr.BirthDate = g.birthDate(p.year, 1, 1) // POS placeholder: only the year was asked
		} else {
			pr.BirthDate = g.birthDate(p.year, p.month, p.day)
		}
	}
	gender := [numChannels]int{chStore: 850, chEC: 600, chApp: 800, chCatalog: 500, chDept: 900, chCall: 200, chRakuten: 300}[ch]
	if g.chance(gender) {
		switch {
		case ch == chApp && g.chance(30):
			pr.Gender = "unknown" // 回答しない
		case p.female:
			pr.Gender = "female"
		default:
			pr.Gender = "male"
		}
	}
	if p.card != "" {
		card := [numChannels]int{chStore: 1000, chApp: 900, chDept: 950, chEC: 300, chCall: 300}[ch]
		if p.link && card > 0 {
			card = 1000
		}
		if g.chance(card) {
			c := p.card
			switch g.pick(750, 150, 100) {
			case 1:
				c = c[:4] + "-" + c[4:8] + "-" + c[8:]
			case 2:
				c = c[:1] + " " + c[1:7] + " " + c[7:]
			}
			if ch == chDept && g.chance(100) {
				c = toFullWidth(c)
			}
			pr.MemberCards = []string{c}
		}
	}
	g.consents(pr, p, ch, at)

	var tags []string
	if p.vip && (ch == chDept || (ch == chStore && g.chance(700))) {
		tags = append(tags, "VIP")
	}
	if (ch == chDept || ch == chCatalog || ch == chEC) && g.chance(30) {
		tags = append(tags, "ギフト需要")
	}
	if ch == chEC || ch == chRakuten || ch == chYahoo {
		for _, c := range pr.Consents {
			if c.Channel == "email" && c.Granted && g.chance(300) {
				tags = append(tags, "メルマガ購読")
			}
		}
	}
	pr.Tags = tags
}

func (g *generator) consents(pr *customer.Profile, p *person, ch int, at time.Time) {
	var cs []customer.Consent
	add := func(channel string, granted bool) {
		// given at sign-up or a later visit, up to half a year before
		t := at.Add(-time.Duration(g.r.Int64N(180*24*3600)) * time.Second)
		cs = append(cs, customer.Consent{Purpose: "marketing", Channel: channel, Granted: granted, At: t})
	}
	optIn := func() bool { return p.optIn != g.chance(100) } // a tenth answer otherwise
	switch ch {
	case chEC:
		add("email", optIn())
	case chApp:
		if g.chance(600) {
			add("push", g.chance(650))
		}
		if g.chance(250) {
			add("line", g.chance(800))
		}
		if g.chance(400) {
			add("email", optIn())
		}
	case chStore:
		if g.chance(300) {
			add("direct_mail", g.chance(700))
		}
		if len(pr.Emails) > 0 && g.chance(200) {
			add("email", optIn())
		}
	case chCatalog:
		if g.chance(800) {
			add("direct_mail", g.chance(900))
		}
	case chDept:
		if g.chance(400) {
			add("direct_mail", g.chance(750))
		}
	case chCall:
		if g.chance(100) {
			add("direct_mail", false) // カタログ送付停止のご依頼
		}
		if g.chance(30) {
			add("email", false)
		}
	case chRakuten, chYahoo:
		if g.chance(600) {
			add("email", g.chance(700))
		}
	}
	pr.Consents = cs
}
