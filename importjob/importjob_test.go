package importjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
)

// fakeOneID stands in for identity.Service: it rejects records whose
// e-mail says "bad", fails the commit holding failAt, and records the
// order in which batches were prepared and committed.
type fakeOneID struct {
	mu        sync.Mutex
	items     map[*identity.Batch][]customer.SourceProfileInput
	committed []string // external IDs, in commit order
	failAt    string   // an external ID whose batch fails to commit
	prepared  chan struct{}
}

func (f *fakeOneID) PrepareBatch(_ context.Context, _ identity.AllowedChannels, items []customer.SourceProfileInput, _ bool) (*identity.Batch, error) {
	b := &identity.Batch{}
	f.mu.Lock()
	if f.items == nil {
		f.items = map[*identity.Batch][]customer.SourceProfileInput{}
	}
	f.items[b] = append([]customer.SourceProfileInput(nil), items...)
	f.mu.Unlock()
	if f.prepared != nil {
		f.prepared <- struct{}{}
	}
	return b, nil
}

func (f *fakeOneID) CommitBatch(_ context.Context, _ kizuna.Actor, b *identity.Batch) ([]identity.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	items := f.items[b]
	out := make([]identity.Result, len(items))
	for i, in := range items {
		if f.failAt != "" && in.ExternalID == f.failAt {
			return nil, errors.New("disk full")
		}
		out[i] = identity.Result{Index: i, Status: identity.ResultCreated}
		if strings.Contains(string(in.Profile), "bad") {
			out[i] = identity.Result{Index: i, Status: identity.ResultRejected, Error: &identity.ItemError{Field: "emails[0]", Reason: "not an e-mail address"}}
		}
	}
	for i, in := range items {
		if out[i].Status != identity.ResultRejected {
			f.committed = append(f.committed, in.ExternalID)
		}
	}
	return out, nil
}

// file is a CSV of n rows, with a row of the wrong width at each line in
// short and a bad e-mail at each line in bad.
func file(n int, short, bad map[int]bool) string {
	var b strings.Builder
	b.WriteString("会員ID,氏名,メールアドレス\n")
	for i := range n {
		line := i + 2
		switch {
		case short[line]:
			fmt.Fprintf(&b, "m%d,名無し\n", line)
		case bad[line]:
			fmt.Fprintf(&b, "m%d,山田 花子,bad-%d\n", line, line)
		default:
			fmt.Fprintf(&b, "m%d,山田 花子,h%d@example.jp\n", line, line)
		}
	}
	return b.String()
}

