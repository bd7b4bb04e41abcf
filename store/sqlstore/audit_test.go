package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

var jst = time.FixedZone("JST", 9*3600)

// entries makes n distinct entries, timestamped in JST with nanoseconds
// (the chain must survive both databases' time round trip).
func entries(n int, start int) []audit.Entry {
	base := time.Date(2025, 4, 1, 9, 30, 0, 123456789, jst)
	out := make([]audit.Entry, n)
	for i := range out {
		k := start + i
		d, _ := json.Marshal(map[string]any{"changes": []audit.Change{{Field: "tags", After: []string{fmt.Sprintf("t%d", k)}}}, "version": k})
		out[i] = audit.Entry{
			At: base.Add(time.Duration(k) * time.Second), ActorType: "apikey", ActorID: "key_test", ActorName: "integration",
			IP: "192.0.2.1", UserAgent: "test/1", Terminal: "till-1", Action: "customer.update",
			ObjectType: "customer", ObjectID: fmt.Sprintf("cus_%d", k), CustomerID: fmt.Sprintf("cus_%d", k), Detail: d,
		}
	}
	return out
}

// seed appends n entries in several transactions of different sizes.
func seed(t *testing.T, db *sqlstore.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for done, size := 0, 1; done < n; size *= 3 {
		k := min(size, n-done)
		if err := db.AppendAudit(ctx, entries(k, done+1)...); err != nil {
			t.Fatal(err)
		}
		done += k
	}
}

func verify(t *testing.T, db *sqlstore.DB) (int64, *audit.Problem) {
	t.Helper()
	n, p, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return n, p
}

func TestVerifyAuditIntact(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if n, p := verify(t, db); n != 0 || p != nil {
			t.Fatalf("empty trail: %d entries, problem %v", n, p)
		}
		seed(t, db, 130) // more than one 60-row insert per transaction
		n, p := verify(t, db)
		if n != 130 || p != nil {
			t.Fatalf("intact chain: %d entries checked, problem %v", n, p)
		}
		l, err := db.AuditEntries(ctx, audit.Filter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(l) != 130 || l[0].Seq != 130 || l[129].Seq != 1 || l[129].PrevHash != audit.GenesisHash {
			t.Fatalf("listed %d entries, newest %d", len(l), l[0].Seq)
		}
		for i := 0; i+1 < len(l); i++ {
			if l[i].PrevHash != l[i+1].Hash {
				t.Fatalf("entry %d does not link to %d", l[i].Seq, l[i+1].Seq)
			}
		}
		want := entries(1, 1)[0]
		got := l[129]
		if !got.At.Equal(want.At.Truncate(time.Microsecond)) || got.ActorID != want.ActorID || got.IP != want.IP ||
			got.Terminal != want.Terminal || string(got.Detail) != string(want.Detail) {
			t.Errorf("entry 1 read back as %+v", got)
		}
		// Appending continues the chain.
		if err := db.AppendAudit(ctx, entries(2, 131)...); err != nil {
			t.Fatal(err)
		}
		if n, p := verify(t, db); n != 132 || p != nil {
			t.Fatalf("after more appends: %d, %v", n, p)
		}
	})
}

