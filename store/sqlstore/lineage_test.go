package sqlstore

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/customer"
)

func TestLineageRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	fields := []string{customer.FieldName, customer.FieldNameKana, customer.FieldEmails, customer.FieldPhones, customer.FieldAddresses, customer.FieldBirthDate, "attributes.shoe_size"}
	channels := []string{"store", "ec", "rakuten", "app"}
	for i := range 500 {
		l := map[string]customer.Lineage{}
		nsrc := 1 + rnd.IntN(4)
		for _, f := range fields {
			if rnd.IntN(3) == 0 {
				continue
			}
			s := rnd.IntN(nsrc)
			l[f] = customer.Lineage{
				SourceProfileID: "src_" + strings.Repeat(string(rune('a'+s)), 24),
				Version:         1 + s,
				Channel:         channels[s%len(channels)],
				Rule:            customer.Rules[rnd.IntN(len(customer.Rules))],
				ObservedAt:      time.UnixMicro(1700000000000000 + int64(s)*123456789).UTC(),
			}
		}
		enc, err := encodeLineage(l)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(enc, lineagePrefix) {
			t.Fatalf("case %d: not compact: %s", i, enc)
		}
		got, err := decodeLineage(enc)
		if err != nil {
			t.Fatalf("case %d: decode %q: %v", i, enc, err)
		}
		if !reflect.DeepEqual(got, l) {
			t.Fatalf("case %d: round trip\n got %+v\nwant %+v\n via %s", i, got, l, enc)
		}
		j, _ := json.Marshal(l)
		if len(l) > 2 && len(enc)*2 > len(j) {
			t.Errorf("case %d: compact form %d bytes, JSON %d: expected at most half", i, len(enc), len(j))
		}
	}
}

func TestLineageFallsBackToJSON(t *testing.T) {
	odd := map[string]customer.Lineage{
		"name":   {SourceProfileID: "src_a,b", Version: 1, Channel: "store", Rule: customer.RuleMostRecent, ObservedAt: time.Unix(1, 5).UTC()},
		"gender": {SourceProfileID: "src_c", Version: 2, Channel: "ec", Rule: "custom_rule", ObservedAt: time.Unix(2, 0).UTC()},
	}
	enc, err := encodeLineage(odd)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "{") {
		t.Fatalf("want JSON for values the compact form cannot carry, got %s", enc)
	}
	got, err := decodeLineage(enc)
	if err != nil || !reflect.DeepEqual(got, odd) {
		t.Fatalf("JSON round trip: %v %+v", err, got)
	}
	// Rows written before the compact form existed.
	old := `{"name":{"source_profile_id":"src_x","version":3,"channel":"app","rule":"most_frequent","observed_at":"2025-02-06T08:33:24Z"}}`
	got, err = decodeLineage(old)
	if err != nil || got["name"].SourceProfileID != "src_x" || got["name"].Rule != customer.RuleMostFrequent || got["name"].Version != 3 {
		t.Fatalf("old JSON row: %v %+v", err, got)
	}
	empty, _ := encodeLineage(map[string]customer.Lineage{})
	if got, err := decodeLineage(empty); err != nil || len(got) != 0 {
		t.Fatalf("empty lineage %q: %v %v", empty, got, err)
	}
	for _, bad := range []string{"L2;src_a,1,store|name=0p", "L2;src_a,x,store,1|name=0p", "L2;src_a,1,store,1|name=1p", "L2;src_a,1,store,1|name=0z", "L2;src_a,1,store,1"} {
		if _, err := decodeLineage(bad); err == nil {
			t.Errorf("decodeLineage(%q) accepted a corrupt value", bad)
		}
	}
}
