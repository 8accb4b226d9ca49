package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Config says which node to play against and where to tell the story.
type Config struct {
	// Base is the node's URL, http://host:port.
	Base string
	// Token is an admin token of the node.
	Token string
	// Out receives the narrative.
	Out io.Writer
	// Unique makes customer aliases unique with a random suffix: for a
	// node that may already hold customers of an earlier run.
	Unique bool
	// KeepRunning keeps the webhook receiver up after the guides, until ctx
	// ends (the node's console shows what was played meanwhile).
	KeepRunning bool
}

// ErrNoTestClock says the node runs on the wall clock: the guides need to
// move time (month ends, expiries), which only a test clock allows.
var ErrNoTestClock = errors.New("the node has no test clock: start it with `burndown serve --test-clock` (the guides move time forward)")

// Run plays the five guides against the node, prints the console and
// dashboard URLs, and, with KeepRunning, waits for ctx to end. The first
// value that differs from SCENARIOS.md ends it with a *Mismatch.
func Run(ctx context.Context, cfg Config) error {
	c := newClient(cfg.Base, cfg.Token)
	now, err := testClock(ctx, c)
	if err != nil {
		return err
	}
	rcv, err := startReceiver()
	if err != nil {
		return err
	}
	defer rcv.close()
	p := &player{ctx: ctx, c: c, out: cfg.Out, rcv: rcv, tl: timelineAfter(now), guides: 5}
	if cfg.Unique {
		p.tag = "-" + randomTag()
	}
	hook := p.create("/v1/webhooks/create", obj{"url": rcv.url, "secret": rcv.secret})
	if p.err != nil {
		return fmt.Errorf("register the webhook receiver: %w", p.err)
	}
	defer func() { // the node would retry deliveries to a receiver that is gone
		_ = c.call(context.WithoutCancel(ctx), "POST", "/v1/webhooks/archive", obj{"id": hook}, nil)
	}()
	start := time.Now()
	p.intro(now)
	if err := p.playAll(); err != nil {
		return err
	}
	fmt.Fprintf(cfg.Out, "\nAll five guides played in %.1f s; every number matched SCENARIOS.md.\n", time.Since(start).Seconds())
	if err := p.printURLs(); err != nil {
		return err
	}
	if cfg.KeepRunning {
		fmt.Fprintf(cfg.Out, "\nServing until Ctrl-C.\n")
		<-ctx.Done()
	}
	return nil
}

// playAll plays the guides in the order of their dates (the test clock only
// moves forward), then the end of guide 2's year.
func (p *player) playAll() error {
	p.playPaygo()
	x := p.playPrepaid()
	p.playThreshold(x)
	p.playAlerts()
	p.playSeats()
	p.playExpiry(x)
	return p.err
}

func (p *player) intro(clock time.Time) {
	fmt.Fprintf(p.out, "Burndown demo: five guides, every number read back from the API and checked against SCENARIOS.md.\n")
	fmt.Fprintf(p.out, "node %s, test clock at %s", p.c.base, clock.UTC().Format(time.RFC3339))
	if p.tl.years > 0 {
		fmt.Fprintf(p.out, " (past the guides' dates: played %d years later)", p.tl.years)
	}
	fmt.Fprintf(p.out, "\nwebhooks go to %s\n", p.rcv.url)
}

// testClock reads the node's test clock; a node without one answers 404.
func testClock(ctx context.Context, c *client) (time.Time, error) {
	var out struct {
		Now string `json:"now"`
	}
	err := c.call(ctx, "GET", "/v1/admin/clock", nil, &out)
	var api *apiError
	if errors.As(err, &api) && api.status == http.StatusNotFound {
		return time.Time{}, fmt.Errorf("%s: %w", c.base, ErrNoTestClock)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read the node's clock: %w", err)
	}
	now, err := time.Parse(time.RFC3339Nano, out.Now)
	if err != nil {
		return time.Time{}, fmt.Errorf("the node's clock %q: %w", out.Now, err)
	}
	return now, nil
}

func randomTag() string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on supported platforms
	return hex.EncodeToString(b[:])
}
