package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// The durability promise of POST /api/v1/source-profiles/batch: "when the
// answer arrives, every accepted item is durable". This test holds the real
// binary to it: several clients ingest batches as fast as the server takes
// them, the server is killed with SIGKILL at a random moment, restarted on the
// same database, and every item whose batch was answered 200 must be there,
// joined to its customer, with its audit entry, and the audit chain intact.

const (
	crashCycles  = 5   // kills per database (at least 3)
	crashWorkers = 4   // concurrent ingest clients
	crashBatch   = 200 // items per request
	crashChannel = "app"
	crashMaxReqs = 400 // per worker per cycle: the loop ends even if the kill never lands
)

func TestKillDuringBatchIngestLosesNoAcknowledgedItem(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kizuna binary and kills it repeatedly; skipped under -short")
	}
	start := time.Now()
	bin := buildKizuna(t)
	t.Logf("built %s in %s", filepath.Base(bin), time.Since(start).Round(time.Millisecond))
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			h := &crashHarness{t: t, bin: bin, dsn: sqltest.DSN(t, dialect), run: strconv.FormatInt(time.Now().UnixNano()%1e9, 36)}
			h.test()
		})
	}
}

func buildKizuna(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build kizuna for this test: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "kizuna")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "github.com/kizuna-oss/kizuna/cmd/kizuna")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// childEnv is this process's environment without KIZUNA_* settings, so the
// binary runs with exactly the flags the test gives.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KIZUNA_") {
			env = append(env, kv)
		}
	}
	return env
}

type ackedItem struct {
	customerID, sourceID string
	cycle                int
}

type crashHarness struct {
	t        *testing.T
	bin, dsn string
	run      string // makes external IDs unique to this run

	acked      map[string]ackedItem // external_id → what the answer said
	unanswered map[string]bool      // external IDs sent in batches that got no 200
	auditSeq   int64                // audit entries up to here were checked
	lookups    int                  // successful lookups, each of which must be audited
}

// kizuna runs a short command of the binary against the database.
func (h *crashHarness) kizuna(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(h.t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, append(args, "--db", h.dsn)...)
	cmd.Env = childEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kizuna %s: %v\n%s%s", args[0], err, out.String(), errb.String())
	}
	return out.String(), nil
}

type serverProc struct {
	cmd       *exec.Cmd
	base      string
	out, errb syncBuffer
	exited    chan struct{}
	client    *http.Client
}

var runningAt = regexp.MustCompile(`Kizuna \S+ is running at (http://127\.0\.0\.1:\d+) `)

func (h *crashHarness) startServer() *serverProc {
	t := h.t
	t.Helper()
	s := &serverProc{exited: make(chan struct{})}
	s.cmd = exec.Command(h.bin, "serve", "--db", h.dsn, "--addr", "127.0.0.1:0", "--log-level", "warn", "--rate-per-key", "1000000")
	s.cmd.Env = childEnv()
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.errb
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start kizuna serve: %v", err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() { s.cmd.Process.Kill(); <-s.exited })
	deadline := time.After(20 * time.Second)
	for s.base == "" {
		if m := runningAt.FindStringSubmatch(s.out.String()); m != nil {
			s.base = m[1]
			break
		}
		select {
		case <-s.exited:
			t.Fatalf("kizuna serve exited at start (%v):\n%s\n%s", s.cmd.ProcessState, s.out.String(), s.errb.String())
		case <-deadline:
			t.Fatalf("kizuna serve did not say where it runs within 20s:\n%s\n%s", s.out.String(), s.errb.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	s.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}}
	return s
}

func (s *serverProc) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the killed server did not exit")
	}
	if s.cmd.ProcessState.Success() {
		t.Fatalf("the server exited normally before it was killed: %v", s.cmd.ProcessState)
	}
	s.client.CloseIdleConnections()
}

