package baseline

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// Without --install-baselines a missing baseline is skipped with a message
// naming the package to install, and nothing is installed (nothing logged
// about apt-get).
func TestMissingBaselineIsNotInstalledUnlessAsked(t *testing.T) {
	var log bytes.Buffer
	_, err := findOrInstall(context.Background(), &log, false, "burndown-no-such-binary", "burndown-no-such-package")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
	for _, want := range []string{"burndown-no-such-binary not found", "apt-get install burndown-no-such-package", "--install-baselines"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if log.Len() != 0 {
		t.Errorf("logged %q: nothing may be installed", log.String())
	}
}
