// Package browsertest runs tests of the staff web console in a real browser:
// Debian's Chromium, headless, driven over the DevTools protocol by chromedp.
//
// A real browser is the only place where some properties of the console can be
// checked at all: that the Content-Security-Policy really stops an injected
// script, that the page's own scripts still work under it, and that escaping
// holds after the DOM has been built. XSS tests therefore assert on what the
// browser did (Dialogs, ConsoleErrors), not on what the HTML looks like.
//
// The browser is optional on a developer machine and mandatory in CI: New
// skips the test when no Chromium is installed, but under CI=true it fails, so
// a CI image that lost its browser cannot turn the suite silently green.
//
// One Browser belongs to one test; a subtest that needs a browser calls New
// with its own t.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	// Timeout bounds a whole test's use of its browser. When it expires the
	// browser is killed, so a hung page or browser fails the test instead of
	// holding CI until `go test -timeout` kills every package at once.
	Timeout = 60 * time.Second

	// stepTimeout bounds one Do or Text call. chromedp's queries poll until
	// the element appears; without a shorter bound a mistyped selector would
	// only fail when Timeout expires, with a less specific message.
	stepTimeout = 20 * time.Second

	installHint = "install it with `apt-get install chromium` (Debian), " +
		"or set KIZUNA_CHROMIUM to a Chrome or Chromium binary"
)

// Browser is a headless Chromium with one tab, started for one test.
type Browser struct {
	t   testing.TB
	ctx context.Context

	// dismissers are the goroutines that close dialogs; cleanup waits for
	// them so that none logs after the test has finished.
	dismissers sync.WaitGroup

	mu            sync.Mutex
	dialogs       []string
	consoleErrors []string
}

// New starts a headless Chromium for t and stops it when t ends. It skips t
// under -short, and when no browser is available (fails instead under CI=true).
func New(t testing.TB) *Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browsertest: real-browser test skipped in -short mode")
	}
	execPath, err := findBrowser()
	if err != nil {
		unavailable(t, "%v", err)
	}

	// Created before the cleanup below is registered, so that it is removed
	// after the browser has exited (cleanups run last-in, first-out).
	profile := t.TempDir()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.Flag("headless", true),
		// Chromium will not run as root with its sandbox, and CI runs as root.
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		// CI's network is closed: the connections Chromium opens on its own
		// (QUIC, component and safe-browsing updates, sync) are refused there.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// /dev/shm is small in containers and Chromium crashes when it fills.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}

	// Not t.Context(): it is cancelled before cleanups run, which would kill
	// the browser before it can be closed gracefully.
	timeoutCtx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(timeoutCtx, opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	b := &Browser{t: t, ctx: ctx}

	t.Cleanup(func() {
		// A graceful close lets Chromium stop its helper processes, which can
		// otherwise outlive it and still write into the profile while
		// t.TempDir removes it. It gets its own deadline because the test's
		// may already have expired.
		closeCtx, cancelClose := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err := chromedp.Cancel(closeCtx)
		cancelClose()
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		b.dismissers.Wait()
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			t.Logf("browsertest: closing the browser: %v", err)
		}
	})

	// Listen starts the browser and opens the tab, so this is where a missing
	// library or a bad flag shows up. Listening before the first navigation
	// means no dialog or error of the first page is missed.
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		// chromedp's error carries the browser's output when it did not start.
		unavailable(t, "starting %s: %v", execPath, err)
	}
	return b
}

// Run runs one chromedp action that returns a value, through Do so that a
// failure saves a screenshot of the page.
func Run[T any](b *Browser, a chromedp.Action[T]) T {
	var out T
	b.Do(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		var err error
		out, err = a(ctx, tg)
		return chromedp.Void{}, err
	})
	return out
}

// Eval evaluates a JavaScript expression in the page, awaiting a promise.
func Eval[T any](b *Browser, expr string) T {
	return Run(b, func(ctx context.Context, tg *chromedp.Target) (T, error) {
		v, err := chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise)(ctx, tg)
		if err != nil {
			return v, fmt.Errorf("evaluating %.200s: %w", expr, err)
		}
		return v, nil
	})
}

// Context is the chromedp context of the browser's tab, for chromedp actions
// that the helpers here do not cover. It is done when Timeout expires.
func (b *Browser) Context() context.Context { return b.ctx }

// Dialogs returns the alert, confirm and prompt dialogs the page opened, as
// "type: message". XSS tests assert it is empty: an injected alert(1) that
// ran is the proof of a hole. Each dialog is dismissed as it opens.
func (b *Browser) Dialogs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// ConsoleErrors returns the errors the page reported: console.error and
// console.assert calls, uncaught exceptions, and the browser's own error log,
// which is where Content-Security-Policy violations appear.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.consoleErrors...)
}

// Do runs chromedp actions in the tab and fails the test on the first error,
// after saving a screenshot of the page as it was at that moment.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(err)
	}
}