func (h *crashHarness) test() {
	t := h.t
	if _, err := h.kizuna("migrate", "up"); err != nil {
		t.Fatal(err)
	}
	out, err := h.kizuna("apikey", "create", "--name", "crash test", "--scopes", "read,write")
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`(?m)^kz_\S+$`).FindString(out)
	if key == "" {
		t.Fatalf("no key in:\n%s", out)
	}
	h.acked, h.unanswered = map[string]ackedItem{}, map[string]bool{}
	srv := h.startServer()
	inFlightAtKills := 0
	for cycle := range crashCycles {
		delay := time.Duration(300+rand.IntN(1200)) * time.Millisecond
		n, inFlight := h.ingestUntilKilled(srv, key, cycle, delay)
		inFlightAtKills += inFlight
		srv = h.startServer()
		t.Logf("cycle %d: killed %s after the first answer with %d requests in flight; %d items acknowledged this cycle (%d in all); restarted at %s",
			cycle, delay, inFlight, n, len(h.acked), srv.base)
		h.verify(srv, key, cycle)
	}
	if inFlightAtKills == 0 {
		t.Errorf("no kill landed while a batch was in flight: the test proved nothing about interrupted batches")
	}
	// A clean stop (SIGINT) after all that, then one last offline check.
	if runtime.GOOS != "windows" {
		if err := srv.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		select {
		case <-srv.exited:
			if !srv.cmd.ProcessState.Success() {
				t.Errorf("serve after SIGINT: %v\n%s", srv.cmd.ProcessState, srv.errb.String())
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop on SIGINT")
		}
		h.checkDatabase(-1)
		h.checkAudit()
	}
}

// ingestUntilKilled runs the workers against srv and kills it delay after
// the first acknowledged batch. It returns how many items were acknowledged,
// and how many requests were in flight at the kill. Items of batches that
// got no answer (they may or may not have committed) go to h.unanswered.
func (h *crashHarness) ingestUntilKilled(srv *serverProc, key string, cycle int, delay time.Duration) (int, int) {
	t := h.t
	var (
		mu       sync.Mutex
		acked    = map[string]ackedItem{}
		unacked  = map[string]bool{}
		killed   atomic.Bool
		inFlight atomic.Int32
		firstAck = make(chan struct{})
		once     sync.Once
		wg       sync.WaitGroup
	)
	for w := range crashWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < crashMaxReqs && !killed.Load(); b++ {
				ids := make([]string, crashBatch)
				var body bytes.Buffer
				body.WriteByte('[')
				for i := range ids {
					ids[i] = fmt.Sprintf("%s-k%d-w%d-b%d-i%d", h.run, cycle, w, b, i)
					if i > 0 {
						body.WriteByte(',')
					}
					fmt.Fprintf(&body, `{"channel":%q,"external_id":%q,"profile":{"emails":["%s@crash.example.jp"],"tags":["crash-test"]}}`,
						crashChannel, ids[i], strings.ToLower(ids[i]))
				}
				body.WriteByte(']')
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.base+"/api/v1/source-profiles/batch", &body)
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				inFlight.Add(1)
				resp, err := srv.client.Do(req)
				var raw []byte
				if err == nil {
					raw, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				inFlight.Add(-1)
				if err != nil || resp.StatusCode != http.StatusOK {
					mu.Lock()
					for _, id := range ids {
						unacked[id] = true
					}
					mu.Unlock()
					if killed.Load() {
						return // the kill we caused
					}
					if err == nil {
						err = fmt.Errorf("HTTP %d: %.500s", resp.StatusCode, raw)
					}
					t.Errorf("worker %d batch %d failed before the kill: %v\n%s", w, b, err, srv.errb.String())
					return
				}
				var res httpapi.BatchOutput
				if err := json.Unmarshal(raw, &res.Body); err != nil {
					t.Errorf("worker %d batch %d: a 200 with a body that is not a batch answer: %v: %.500s", w, b, err, raw)
					return
				}
				if len(res.Body.Results) != crashBatch || res.Body.Summary.Created != crashBatch {
					t.Errorf("worker %d batch %d: want %d created, got %+v", w, b, crashBatch, res.Body.Summary)
				}
				mu.Lock()
				for i, r := range res.Body.Results {
					if r.Index != i {
						t.Errorf("result %d has index %d", i, r.Index)
						continue
					}
					if r.Status == identity.ResultRejected {
						unacked[ids[i]] = true
						continue
					}
					acked[ids[i]] = ackedItem{customerID: r.CustomerID, sourceID: r.SourceProfileID, cycle: cycle}
				}
				mu.Unlock()
				once.Do(func() { close(firstAck) })
			}
		}()
	}
	select {
	case <-firstAck:
	case <-time.After(20 * time.Second):
		t.Errorf("cycle %d: no batch was answered within 20s", cycle)
	}
	time.Sleep(delay)
	killed.Store(true)
	inFlightNow := int(inFlight.Load())
	srv.kill(t)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for id, a := range acked {
		if a.customerID == "" || a.sourceID == "" {
			t.Fatalf("acknowledged item %s without IDs: %+v", id, a)
		}
		h.acked[id] = a
	}
	for id := range unacked {
		h.unanswered[id] = true
	}
	return len(acked), inFlightNow
}

