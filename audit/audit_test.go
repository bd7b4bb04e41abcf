package audit

import (
	"iter"
	"strings"
	"testing"
	"time"
)

func chain(n int) []Entry {
	var es []Entry
	var seq int64
	hash := ""
	for i := range n {
		e := Entry{At: time.Date(2026, 11, 23, 10, 0, i, 0, time.UTC), ActorType: "apikey", ActorID: "key_1", Action: "customer.read", CustomerID: "cus_1", Detail: []byte(`{"n":1}`)}
		e.Seal(seq, hash)
		seq, hash = e.Seq, e.Hash
		es = append(es, e)
	}
	return es
}

func seq(es []Entry) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func TestVerify(t *testing.T) {
	es := chain(5)
	if n, p, err := Verify(seq(es)); err != nil || p != nil || n != 5 {
		t.Fatalf("intact chain: n=%d p=%v err=%v", n, p, err)
	}
	edited := append([]Entry(nil), es...)
	edited[2].ActorID = "key_2"
	if _, p, _ := Verify(seq(edited)); p == nil || p.Seq != 3 || !strings.Contains(p.Reason, "edited") {
		t.Fatalf("edited entry: %+v", p)
	}
	deleted := append(append([]Entry(nil), es[:1]...), es[2:]...)
	if _, p, _ := Verify(seq(deleted)); p == nil || p.Seq != 2 || !strings.Contains(p.Reason, "missing") {
		t.Fatalf("deleted entry: %+v", p)
	}
	swapped := []Entry{es[0], es[2], es[1], es[3]}
	if _, p, _ := Verify(seq(swapped)); p == nil || p.Seq != 2 {
		t.Fatalf("reordered entries: %+v", p)
	}
	// Rehashing an edited entry does not help: the next link breaks.
	rehashed := append([]Entry(nil), es...)
	rehashed[1].Action = "customer.erase"
	rehashed[1].Hash = rehashed[1].ComputeHash()
	if _, p, _ := Verify(seq(rehashed)); p == nil || p.Seq != 3 || !strings.Contains(p.Reason, "previous-hash") {
		t.Fatalf("rehashed entry: %+v", p)
	}
}

func TestHashCoversEveryField(t *testing.T) {
	base := chain(1)[0]
	mutations := []func(*Entry){
		func(e *Entry) { e.Seq++ }, func(e *Entry) { e.At = e.At.Add(time.Microsecond) }, func(e *Entry) { e.ActorType = "user" },
		func(e *Entry) { e.ActorID = "x" }, func(e *Entry) { e.ActorName = "x" }, func(e *Entry) { e.IP = "10.0.0.1" },
		func(e *Entry) { e.UserAgent = "x" }, func(e *Entry) { e.Terminal = "POS-3" }, func(e *Entry) { e.Action = "x" },
		func(e *Entry) { e.ObjectType = "x" }, func(e *Entry) { e.ObjectID = "x" }, func(e *Entry) { e.CustomerID = "x" },
		func(e *Entry) { e.Detail = []byte(`{"n":2}`) }, func(e *Entry) { e.PrevHash = "x" },
		// Length prefixes: moving a character between two fields changes the hash.
		func(e *Entry) { e.ActorType, e.ActorID = "apikeyk", "ey_1" },
	}
	for i, m := range mutations {
		e := base
		m(&e)
		if e.ComputeHash() == base.Hash {
			t.Errorf("mutation %d does not change the hash", i)
		}
	}
}

func TestRedact(t *testing.T) {
	out := Redact([]Change{{Field: "emails", Before: []string{"a@example.jp"}, After: []string{"b@example.jp"}}, {Field: "tags", Before: nil, After: []string{"VIP"}}, {Field: "given_name", After: "花子"}})
	if out[0].Before != Redacted || out[0].After != Redacted || out[2].After != Redacted || out[2].Before != nil {
		t.Fatalf("personal fields not redacted: %+v", out)
	}
	if tags, ok := out[1].After.([]string); !ok || tags[0] != "VIP" {
		t.Fatalf("non-personal field changed: %+v", out[1])
	}
}
