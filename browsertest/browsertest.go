// Package browsertest drives a real headless Chromium from go test, so that
// pages Burndown serves (the operator console, the embeddable dashboards) are
// tested as people see them: their scripts run, their Content-Security-Policy
// applies, and screenshots of them are kept as test artifacts.
//
// It starts Debian's chromium (/usr/bin/chromium) through chromedp, the
// standard Go driver of Chrome's DevTools protocol, with the flags a closed
// network needs and a fresh profile in a temporary directory. A missing
// chromium fails the test: the browser tests are part of the suite, not
// optional.
//
// Screenshots go to ArtifactsDir: $BURNDOWN_TEST_ARTIFACTS when set (CI sets
// it to a folder it uploads), else testdata/screenshots below the test's
// package directory (ignored by git, kept after the run so it can be looked
// at).
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ExecPath is where Debian's chromium package installs the browser.
const ExecPath = "/usr/bin/chromium"

// Browser is one headless Chromium with one tab, stopped when its test ends.
type Browser struct {
	t   testing.TB
	ctx context.Context // the tab's chromedp context

	mu       sync.Mutex
	problems []string // exceptions, console errors and log errors of the page
}

// flags are the switches a headless Chromium needs on a machine without a
// network or a display: without them it stalls reaching for updates, sync and
// QUIC.
var flags = []chromedp.ExecAllocatorOption{
	chromedp.NoFirstRun,
	chromedp.NoDefaultBrowserCheck,
	chromedp.Headless,
	chromedp.NoSandbox,
	chromedp.DisableGPU,
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("disable-dev-shm-usage", true),
	chromedp.Flag("disable-extensions", true),
	chromedp.WindowSize(1280, 900),
}

// Start launches Chromium for t and returns its tab. It fails t when
// chromium is not installed or does not start; the browser and its profile
// are removed when t ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	if _, err := os.Stat(ExecPath); err != nil {
		t.Fatalf("browsertest: no chromium at %s (%v): install Debian's chromium package (apt-get install -y chromium)", ExecPath, err)
	}
	b := &Browser{t: t}
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		if err = b.launch(t); err == nil {
			break
		}
		t.Logf("browsertest: chromium did not start (attempt %d of %d): %v", attempt, startAttempts, err)
	}
	if err != nil {
		t.Fatalf("browsertest: starting %s: %v", ExecPath, err)
	}
	return b
}

// startAttempts is how many times Start launches Chromium before failing
// the test: on a loaded machine (the whole suite on two cores) Chromium
// now and then exits before it opens its DevTools port, which says
// nothing about the page under test.
const startAttempts = 3

// launch starts a browser with a fresh profile and opens its tab in b; on
// failure it stops what it started.
func (b *Browser) launch(t testing.TB) error {
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ExecPath),
		chromedp.UserDataDir(t.TempDir()),
	}, flags...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	// The first Run starts the browser; it must not carry a timeout, or the
	// timeout would stop the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		return err
	}
	b.ctx = ctx
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			for _, p := range b.Problems() {
				t.Logf("browser: %s", p)
			}
		}
	})
	return nil
}

// Context is the tab's context, for chromedp actions the helpers below do
// not cover. Derive a timeout from it with context.WithTimeout.
func (b *Browser) Context() context.Context { return b.ctx }

// listen records what the page reports as going wrong: uncaught exceptions,
// console.error calls and error log entries (a Content-Security-Policy
// violation or a failed request arrives as one).
func (b *Browser) listen(ev any) {
	var p string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		p = "exception: " + exceptionText(e.ExceptionDetails)
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		p = "console.error:"
		for _, a := range e.Args {
			p += " " + remoteText(a)
		}
	case *log.EventEntryAdded:
		if e.Entry == nil || e.Entry.Level != log.EntryLevelError {
			return
		}
		p = fmt.Sprintf("log (%s): %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL)
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, p)
	b.mu.Unlock()
}

// Problems returns what the page has reported as going wrong so far, in
// order: a test can fail on a script error or a CSP violation that left no
// other trace. They are also logged when the test fails.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.Text
}

func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if len(o.Value) > 0 {
		return string(o.Value)
	}
	return o.Description
}

// Run runs actions on the tab within timeout and fails the test, saying what
// was being done, when one fails.
func (b *Browser) Run(what string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Navigate opens url in the tab and waits for the page to load.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.Run("navigate to "+url, 30*time.Second, chromedp.Navigate(url))
}

// WaitVisible waits up to timeout for the CSS selector sel to match a
// visible element.
func (b *Browser) WaitVisible(sel string, timeout time.Duration) {
	b.t.Helper()
	b.Run("wait for "+sel+" to be visible", timeout, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// WaitText waits up to timeout for an element matching the CSS selector sel
// to contain text (in its textContent), and returns that element's text.
// Pages that poll an API change their text over time; this waits for it
// instead of sleeping.
func (b *Browser) WaitText(sel, text string, timeout time.Duration) string {
	b.t.Helper()
	// The predicate is built from JSON-quoted strings, so neither argument
	// can break out of the script.
	expr := fmt.Sprintf(`(() => {
		for (const el of document.querySelectorAll(%s)) {
			if (el.textContent.includes(%s)) return el.textContent;
		}
		return null;
	})()`, jsString(sel), jsString(text))
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Poll[string](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		b.t.Fatalf("browser: waiting %v for %q in %s: %v (page text: %q)", timeout, text, sel, err, b.text(sel))
	}
	return got
}

// Evaluate runs the JavaScript expression expr in b's tab and returns its
// value decoded into T, failing the test when the script throws, does not
// finish within 10 seconds, or its value does not fit T. It is a function,
// not a method, because Go methods take no type parameters.
func Evaluate[T any](b *Browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("browser: evaluating %s: %v", expr, err)
	}
	return v
}

// text is the textContent of every element matching sel, for failure
// messages.
func (b *Browser) text(sel string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%s), e => e.textContent).join(" | ")`, jsString(sel))))
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	return s
}

// Screenshot saves a PNG of the whole page as name in ArtifactsDir and
// returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	path := filepath.Join(ArtifactsDir(b.t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("browser: saving screenshot: %v", err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}
