package customer

import (
	"slices"
	"sort"
	"time"
)

// Customer statuses.
const (
	StatusActive = "active"
	StatusMerged = "merged" // folded into MergedInto; kept so unmerge can restore it
	StatusErased = "erased" // personal data removed on a deletion request
)

// Customer is the golden record: one person across every channel.
type Customer struct {
	ID         string             `json:"id"`
	Status     string             `json:"status" enum:"active,merged,erased"`
	MergedInto string             `json:"merged_into,omitempty"`
	Suppressed bool               `json:"suppressed" doc:"True when the person matches an earlier erasure request: never market to them"`
	Profile    Profile            `json:"profile"`
	Lineage    map[string]Lineage `json:"lineage" doc:"For each golden field, the source record and rule that supplied it"`
	Channels   []string           `json:"channels" doc:"Channels this customer has source records in"`
	Version    int                `json:"version" doc:"Increases on every change; the ETag"`
	CreatedAt  time.Time          `json:"created_at"`
	UpdatedAt  time.Time          `json:"updated_at"`
}

// Lineage says where a golden field's value came from.
type Lineage struct {
	SourceProfileID string    `json:"source_profile_id"`
	Version         int       `json:"version"`
	Channel         string    `json:"channel"`
	Rule            Rule      `json:"rule"`
	ObservedAt      time.Time `json:"observed_at"`
}

// Rule is a survivorship rule: how one golden field is chosen among sources.
type Rule string

const (
	RuleSourcePriority Rule = "source_priority" // the most trusted channel wins (Channel.Priority), then the newest
	RuleMostRecent     Rule = "most_recent"     // the newest observation wins, then the most trusted
	RuleMostFrequent   Rule = "most_frequent"   // the value most sources agree on wins, then the most trusted
)

// Rules lists the valid rules.
var Rules = []Rule{RuleSourcePriority, RuleMostRecent, RuleMostFrequent}

// Golden field groups. Names are chosen together (family and given name from
// one source) so a golden name is never half maiden name, half married name.
const (
	FieldName        = "name"
	FieldNameKana    = "name_kana"
	FieldNameRomaji  = "name_romaji"
	FieldBirthDate   = "birth_date"
	FieldGender      = "gender"
	FieldEmails      = "emails"
	FieldPhones      = "phones"
	FieldAddresses   = "addresses"
	FieldMemberCards = "member_cards"
	FieldAttributes  = "attributes"
)

// GoldenFields lists the field groups survivorship rules apply to.
var GoldenFields = []string{FieldName, FieldNameKana, FieldNameRomaji, FieldBirthDate, FieldGender,
	FieldEmails, FieldPhones, FieldAddresses, FieldMemberCards, FieldAttributes}

// Survivorship configures the rule per field group.
type Survivorship struct {
	Default Rule            `json:"default"`
	Fields  map[string]Rule `json:"fields"`
}

// DefaultSurvivorship is what a retailer usually wants: names from the most
// trusted channel (staff edits, then own channels before marketplaces), the
// birth date most channels agree on, contact data that is newest.
func DefaultSurvivorship() Survivorship {
	return Survivorship{
		Default: RuleSourcePriority,
		Fields: map[string]Rule{
			FieldName: RuleSourcePriority, FieldNameKana: RuleSourcePriority, FieldNameRomaji: RuleSourcePriority,
			FieldBirthDate: RuleMostFrequent, FieldGender: RuleSourcePriority,
			FieldEmails: RuleMostRecent, FieldPhones: RuleMostRecent, FieldAddresses: RuleMostRecent,
			FieldMemberCards: RuleMostRecent, FieldAttributes: RuleMostRecent,
		},
	}
}

// RuleFor returns the rule for a field group.
func (s Survivorship) RuleFor(field string) Rule {
	if r, ok := s.Fields[field]; ok && r != "" {
		return r
	}
	if s.Default != "" {
		return s.Default
	}
	return RuleSourcePriority
}

// candidate is one source's value for one field group.
type candidate[T any] struct {
	src   *SourceProfile
	value T
}

