package report

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Machine fills the machine and build fields of m from /proc, the runtime and
// git. outDir is where the report goes: rewriting a report kept in the
// repository (bench/example) changes tracked files, which says nothing of the
// build measured, so they do not mark the commit dirty.
func Machine(m *Meta, outDir string) {
	m.GoVersion = runtime.Version()
	m.Cores = runtime.NumCPU()
	m.OS = runtime.GOOS + "/" + runtime.GOARCH
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	m.MemTotal = procField("/proc/meminfo", "MemTotal")
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.GitCommit = gitCommit(outDir)
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// gitCommit returns HEAD of the working directory's repository, marked "-dirty"
// when tracked files outside outDir differ, or "unknown".
func gitCommit(outDir string) string {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := string(bytes.TrimSpace(out))
	st, err := exec.Command("git", dirtyArgs(outDir)...).Output()
	if err != nil { // outDir outside the repository: check everything
		st, err = exec.Command("git", dirtyArgs("")...).Output()
	}
	if err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += "-dirty"
	}
	return c
}

// dirtyArgs is the git command listing changed tracked files, outDir left
// out when it is given.
func dirtyArgs(outDir string) []string {
	args := []string{"status", "--porcelain", "--untracked-files=no"}
	if outDir != "" {
		args = append(args, "--", ".", ":(exclude)"+filepath.Clean(outDir))
	}
	return args
}