func TestRunKeepsFileOrderWhileReadingAhead(t *testing.T) {
	src := file(25, map[int]bool{4: true, 13: true}, map[int]bool{3: true, 12: true, 26: true})
	plan, err := Open(strings.NewReader(src), Options{Map: map[string]string{"会員ID": "external_id"}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeOneID{}
	var rejects bytes.Buffer
	rw := csv.NewWriter(&rejects)
	var reports []Progress
	pr, err := plan.Run(context.Background(), f, kizuna.Actor{}, Options{Channel: "store", Batch: 5}, rw, func(p Progress) error {
		reports = append(reports, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Rows != 25 || pr.Created != 20 || pr.Rejected != 5 || pr.Valid != 23 || pr.Line != 26 {
		t.Errorf("progress %+v: want 25 rows, 20 created, 5 rejected, 23 valid, line 26", pr)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i].Line <= reports[i-1].Line || reports[i].Rejected < reports[i-1].Rejected {
			t.Errorf("report %d went back: %+v after %+v", i, reports[i], reports[i-1])
		}
	}
	// Every stored row is committed in file order, and the reject file
	// lists the rejects in line order: those of the mapping and those of
	// One ID interleaved as in the file.
	prev := 0
	for _, id := range f.committed {
		var line int
		if _, err := fmt.Sscanf(id, "m%d", &line); err != nil || line <= prev {
			t.Errorf("committed out of order: %s after line %d", id, prev)
		}
		prev = line
	}
	if len(f.committed) != 20 {
		t.Errorf("%d rows committed, want 20", len(f.committed))
	}
	rr := csv.NewReader(&rejects)
	rr.FieldsPerRecord = -1
	recs, err := rr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range recs {
		lines = append(lines, r[0])
	}
	if got := strings.Join(lines, " "); got != "3 4 12 13 26" {
		t.Errorf("reject lines %q, want \"3 4 12 13 26\"", got)
	}
}

func TestRunStopsAtAFailedCommitWithoutLeavingTheReader(t *testing.T) {
	before := runtime.NumGoroutine()
	plan, err := Open(strings.NewReader(file(40, nil, nil)), Options{Map: map[string]string{"会員ID": "external_id"}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeOneID{failAt: "m13"}
	var last Progress
	pr, err := plan.Run(context.Background(), f, kizuna.Actor{}, Options{Channel: "store", Batch: 5}, nil, func(p Progress) error {
		last = p
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "import stopped at line 12") || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Run = %v, want it stopped at line 12 (the failed batch's first row) with the cause", err)
	}
	// The checkpoint covers the two batches stored (lines 2–11), not the
	// batches read ahead.
	if pr.Line != 11 || last.Line != 11 || len(f.committed) != 10 {
		t.Errorf("after the failure: line %d, last report %d, %d rows committed; want 11, 11, 10", pr.Line, last.Line, len(f.committed))
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Run returned, %d before: the reader was left running", n, before)
	}
}

func TestRunInterrupted(t *testing.T) {
	plan, err := Open(strings.NewReader(file(40, nil, nil)), Options{Map: map[string]string{"会員ID": "external_id"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeOneID{}
	pr, err := plan.Run(ctx, f, kizuna.Actor{}, Options{Channel: "store", Batch: 5}, nil, func(p Progress) error {
		if p.Line >= 11 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted after line") {
		t.Fatalf("Run = %v, want interrupted", err)
	}
	if pr.Line < 11 || pr.Line != 1+len(f.committed) {
		t.Errorf("interrupted at line %d with %d rows committed: the checkpoint must be exactly what is stored", pr.Line, len(f.committed))
	}
}

// An ID a file gave twice is refused the second time, also when a run
// resumes between the two (the first row was stored by the run before).
func TestAnIDRepeatedInAFileIsRefusedAcrossAResume(t *testing.T) {
	src := "会員ID,氏名\nA,山田 花子\nB,佐藤 一郎\nA,山田 花子（二度目）\nC,鈴木 美咲\n"
	for _, after := range []int{0, 2, 3} {
		plan, err := Open(strings.NewReader(src), Options{Map: map[string]string{"会員ID": "external_id"}})
		if err != nil {
			t.Fatal(err)
		}
		f := &fakeOneID{}
		var rejects bytes.Buffer
		rw := csv.NewWriter(&rejects)
		if _, err := plan.Run(context.Background(), f, kizuna.Actor{}, Options{Channel: "store", Batch: 2, After: after}, rw, nil); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rejects.String(), `4,会員ID,"the ID ""A"" is on line 2 of this file already`) || slices.Contains(f.committed, "A") && after >= 2 {
			t.Errorf("after line %d: rejects %q, committed %v", after, rejects.String(), f.committed)
		}
	}
}

// A reject file begun by an earlier version (no 理由 column) keeps its
// columns when an import resumes into it after an upgrade.
func TestRejectsKeepAnOldFilesColumns(t *testing.T) {
	if !OldRejectHeader([]byte("\ufeffline,column,reason,会員ID,氏名\n3,…")) || OldRejectHeader([]byte("\ufeffline,column,reason,理由,会員ID\n")) || OldRejectHeader([]byte("会員ID,氏名\n")) {
		t.Fatal("OldRejectHeader tells the files apart wrongly")
	}
	src := file(3, map[int]bool{3: true}, nil)
	for _, old := range []bool{false, true} {
		plan, err := Open(strings.NewReader(src), Options{Map: map[string]string{"会員ID": "external_id"}})
		if err != nil {
			t.Fatal(err)
		}
		var rejects bytes.Buffer
		rw := csv.NewWriter(&rejects)
		f := &fakeOneID{}
		if _, err := plan.Run(context.Background(), f, kizuna.Actor{}, Options{Channel: "store", RejectsWithoutJapanese: old}, rw, func(Progress) error { return nil }); err != nil {
			t.Fatal(err)
		}
		rw.Flush()
		want := "3,,\"2 fields, the header has 3\",項目が2個あります（見出しは3個）,m3,名無し\n"
		if old {
			want = "3,,\"2 fields, the header has 3\",m3,名無し\n"
		}
		if rejects.String() != want {
			t.Errorf("old file %v: rejects %q, want %q", old, rejects.String(), want)
		}
	}
}
