package report

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A report rewritten inside the repository (bench/example) does not mark
// the measured commit dirty; any other change to a tracked file does, and
// so does one when the report goes outside the repository.
func TestGitCommitLeavesTheReportOut(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed to build the report's commit field: %v", err)
	}
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	write("main.go", "package main\n")
	write("bench/example/report.md", "old\n")
	git("add", ".")
	git("commit", "-q", "-m", "init")
	t.Chdir(repo)

	write("bench/example/report.md", "new\n")
	if c := gitCommit("bench/example"); strings.HasSuffix(c, "-dirty") || len(c) != 40 {
		t.Fatalf("report rewritten in place: commit %q, want the clean hash", c)
	}
	if c := gitCommit(filepath.Join(t.TempDir(), "out")); !strings.HasSuffix(c, "-dirty") {
		t.Fatalf("report outside the repository, its old copy changed: commit %q, want -dirty", c)
	}
	write("main.go", "package main // changed\n")
	if c := gitCommit("bench/example"); !strings.HasSuffix(c, "-dirty") {
		t.Fatalf("source changed: commit %q, want -dirty", c)
	}
}
