package browsertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// ArtifactsEnv names the environment variable that says where tests keep
// their artifacts (screenshots); CI sets it to a folder it uploads.
const ArtifactsEnv = "BURNDOWN_TEST_ARTIFACTS"

// ArtifactsDir returns the folder for test artifacts, creating it:
// $BURNDOWN_TEST_ARTIFACTS when set, else testdata/screenshots below the
// current directory (go test runs a test in its package's directory). Both
// outlive the test, unlike t.TempDir, so a failed run's pictures can be
// looked at; git ignores testdata/screenshots.
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browsertest: artifacts folder: %v", err)
	}
	return dir
}

// jsString quotes s as a JavaScript string literal (JSON's strings are
// JavaScript's), for building scripts from Go values.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
