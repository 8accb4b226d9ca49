// Package version says which Burndown this is: the release it was cut as and
// what the Go toolchain recorded about the build (Go version, VCS revision,
// whether the tree was modified). It imports nothing of the project, so any
// package may use it.
package version

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Release is the release this source tree is. Releases so far (the upgrade
// fixtures in persist/testdata/golden are named by them):
//
//	v0.1.0  the foundation, commit 3ce68ee
//	v0.2.0  core-safe: snapshot format 3, customer layout 2
//	v0.3.0  commit c210cc0 (its fixtures were full-2026-12)
//	v0.4.0  commit 58c393f (its fixtures were stripe-2026-12)
//	v0.5.0  this build
const Release = "v0.5.0"

// Build is what the Go toolchain recorded about this binary.
type Build struct {
	GoVersion string // e.g. go1.26.8
	Revision  string // VCS revision, empty when not recorded
	Time      string // VCS commit time (RFC 3339), empty when not recorded
	Modified  bool   // the tree had changes the revision does not hold
}

// Info returns what the running binary recorded about its build; fields the
// toolchain did not record (go run, go test, a tree without VCS) are empty.
func Info() Build {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Build{}
	}
	b := Build{GoVersion: bi.GoVersion}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the release and build in one line, e.g.
// "v0.5.0 (go1.26.8, revision abc1234, 2026-12-01T10:00:00Z, modified)".
func String() string { return Info().format(Release) }

func (b Build) format(release string) string {
	var parts []string
	if b.GoVersion != "" {
		parts = append(parts, b.GoVersion)
	}
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 7 {
			rev = rev[:7]
		}
		parts = append(parts, "revision "+rev)
	}
	if b.Time != "" {
		parts = append(parts, b.Time)
	}
	if b.Modified {
		parts = append(parts, "modified")
	}
	if len(parts) == 0 {
		return release
	}
	return fmt.Sprintf("%s (%s)", release, strings.Join(parts, ", "))
}