func TestVerifyAuditDetectsTampering(t *testing.T) {
	type tamper struct {
		name    string
		entries int
		sql     []string // statements run in order
		wantSeq int64
		reason  []string // parts the reason must contain
	}
	cases := []tamper{
		{name: "edited detail", entries: 8,
			sql:     []string{`UPDATE audit_log SET detail = '{"changes":[{"field":"tags"}],"version":1}' WHERE seq = 4`},
			wantSeq: 4, reason: []string{"edited"}},
		{name: "edited actor", entries: 8,
			sql:     []string{`UPDATE audit_log SET actor_id = 'key_someone_else' WHERE seq = 6`},
			wantSeq: 6, reason: []string{"edited"}},
		{name: "edited time", entries: 8,
			sql:     []string{`UPDATE audit_log SET at = (SELECT at FROM audit_log WHERE seq = 1) WHERE seq = 2`},
			wantSeq: 2, reason: []string{"edited"}},
		// A deleted entry is named by its own number.
		{name: "deleted middle entry", entries: 8,
			sql:     []string{`DELETE FROM audit_log WHERE seq = 5`},
			wantSeq: 5, reason: []string{"5 to 5", "missing"}},
		{name: "deleted first entry", entries: 8,
			sql:     []string{`DELETE FROM audit_log WHERE seq = 1`},
			wantSeq: 1, reason: []string{"1 to 1", "missing"}},
		{name: "swapped seq", entries: 8,
			sql: []string{
				`UPDATE audit_log SET seq = -3 WHERE seq = 3`,
				`UPDATE audit_log SET seq = 3 WHERE seq = 4`,
				`UPDATE audit_log SET seq = 4 WHERE seq = -3`,
			},
			wantSeq: 3, reason: []string{"previous-hash"}},
		// The newest entry has no successor: the head names it.
		{name: "deleted newest entry", entries: 8,
			sql:     []string{`DELETE FROM audit_log WHERE seq = 8`},
			wantSeq: 8, reason: []string{"head", "entry 8", "entry 7"}},
		{name: "deleted two newest entries", entries: 8,
			sql:     []string{`DELETE FROM audit_log WHERE seq >= 7`},
			wantSeq: 7, reason: []string{"head", "entry 8", "entry 6"}},
		{name: "emptied log", entries: 3,
			sql:     []string{`DELETE FROM audit_log`},
			wantSeq: 1, reason: []string{"head", "entry 3"}},
		// VerifyAudit reads 5,000 entries a page: a break on the second
		// page is found and named too.
		{name: "edited on second page", entries: 5003,
			sql:     []string{`UPDATE audit_log SET object_id = 'cus_x' WHERE seq = 5002`},
			wantSeq: 5002, reason: []string{"edited"}},
		{name: "deleted at page boundary", entries: 5003,
			sql:     []string{`DELETE FROM audit_log WHERE seq = 5001`},
			wantSeq: 5001, reason: []string{"5001 to 5001"}},
	}
	sqltest.EachRaw(t, func(t *testing.T, db *sqlstore.DB, raw *sql.DB, rebind func(string) string) {
		// One database per dialect; each case rebuilds the trail.
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resetAudit(t, raw)
				seed(t, db, tc.entries)
				if n, p := verify(t, db); p != nil || n != int64(tc.entries) {
					t.Fatalf("before tampering: %d entries, problem %v", n, p)
				}
				for _, q := range tc.sql {
					if _, err := raw.Exec(q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				_, p := verify(t, db)
				if p == nil {
					t.Fatal("tampering went unnoticed")
				}
				if p.Seq != tc.wantSeq {
					t.Errorf("problem names entry %d, want %d (%s)", p.Seq, tc.wantSeq, p.Reason)
				}
				for _, part := range tc.reason {
					if !strings.Contains(p.Reason, part) {
						t.Errorf("reason %q does not mention %q", p.Reason, part)
					}
				}
			})
		}

		// A forger who recomputes the edited entry's own hash still breaks
		// the link from the next entry.
		t.Run("edited and rehashed", func(t *testing.T) {
			resetAudit(t, raw)
			seed(t, db, 6)
			l, err := db.AuditEntries(context.Background(), audit.Filter{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var e audit.Entry
			for _, x := range l {
				if x.Seq == 3 {
					e = x
				}
			}
			e.Detail = json.RawMessage(`{"changes":[],"version":0}`)
			e.Hash = e.ComputeHash()
			if _, err := raw.Exec(rebind(`UPDATE audit_log SET detail = ?, hash = ? WHERE seq = 3`), string(e.Detail), e.Hash); err != nil {
				t.Fatal(err)
			}
			_, p := verify(t, db)
			if p == nil || p.Seq != 4 || !strings.Contains(p.Reason, "previous-hash") {
				t.Errorf("problem %+v, want a broken link at entry 4", p)
			}
			// Rewriting the rest of the chain too is caught by the head.
			prev := e.Hash
			for seq := int64(4); seq <= 6; seq++ {
				var x audit.Entry
				for _, y := range l {
					if y.Seq == seq {
						x = y
					}
				}
				x.PrevHash = prev
				x.Hash = x.ComputeHash()
				prev = x.Hash
				if _, err := raw.Exec(rebind(`UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?`), x.PrevHash, x.Hash, seq); err != nil {
					t.Fatal(err)
				}
			}
			_, p = verify(t, db)
			if p == nil || p.Seq != 7 || !strings.Contains(p.Reason, "head") {
				t.Errorf("problem %+v, want the head to disagree", p)
			}
		})
	})
}

// resetAudit empties the trail and its head.
func resetAudit(t *testing.T, raw *sql.DB) {
	t.Helper()
	for _, q := range []string{`DELETE FROM audit_log`, `UPDATE audit_head SET seq = 0, hash = '` + audit.GenesisHash + `' WHERE id = 1`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// A live server keeps appending while an operator verifies: the check must
// neither report a false break nor chase new entries forever.
func TestVerifyWhileAppending(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4000; i++ { // bounded: verification cost grows with the chain
				select {
				case <-done:
					return
				default:
				}
				if err := db.AppendAudit(ctx, audit.Entry{ActorType: "system", ActorID: "t", Action: "test.append", ObjectID: fmt.Sprint(i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		for range 150 {
			if n, p, err := db.VerifyAudit(ctx); err != nil || p != nil {
				t.Errorf("verify during appends: n=%d problem=%v err=%v", n, p, err)
			}
		}
		close(done)
		wg.Wait()
	})
}
