package version

import (
	"regexp"
	"strings"
	"testing"
)

func TestReleaseIsSemver(t *testing.T) {
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(Release) {
		t.Errorf("Release = %q, want vMAJOR.MINOR.PATCH", Release)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		b    Build
		want string
	}{
		{Build{}, "v1.2.3"},
		{Build{GoVersion: "go1.26.8"}, "v1.2.3 (go1.26.8)"},
		{Build{GoVersion: "go1.26.8", Revision: "abc1234def5678", Time: "2026-12-01T10:00:00Z", Modified: true},
			"v1.2.3 (go1.26.8, revision abc1234, 2026-12-01T10:00:00Z, modified)"},
	} {
		if got := c.b.format("v1.2.3"); got != c.want {
			t.Errorf("%+v: %q, want %q", c.b, got, c.want)
		}
	}
}

func TestStringStartsWithTheRelease(t *testing.T) {
	if s := String(); !strings.HasPrefix(s, Release) {
		t.Errorf("String() = %q", s)
	}
}