// verify checks, with the restarted server up, that the items acknowledged
// before the kill survived: through the API for a sample (with every item of
// each worker's last answered batch), in the database for all of them; then
// that the audit chain is intact.
func (h *crashHarness) verify(srv *serverProc, key string, cycle int) {
	t := h.t
	// Through the API: the last items acknowledged this cycle (the ones
	// closest to the kill) and a random sample of everything before.
	var ids []string
	for id, a := range h.acked {
		if a.cycle == cycle && strings.HasSuffix(id, "-i0") || rand.IntN(200) == 0 {
			ids = append(ids, id)
		}
	}
	latest := map[int]int{} // worker → last acknowledged batch this cycle
	for id, a := range h.acked {
		if a.cycle != cycle {
			continue
		}
		var k, w, b, i int
		fmt.Sscanf(id[len(h.run):], "-k%d-w%d-b%d-i%d", &k, &w, &b, &i)
		latest[w] = max(latest[w], b)
	}
	for w, b := range latest {
		for i := range crashBatch {
			ids = append(ids, fmt.Sprintf("%s-k%d-w%d-b%d-i%d", h.run, cycle, w, b, i))
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var found, missing atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= len(ids) {
					return
				}
				id := ids[n]
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet,
					srv.base+"/api/v1/customers/lookup?channel="+crashChannel+"&external_id="+url.QueryEscape(id), nil)
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := srv.client.Do(req)
				if err != nil {
					t.Errorf("lookup %s: %v", id, err)
					return
				}
				var page httpapi.CustomerPage
				err = json.NewDecoder(resp.Body).Decode(&page)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("lookup %s: HTTP %d, %v", id, resp.StatusCode, err)
					return
				}
				if len(page.Items) != 1 || page.Items[0].ID != h.acked[id].customerID {
					if missing.Add(1) > 10 {
						continue
					}
					t.Errorf("after kill %d: acknowledged item %s (customer %s) looked up: %d customers %v", cycle, id, h.acked[id].customerID, len(page.Items), page.Items)
					continue
				}
				found.Add(1)
			}
		}()
	}
	wg.Wait()
	h.lookups += int(found.Load())
	if missing.Load() > 0 {
		t.Errorf("after kill %d: %d of %d acknowledged items looked up are missing or wrong", cycle, missing.Load(), len(ids))
	} else {
		t.Logf("cycle %d: all %d acknowledged items looked up through the API are there", cycle, len(ids))
	}

	h.checkDatabase(cycle)
	// Reads are audited in batches every 100ms; let the lookups' entries
	// land so audit verify sees a quiet chain.
	time.Sleep(400 * time.Millisecond)
	h.checkAudit()
}