// BuildGolden computes the golden profile, its lineage and the channel list
// from a customer's current source profiles. It is a pure function: the same
// sources and rules always give the same record, which is what makes unmerge
// exact and lets survivorship settings be changed and re-applied.
func BuildGolden(sources []SourceProfile, rules Survivorship, priority func(channel string) int) (Profile, map[string]Lineage, []string) {
	srcs := make([]*SourceProfile, 0, len(sources))
	for i := range sources {
		if !sources[i].Erased {
			srcs = append(srcs, &sources[i])
		}
	}
	// A stable order makes ties deterministic regardless of storage order.
	sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].ID < srcs[j].ID })

	var g Profile
	lin := map[string]Lineage{}
	b := builder{rules: rules, priority: priority, lineage: lin}

	if c, ok := pick(b, FieldName, srcs, func(p *Profile) ([2]string, bool) {
		return [2]string{p.FamilyName, p.GivenName}, p.FamilyName != "" || p.GivenName != ""
	}); ok {
		g.FamilyName, g.GivenName = c[0], c[1]
	}
	if c, ok := pick(b, FieldNameKana, srcs, func(p *Profile) ([2]string, bool) {
		return [2]string{p.FamilyNameKana, p.GivenNameKana}, p.FamilyNameKana != "" || p.GivenNameKana != ""
	}); ok {
		g.FamilyNameKana, g.GivenNameKana = c[0], c[1]
	}
	if c, ok := pick(b, FieldNameRomaji, srcs, func(p *Profile) ([2]string, bool) {
		return [2]string{p.FamilyNameRomaji, p.GivenNameRomaji}, p.FamilyNameRomaji != "" || p.GivenNameRomaji != ""
	}); ok {
		g.FamilyNameRomaji, g.GivenNameRomaji = c[0], c[1]
	}
	g.BirthDate, _ = pick(b, FieldBirthDate, srcs, func(p *Profile) (string, bool) { return p.BirthDate, p.BirthDate != "" })
	g.Gender, _ = pick(b, FieldGender, srcs, func(p *Profile) (string, bool) {
		return p.Gender, p.Gender != "" && p.Gender != "unknown"
	})
	g.Emails = pickList(b, FieldEmails, srcs, func(p *Profile) []string { return p.Emails })
	g.Phones = pickList(b, FieldPhones, srcs, func(p *Profile) []string { return p.Phones })
	g.MemberCards = pickList(b, FieldMemberCards, srcs, func(p *Profile) []string { return p.MemberCards })
	g.Addresses = pickAddresses(b, srcs)
	g.Attributes = pickAttributes(b, srcs)
	g.Consents = mergeConsents(srcs)
	g.Tags = unionTags(srcs)

	var channels []string
	for _, s := range srcs {
		if !slices.Contains(channels, s.Channel) {
			channels = append(channels, s.Channel)
		}
	}
	sort.Strings(channels)
	return g, lin, channels
}

type builder struct {
	rules    Survivorship
	priority func(string) int
	lineage  map[string]Lineage
}

// better reports whether a should be preferred to b under rule r, before
// frequency is considered.
func (b builder) better(r Rule, x, y *SourceProfile) bool {
	px, py := b.priority(x.Channel), b.priority(y.Channel)
	switch r {
	case RuleMostRecent:
		if !x.ObservedAt.Equal(y.ObservedAt) {
			return x.ObservedAt.After(y.ObservedAt)
		}
		if px != py {
			return px < py
		}
	default:
		if px != py {
			return px < py
		}
		if !x.ObservedAt.Equal(y.ObservedAt) {
			return x.ObservedAt.After(y.ObservedAt)
		}
	}
	return x.ID < y.ID
}

func pick[T comparable](b builder, field string, srcs []*SourceProfile, get func(*Profile) (T, bool)) (T, bool) {
	var cands []candidate[T]
	for _, s := range srcs {
		if v, ok := get(&s.Profile); ok {
			cands = append(cands, candidate[T]{src: s, value: v})
		}
	}
	var zero T
	if len(cands) == 0 {
		return zero, false
	}
	rule := b.rules.RuleFor(field)
	best := 0
	var count map[T]int // only most_frequent needs it
	if rule == RuleMostFrequent {
		count = make(map[T]int, len(cands))
		for _, c := range cands {
			count[c.value]++
		}
	}
	for i := 1; i < len(cands); i++ {
		ci, cb := cands[i], cands[best]
		if rule == RuleMostFrequent && count[ci.value] != count[cb.value] {
			if count[ci.value] > count[cb.value] {
				best = i
			}
			continue
		}
		if b.better(rule, ci.src, cb.src) {
			best = i
		}
	}
	c := cands[best]
	b.lineage[field] = Lineage{SourceProfileID: c.src.ID, Version: c.src.Version, Channel: c.src.Channel, Rule: rule, ObservedAt: c.src.ObservedAt}
	return c.value, true
}

