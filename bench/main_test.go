package bench

import (
	"io"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.scenarios != "gateway" || c.opts.Customers != 10000 || c.opts.Batch != 100 || c.opts.Duration != 10*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	if len(c.opts.Levels) != 3 || len(c.opts.ScaleSteps) != 2 || c.opts.ScaleSteps[1] != 100000 {
		t.Errorf("lists: %v %v", c.opts.Levels, c.opts.ScaleSteps)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	for _, args := range [][]string{
		{"--batch", "101"}, {"--batch", "0"}, {"--customers", "0"}, {"--zipf-s", "1"},
		{"--levels", "a,b"}, {"--duration", "0s"}, {"extra"}, {"--no-such-flag"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