// checkDatabase reads the database itself: every acknowledged item is stored
// once, with the IDs its answer gave, findable by its external ID, with its
// first version, and owned by a live customer. Stored items that were never
// acknowledged must come from batches that got no answer. After a kill it
// checks the items of that cycle; at the end (cycle -1, once the server has
// stopped cleanly) every item again, and that every answered lookup was
// audited. (Reading everything after every kill costs too much under -race:
// the SQLite driver is pure Go.)
func (h *crashHarness) checkDatabase(cycle int) {
	t := h.t
	final := cycle < 0
	match, auditAfter := "", h.auditSeq
	if final {
		auditAfter = 0
	} else {
		match = fmt.Sprintf(" AND sp.external_id LIKE '%s-k%d-%%'", h.run, cycle)
	}
	wanted := map[string]ackedItem{}
	for ext, a := range h.acked {
		if final || a.cycle == cycle {
			wanted[ext] = a
		}
	}
	start := time.Now()
	driver, dsn := "sqlite", "file:"+h.dsn+"?_pragma=busy_timeout(10000)"
	if sqlstore.IsPostgresDSN(h.dsn) {
		driver, dsn = "pgx", h.dsn
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `
		SELECT sp.external_id, sp.id, sp.customer_id, COALESCE(c.status, ''),
		       (SELECT COUNT(*) FROM customer_keys k WHERE k.profile_id = sp.id AND k.customer_id = sp.customer_id AND k.key = 'email:' || LOWER(sp.external_id) || '@crash.example.jp'),
		       CASE WHEN sp.version = 1 AND sp.raw LIKE '{%crash.example.jp%}' THEN 1 ELSE 0 END
		FROM source_profiles sp LEFT JOIN customers c ON c.id = sp.customer_id
		WHERE sp.channel = '`+crashChannel+`'`+match)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	extra := 0
	for rows.Next() {
		var ext, id, cust, status string
		var keys, versions int
		if err := rows.Scan(&ext, &id, &cust, &status, &keys, &versions); err != nil {
			t.Fatal(err)
		}
		stored[ext] = true
		a, ok := wanted[ext]
		if !ok {
			extra++
			if !h.unanswered[ext] {
				// Only batches without an answer may have left unacknowledged rows.
				t.Errorf("stored item %s was neither acknowledged nor in an unanswered batch", ext)
			}
			continue
		}
		if id != a.sourceID || cust != a.customerID || status != "active" || keys != 1 || versions != 1 {
			t.Errorf("acknowledged item %s: stored as source %s of customer %s (%q), %d email keys, %d first versions as sent; the answer said source %s of customer %s",
				ext, id, cust, status, keys, versions, a.sourceID, a.customerID)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	lost := 0
	for ext, a := range wanted {
		if !stored[ext] {
			if lost++; lost <= 10 {
				t.Errorf("LOST: item %s was acknowledged (source %s, customer %s, cycle %d) but is not in the database", ext, a.sourceID, a.customerID, a.cycle)
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged items lost", lost, len(wanted))
	}
	// Each acknowledged creation has its audit entry: it commits with the change.
	audited := map[string]bool{}
	arows, err := db.QueryContext(t.Context(), `SELECT seq, object_id FROM audit_log WHERE action = 'source_profile.create' AND seq > `+strconv.FormatInt(auditAfter, 10))
	if err != nil {
		t.Fatal(err)
	}
	for arows.Next() {
		var seq int64
		var id string
		if err := arows.Scan(&seq, &id); err != nil {
			t.Fatal(err)
		}
		audited[id] = true
		h.auditSeq = max(h.auditSeq, seq)
	}
	arows.Close()
	missing := 0
	for ext, a := range wanted {
		if !audited[a.sourceID] {
			if missing++; missing <= 5 {
				t.Errorf("acknowledged item %s (source %s) has no source_profile.create audit entry", ext, a.sourceID)
			}
		}
	}
	if final {
		var reads int
		if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM audit_log WHERE action = 'customer.lookup'`).Scan(&reads); err != nil {
			t.Fatal(err)
		}
		if reads != h.lookups {
			t.Errorf("%d lookups answered but %d customer.lookup audit entries", h.lookups, reads)
		}
	}
	what := fmt.Sprintf("the %d items acknowledged before kill %d", len(wanted), cycle)
	if final {
		what = fmt.Sprintf("all %d acknowledged items", len(wanted))
	}
	t.Logf("database: %s present, with audit entries; %d more stored from unanswered batches (checked in %s)", what, extra, time.Since(start).Round(time.Millisecond))
}

func (h *crashHarness) checkAudit() {
	out, err := h.kizuna("audit", "verify")
	if err != nil {
		h.t.Fatalf("after a kill: %v", err)
	}
	m := regexp.MustCompile(`^audit trail intact: (\d+) entries, hash chain verified\n$`).FindStringSubmatch(out)
	if m == nil {
		h.t.Fatalf("audit verify said %q", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < len(h.acked) {
		h.t.Errorf("audit trail has %d entries for %d acknowledged items", n, len(h.acked))
	}
}
