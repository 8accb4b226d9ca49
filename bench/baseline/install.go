package baseline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"
)

// ErrUnavailable marks a baseline that cannot be started here; the run goes on
// without it.
var ErrUnavailable = errors.New("baseline unavailable")

// findBinary looks for name on PATH and then in the given glob patterns (the last
// match in sorted order wins, i.e. the highest version directory).
func findBinary(name string, globs ...string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, g := range globs {
		m, _ := filepath.Glob(g)
		sort.Strings(m)
		if len(m) > 0 {
			return m[len(m)-1]
		}
	}
	return ""
}

// findOrInstall returns the path of a binary. When it is missing, it installs
// the Debian package that ships it only if install is set (burndown-bench
// --install-baselines) and we are root with apt-get; otherwise the baseline is
// unavailable, with a message saying what to install. log receives one line
// about what was done.
func findOrInstall(ctx context.Context, log io.Writer, install bool, name, pkg string, globs ...string) (string, error) {
	if p := findBinary(name, globs...); p != "" {
		return p, nil
	}
	if !install {
		return "", fmt.Errorf("%w: %s not found: install the Debian package %s (apt-get install %s), or pass --install-baselines to let the bench install it", ErrUnavailable, name, pkg, pkg)
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("%w: %s not found and not root to apt-get install %s", ErrUnavailable, name, pkg)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", fmt.Errorf("%w: %s not found and no apt-get to install %s", ErrUnavailable, name, pkg)
	}
	fmt.Fprintf(log, "bench: %s not found; apt-get install -y %s\n", name, pkg)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	aptInstall := func() error {
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", pkg)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("apt-get install %s: %w: %s", pkg, err, tail(out, 400))
		}
		return nil
	}
	if err := aptInstall(); err != nil {
		// The package lists may be missing on a fresh machine.
		if out, uerr := exec.CommandContext(ctx, "apt-get", "update").CombinedOutput(); uerr != nil {
			return "", fmt.Errorf("%w: apt-get update: %v: %s", ErrUnavailable, uerr, tail(out, 400))
		}
		if err := aptInstall(); err != nil {
			return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	if p := findBinary(name, globs...); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("%w: installed %s but %s is still not found", ErrUnavailable, pkg, name)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