// pickList unions every source's values; the value the rule picks comes first
// (it is the primary email, phone or card).
func pickList(b builder, field string, srcs []*SourceProfile, get func(*Profile) []string) []string {
	type flat struct {
		src *SourceProfile
		v   string
	}
	var all []flat
	for _, s := range srcs {
		for _, v := range get(&s.Profile) {
			if v != "" {
				all = append(all, flat{s, v})
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	first, _ := pick(b, field, srcs, func(p *Profile) (string, bool) {
		l := get(p)
		if len(l) == 0 {
			return "", false
		}
		return l[0], true
	})
	out := []string{first}
	// Remaining values ordered by how the rule ranks their sources.
	rule := b.rules.RuleFor(field)
	sort.SliceStable(all, func(i, j int) bool { return b.better(rule, all[i].src, all[j].src) })
	for _, f := range all {
		if !slices.Contains(out, f.v) {
			out = append(out, f.v)
		}
	}
	return out
}

func pickAddresses(b builder, srcs []*SourceProfile) []Address {
	first, ok := pick(b, FieldAddresses, srcs, func(p *Profile) (Address, bool) {
		if len(p.Addresses) == 0 {
			return Address{}, false
		}
		return p.Addresses[0], true
	})
	if !ok {
		return nil
	}
	out := []Address{first}
	rule := b.rules.RuleFor(FieldAddresses)
	ordered := slices.Clone(srcs)
	sort.SliceStable(ordered, func(i, j int) bool { return b.better(rule, ordered[i], ordered[j]) })
	for _, s := range ordered {
		for _, a := range s.Profile.Addresses {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// pickAttributes chooses each custom attribute independently.
func pickAttributes(b builder, srcs []*SourceProfile) map[string]any {
	var names []string
	for _, s := range srcs {
		for k := range s.Profile.Attributes {
			if !slices.Contains(names, k) {
				names = append(names, k)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	out := map[string]any{}
	rule := b.rules.RuleFor(FieldAttributes)
	for _, n := range names {
		var best *SourceProfile
		for _, s := range srcs {
			if _, ok := s.Profile.Attributes[n]; ok && (best == nil || b.better(rule, s, best)) {
				best = s
			}
		}
		out[n] = best.Profile.Attributes[n]
		b.lineage[FieldAttributes+"."+n] = Lineage{SourceProfileID: best.ID, Version: best.Version, Channel: best.Channel, Rule: rule, ObservedAt: best.ObservedAt}
	}
	return out
}

// mergeConsents keeps, per purpose and contact channel, the newest statement:
// consent law cares about the customer's latest word, whichever channel took it.
func mergeConsents(srcs []*SourceProfile) []Consent {
	latest := map[[2]string]Consent{}
	for _, s := range srcs {
		for _, c := range s.Profile.Consents {
			k := [2]string{c.Purpose, c.Channel}
			if cur, ok := latest[k]; !ok || c.At.After(cur.At) || (c.At.Equal(cur.At) && !c.Granted) {
				latest[k] = c
			}
		}
	}
	if len(latest) == 0 {
		return nil
	}
	out := make([]Consent, 0, len(latest))
	for _, c := range latest {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Purpose != out[j].Purpose {
			return out[i].Purpose < out[j].Purpose
		}
		return out[i].Channel < out[j].Channel
	})
	return out
}

func unionTags(srcs []*SourceProfile) []string {
	var tags []string
	for _, s := range srcs {
		for _, t := range s.Profile.Tags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	sort.Strings(tags)
	return tags
}

// HasConsent reports whether the customer may be contacted for purpose on channel.
func (c *Customer) HasConsent(purpose, channel string) bool {
	if c.Suppressed || c.Status != StatusActive {
		return false
	}
	for _, k := range c.Profile.Consents {
		if k.Purpose == purpose && k.Channel == channel {
			return k.Granted
		}
	}
	return false
}
