package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// The promise of POST /api/v1/events: "when the answer arrives, every
// stored event is durable", and a batch sent again is stored once. The
// real binary is killed with SIGKILL while clients send events; after the
// restart every acknowledged event is there, and the batches that got no
// answer, sent again, leave exactly one copy of each event.
func TestKillDuringEventIngestLosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kizuna binary and kills it; skipped under -short")
	}
	bin := buildKizuna(t)
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			h := &crashHarness{t: t, bin: bin, dsn: sqltest.DSN(t, dialect), run: strconv.FormatInt(time.Now().UnixNano()%1e9, 36)}
			if _, err := h.kizuna("migrate", "up"); err != nil {
				t.Fatal(err)
			}
			out, err := h.kizuna("apikey", "create", "--name", "events crash test", "--scopes", "read,write")
			if err != nil {
				t.Fatal(err)
			}
			key := regexp.MustCompile(`(?m)^kz_\S+$`).FindString(out)
			acked := map[string]bool{}
			var unanswered [][]byte
			inFlightAtKills := 0
			srv := h.startServer()
			for cycle := range 3 {
				a, u, inFlight := sendEventsUntilKilled(t, srv, key, h.run, cycle, time.Duration(200+rand.IntN(800))*time.Millisecond)
				for id := range a {
					acked[id] = true
				}
				unanswered = append(unanswered, u...)
				inFlightAtKills += inFlight
				srv = h.startServer()
				t.Logf("cycle %d: %d events acknowledged, %d requests in flight at the kill", cycle, len(a), inFlight)
			}
			if inFlightAtKills == 0 {
				t.Errorf("no kill landed while a batch was in flight: the test proved nothing about interrupted batches")
			}
			// The unanswered batches again, as a client retries them.
			sent := map[string]bool{}
			for id := range acked {
				sent[id] = true
			}
			for _, body := range unanswered {
				res, err := postEvents(t.Context(), srv.client, srv.base, key, body)
				if err != nil {
					t.Fatalf("resending: %v", err)
				}
				if len(res.Rejected) > 0 {
					t.Fatalf("resent batch rejected events: %+v", res.Rejected)
				}
				for _, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
					var e struct{ ID string }
					json.Unmarshal(line, &e)
					sent[e.ID] = true
				}
			}
			srv.kill(t)
			db, err := sqlstore.Open(context.Background(), h.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			stored, err := db.Events(context.Background(), event.Query{Limit: 1 << 30})
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]int{}
			for _, e := range stored {
				have[e.ID]++
			}
			lost := 0
			for id := range acked {
				if have[id] != 1 {
					if lost++; lost <= 10 {
						t.Errorf("acknowledged event %s stored %d times", id, have[id])
					}
				}
			}
			for id := range sent {
				if have[id] != 1 {
					t.Errorf("event %s, sent and resent, stored %d times", id, have[id])
				}
			}
			if len(stored) != len(sent) {
				t.Errorf("%d events stored, %d distinct events sent", len(stored), len(sent))
			}
			if len(acked) == 0 {
				t.Fatal("no batch was acknowledged")
			}
		})
	}
}

// sendEventsUntilKilled has four clients send batches of 200 events to srv
// and kills it delay after the first answer. It returns the acknowledged
// event IDs, the bodies of batches without an answer, and how many
// requests were in flight at the kill.
func sendEventsUntilKilled(t *testing.T, srv *serverProc, key, run string, cycle int, delay time.Duration) (map[string]bool, [][]byte, int) {
	var (
		mu         sync.Mutex
		acked      = map[string]bool{}
		unanswered [][]byte
		killed     atomic.Bool
		inFlight   atomic.Int32
		firstAck   = make(chan struct{})
		once       sync.Once
		wg         sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for b := 0; b < 400 && !killed.Load(); b++ {
				var body bytes.Buffer
				ids := make([]string, 200)
				for i := range ids {
					ids[i] = fmt.Sprintf("%s-k%d-w%d-b%d-i%d", run, cycle, w, b, i)
					fmt.Fprintf(&body, `{"id":%q,"type":"product_view","anonymous_id":"visitor-%d","properties":{"sku":"TEA-%d"}}`+"\n", ids[i], i%37, i)
				}
				inFlight.Add(1)
				res, err := postEvents(t.Context(), srv.client, srv.base, key, body.Bytes())
				inFlight.Add(-1)
				if err != nil {
					mu.Lock()
					unanswered = append(unanswered, body.Bytes())
					mu.Unlock()
					if !killed.Load() {
						t.Errorf("worker %d batch %d failed before the kill: %v", w, b, err)
					}
					return
				}
				if res.Stored != len(ids) {
					t.Errorf("worker %d batch %d: %+v", w, b, res)
				}
				mu.Lock()
				for _, id := range ids {
					acked[id] = true
				}
				mu.Unlock()
				once.Do(func() { close(firstAck) })
			}
		})
	}
	select {
	case <-firstAck:
	case <-time.After(20 * time.Second):
		t.Errorf("cycle %d: no batch was answered within 20s", cycle)
	}
	time.Sleep(delay)
	killed.Store(true)
	n := int(inFlight.Load())
	srv.kill(t)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return acked, unanswered, n
}

func postEvents(ctx context.Context, client *http.Client, base, key string, body []byte) (*event.IngestResult, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.500s", resp.StatusCode, raw)
	}
	var res event.IngestResult
	return &res, json.Unmarshal(raw, &res)
}
