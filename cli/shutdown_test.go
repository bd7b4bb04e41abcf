package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/cli"
	"github.com/kizuna-oss/kizuna/customer"
)

// A shutdown (SIGINT/SIGTERM → context cancelled) lets a request that is
// being processed finish and answer, and what it answered is stored.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and ingests a large batch")
	}
	k, path := migrated(t)
	key := strings.TrimSpace(lastLine(k.ok("apikey", "create", "--name", "shutdown", "--scopes", "read,write")))
	srv := startServe(t, k)
	defer srv.cancel()
	base, cancel, done, errb := srv.base, srv.cancel, srv.done, srv.errb
	// A batch big enough to take a good while to process.
	items := make([]customer.SourceProfileInput, 8000)
	for i := range items {
		items[i] = customer.SourceProfileInput{Channel: "ec", ExternalID: fmt.Sprintf("SD-%d", i),
			Profile: json.RawMessage(fmt.Sprintf(`{"family_name":"停止","emails":["sd%d@example.jp"],"phones":["090-%04d-%04d"]}`, i, 1000+i%9000, i))}
	}
	body, _ := json.Marshal(items)
	type answer struct {
		code int
		body []byte
		err  error
		at   time.Time
	}
	got := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/source-profiles/batch", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- answer{resp.StatusCode, b, err, time.Now()}
	}()
	time.Sleep(300 * time.Millisecond) // the body is sent; the batch is being processed
	cancelled := time.Now()
	cancel()
	a := <-got
	if a.err == nil && a.at.Before(cancelled) {
		t.Fatalf("the batch finished before the shutdown began; make it bigger so the test shows what it claims")
	}
	if a.err != nil || a.code != http.StatusOK {
		t.Fatalf("in-flight request cut off by shutdown: status %d, err %v, body %.300s\nserver log:\n%s", a.code, a.err, a.body, errb)
	}
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, errb)
	}
	var res struct {
		Summary struct{ Created, Rejected int }
	}
	if err := json.Unmarshal(a.body, &res); err != nil || res.Summary.Created != len(items) {
		t.Fatalf("answer: %+v (%v)", res.Summary, err)
	}
	// Every acknowledged item is in the database after the server stopped.
	var n int
	if err := openSQL(t, path).QueryRow(`SELECT COUNT(*) FROM source_profiles WHERE channel = 'ec' AND external_id LIKE 'SD-%'`).Scan(&n); err != nil || n != len(items) {
		t.Fatalf("stored %d of %d acknowledged items (%v)", n, len(items), err)
	}
	if !strings.Contains(errb.String(), "finishing in-flight requests") {
		t.Errorf("shutdown not logged:\n%s", errb)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// serving is `kizuna serve` running inside the test process.
type serving struct {
	base   string             // http://127.0.0.1:port
	cancel context.CancelFunc // SIGINT/SIGTERM: begins a graceful shutdown
	done   chan int           // the exit code, once serve returned
	errb   *syncBuffer        // its log
}

// startServe runs `kizuna serve` on a free loopback port with k's
// environment and waits until it says where it listens.
func startServe(t *testing.T, k *kz) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	e, out, errb := k.env("")
	s := &serving{cancel: cancel, done: make(chan int, 1), errb: errb}
	go func() { s.done <- cli.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, e) }()
	re := regexp.MustCompile(`is running at (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(10 * time.Second); s.base == ""; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			s.base = m[1]
		} else if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s\n%s", out, errb)
		}
	}
	return s
}