// Text returns the visible text (innerText) of the first element matching the
// CSS selector, waiting for it to appear.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		b.fail(fmt.Errorf("reading the text of %s: %w", selector, err))
	}
	return s
}

func (b *Browser) fail(err error) {
	b.t.Helper()
	if errors.Is(b.ctx.Err(), context.DeadlineExceeded) {
		b.t.Fatalf("browsertest: the test used up its %v browser budget and the browser was stopped: %v", Timeout, err)
	}
	shotCtx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	if file, shotErr := saveScreenshot(shotCtx, b.t.Name(), "failure"); shotErr == nil {
		b.t.Logf("browsertest: page at the failure: %s", file)
	}
	b.t.Fatalf("browsertest: %v", err)
}

// Screenshot saves a full-page PNG of the tab of ctx (a Browser's Context, or
// another chromedp context) as <OutputDir>/<test name>-<name>.png, logs the
// path, and returns it.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	file, err := saveScreenshot(ctx, t.Name(), name)
	if err != nil {
		t.Fatalf("browsertest: screenshot %q: %v", name, err)
	}
	t.Logf("browsertest: screenshot %s", file)
	return file
}

// OutputDir is where screenshots go: $KIZUNA_TEST_OUTPUT if set, so CI can
// collect them as artifacts, otherwise a fixed directory under the system's
// temporary directory, so they survive the test for a human to look at.
func OutputDir() string {
	if dir := os.Getenv("KIZUNA_TEST_OUTPUT"); dir != "" {
		return dir
	}
	return filepath.Join(os.TempDir(), "kizuna-screenshots")
}

func saveScreenshot(ctx context.Context, testName, name string) (string, error) {
	// Quality 100 is what makes chromedp produce PNG rather than JPEG.
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	dir := OutputDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(dir, safeFileName(testName+"-"+name)+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		return "", err
	}
	return file, nil
}

// listen runs on chromedp's reader goroutine for every event of the tab. It
// records synchronously, so an event that precedes a command's reply is
// visible by the time that command returns; it must not block or call the
// browser itself.
func (b *Browser) listen(ev any) {
	switch e := ev.(type) {
	case *page.EventJavascriptDialogOpening:
		// An open dialog stalls the page, and every action after it, until
		// something closes it.
		accept := false
		if e.Type == page.DialogTypeBeforeunload {
			// Accepting lets a navigation away from an edited form proceed;
			// it is the browser's doing, not the page's, so it is not recorded.
			accept = true
		} else {
			b.record(&b.dialogs, fmt.Sprintf("%s: %s", e.Type, e.Message))
		}
		b.dismissers.Go(func() {
			_, err := chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
			if err != nil && b.ctx.Err() == nil {
				b.t.Logf("browsertest: closing a %s dialog: %v", e.Type, err)
			}
		})
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			b.record(&b.consoleErrors, fmt.Sprintf("console.%s: %s", e.Type, argsText(e.Args)))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		b.record(&b.consoleErrors, fmt.Sprintf("exception: %s (%s:%d)", text, d.URL, d.LineNumber+1))
	case *log.EventEntryAdded:
		en := e.Entry
		if en == nil || en.Level != log.EntryLevelError || isFavicon(en.URL) {
			return
		}
		msg := fmt.Sprintf("%s: %s", en.Source, en.Text)
		if en.URL != "" {
			msg += " (" + en.URL + ")"
		}
		b.record(&b.consoleErrors, msg)
	}
}

func (b *Browser) record(list *[]string, s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*list = append(*list, s)
}

// argsText renders console arguments closely enough to recognise a message;
// it is not DevTools' formatting.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a == nil:
			parts = append(parts, "null")
		case a.Type == runtime.RemoteObjectTypeString:
			var str string
			if json.Unmarshal(a.Value, &str) != nil {
				str = string(a.Value)
			}
			parts = append(parts, str)
		case a.Description != "":
			parts = append(parts, a.Description)
		case a.UnserializableValue != "":
			parts = append(parts, string(a.UnserializableValue))
		default:
			parts = append(parts, string(a.Value))
		}
	}
	return strings.Join(parts, " ")
}

// findBrowser prefers an explicit KIZUNA_CHROMIUM, then Debian's chromium,
// which is what CI installs, then the other usual names.
func findBrowser() (string, error) {
	if p := os.Getenv("KIZUNA_CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("KIZUNA_CHROMIUM=%s is not an executable: %v", p, err)
		}
		return path, nil
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("no Chromium or Chrome found (looked for /usr/bin/chromium, and chromium, chromium-browser, google-chrome in PATH)")
}

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := "browsertest: " + fmt.Sprintf(format, args...) + "\n" + installHint
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// isFavicon reports whether url is the favicon the browser fetches by itself:
// its 404 is not the page's error, and a test server rarely has one.
func isFavicon(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && u.Path == "/favicon.ico"
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}
