package customer

import (
	"slices"
	"testing"
	"time"
)

func src(id, channel string, at int, p Profile) SourceProfile {
	return SourceProfile{ID: id, Channel: channel, Version: 1, ObservedAt: time.Date(2026, 1, at, 0, 0, 0, 0, time.UTC), Profile: p}
}

func prio(ch string) int {
	return map[string]int{"manual": 0, "store": 10, "ec": 20, "rakuten": 70}[ch]
}

func TestBuildGoldenRules(t *testing.T) {
	srcs := []SourceProfile{
		src("s1", "rakuten", 20, Profile{FamilyName: "佐藤", GivenName: "花子", BirthDate: "1980-01-02", Emails: []string{"new@example.jp"}, Tags: []string{"b"}}),
		src("s2", "store", 1, Profile{FamilyName: "鈴木", GivenName: "花子", BirthDate: "1980-01-03", Emails: []string{"old@example.jp"}, Tags: []string{"a", "b"}}),
		src("s3", "ec", 10, Profile{BirthDate: "1980-01-02", Consents: []Consent{{Purpose: "marketing", Channel: "email", Granted: true, At: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)}}}),
		src("s4", "rakuten", 15, Profile{Consents: []Consent{{Purpose: "marketing", Channel: "email", Granted: false, At: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)}}}),
	}
	g, lin, chans := BuildGolden(srcs, DefaultSurvivorship(), prio)
	// source_priority: the store outranks Rakuten although Rakuten is newer.
	if g.FamilyName != "鈴木" || lin[FieldName].SourceProfileID != "s2" || lin[FieldName].Rule != RuleSourcePriority {
		t.Errorf("name %q from %+v", g.FamilyName, lin[FieldName])
	}
	// most_frequent: two sources say 01-02.
	if g.BirthDate != "1980-01-02" || lin[FieldBirthDate].Rule != RuleMostFrequent {
		t.Errorf("birth date %q %+v", g.BirthDate, lin[FieldBirthDate])
	}
	// most_recent: the newest email first, the others kept.
	if !slices.Equal(g.Emails, []string{"new@example.jp", "old@example.jp"}) || lin[FieldEmails].SourceProfileID != "s1" {
		t.Errorf("emails %v %+v", g.Emails, lin[FieldEmails])
	}
	// Consent: the customer's latest word wins, whichever channel took it.
	if len(g.Consents) != 1 || g.Consents[0].Granted {
		t.Errorf("consents %+v", g.Consents)
	}
	if !slices.Equal(g.Tags, []string{"a", "b"}) || !slices.Equal(chans, []string{"ec", "rakuten", "store"}) {
		t.Errorf("tags %v channels %v", g.Tags, chans)
	}
	// A rule change applies: most_recent names take Rakuten's.
	rules := DefaultSurvivorship()
	rules.Fields[FieldName] = RuleMostRecent
	g2, lin2, _ := BuildGolden(srcs, rules, prio)
	if g2.FamilyName != "佐藤" || lin2[FieldName].Rule != RuleMostRecent {
		t.Errorf("most_recent name %q %+v", g2.FamilyName, lin2[FieldName])
	}
	// Deterministic whatever the input order.
	rev := slices.Clone(srcs)
	slices.Reverse(rev)
	g3, _, _ := BuildGolden(rev, DefaultSurvivorship(), prio)
	if g3.FamilyName != g.FamilyName || !slices.Equal(g3.Emails, g.Emails) {
		t.Errorf("order-dependent golden record")
	}
	// Erased sources contribute nothing.
	srcs[1].Erased = true
	g4, _, _ := BuildGolden(srcs, DefaultSurvivorship(), prio)
	if g4.FamilyName != "佐藤" || slices.Contains(g4.Emails, "old@example.jp") {
		t.Errorf("erased source still contributes: %+v", g4)
	}
}

func TestHasConsent(t *testing.T) {
	c := Customer{Status: StatusActive, Profile: Profile{Consents: []Consent{{Purpose: "marketing", Channel: "email", Granted: true}}}}
	if !c.HasConsent("marketing", "email") || c.HasConsent("marketing", "sms") {
		t.Fatal("consent lookup wrong")
	}
	c.Suppressed = true
	if c.HasConsent("marketing", "email") {
		t.Fatal("a suppressed (erased-then-reimported) customer must never be marketed to")
	}
}
