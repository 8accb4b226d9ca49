package main

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The documentation's shell blocks are run, in order, against real
// `burndown` processes, so a command that no longer works fails a test.
//
// What is run: every fenced block whose info string is `sh`, unless the
// line just before its opening fence is `<!-- not run: REASON -->` (an
// illustration; the reason says why). A document whose blocks are run only
// in part marks the ones to run with `<!-- run: NAME -->` on that line
// instead (README.md: `cluster` and `secure-cluster`; its walk-through
// with NGINX is gateway's TestREADMEGatewayExample).
//
// How: each block is one `bash` script with `set -eo pipefail`, run in one
// temporary directory shared by all the blocks of a document (files a block
// makes, certificates or backups, are there for the next one, as for a
// reader who stays in one directory). Its output is kept, and shown, with
// the block's first line in the document, when it fails or takes more than
// blockTimeout.
//
// What the harness changes, as a reader would on another machine:
//   - `burndown` is the binary this test built, first on PATH, and
//     `go run ./cmd/burndown` in a block means that binary too.
//   - Every loopback address `127.0.0.1:PORT` becomes a free port, the
//     same one wherever that PORT appears in the document. The defaults a
//     command line leaves out (127.0.0.1:8080 for HTTP, :8300 for raft)
//     are moved likewise, through BURNDOWN_HTTP_ADDR and BURNDOWN_RAFT_ADDR.
//   - curl reads a .curlrc (CURL_HOME) with `fail-with-body` and
//     `show-error`: an answer of 400 or more fails the block, as `curl -s`
//     would not. (So a document's curl never says -f itself: curl refuses
//     both.)
//
// Servers: a line that starts with `burndown serve` is a node a reader
// starts in a terminal of its own and leaves running. The harness runs it
// in the background (its output in .serve/NODE-ID.log, shown when the test
// fails), waits until it answers /readyz (a joining node answers once it
// has joined and caught up) and goes on with the block. A `burndown serve`
// line that ends with `&` is run as written (the document backgrounds it
// itself, e.g. a node that is meant never to become ready). Every process
// a block started is killed when the test ends: each block runs in a
// process group of its own.

// blockTimeout bounds one block, readiness waits included.
const blockTimeout = 90 * time.Second

// docBlock is one fenced shell block of a document.
type docBlock struct {
	line int    // the opening fence's line, from 1
	mark string // the line before the fence, when it is an HTML comment
	text string
}

var markLine = regexp.MustCompile(`^<!--\s*(not run|run):\s*(.*?)\s*-->$`)

// shBlocks returns doc's fenced blocks tagged `sh`, each with the comment
// line just before it (if any).
func shBlocks(t *testing.T, path string) []docBlock {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []docBlock
	var cur *docBlock
	prev := ""
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		case strings.HasPrefix(line, "```"):
			if strings.TrimSpace(strings.TrimPrefix(line, "```")) == "sh" {
				cur = &docBlock{line: n}
				if markLine.MatchString(strings.TrimSpace(prev)) {
					cur.mark = strings.TrimSpace(prev)
				}
			} else {
				// Another language: skip to its closing fence.
				for sc.Scan() {
					n++
					if strings.TrimSpace(sc.Text()) == "```" {
						break
					}
				}
			}
		}
		if strings.TrimSpace(line) != "" {
			prev = line
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: a block that never closes", path, cur.line)
	}
	return blocks
}

// marked reports whether b is marked <!-- kind: ... --> (kind "run" or
// "not run"), and the rest of the comment.
func (b docBlock) marked(kind string) (string, bool) {
	m := markLine.FindStringSubmatch(b.mark)
	if m == nil || m[1] != kind {
		return "", false
	}
	return m[2], true
}

// docRun runs a document's blocks in one directory.
type docRun struct {
	t     *testing.T
	doc   string
	dir   string
	env   []string
	ports map[string]string // a document's port -> a free one
	pgids []int
}

var loopbackPort = regexp.MustCompile(`127\.0\.0\.1:(\d{2,5})\b`)

// newDocRun prepares a directory and the environment for doc's blocks,
// with bin as `burndown`. The processes its blocks start are killed, and
// their logs shown if the test failed, when the test ends.
func newDocRun(t *testing.T, bin, doc string) *docRun {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "jq", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s runs %s, which is not installed (.ci/run installs it): %v", doc, tool, err)
		}
	}
	r := &docRun{t: t, doc: doc, dir: t.TempDir(), ports: map[string]string{}}
	for _, d := range []string{".serve", ".blocks", ".curl"} {
		if err := os.Mkdir(filepath.Join(r.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(r.dir, ".curl", ".curlrc"), []byte("fail-with-body\nshow-error\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BURNDOWN_") && !strings.HasPrefix(kv, "CURL_") && !strings.HasPrefix(kv, "PATH=") {
			r.env = append(r.env, kv)
		}
	}
	r.env = append(r.env, "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"CURL_HOME="+filepath.Join(r.dir, ".curl"),
		"BURNDOWN_HTTP_ADDR="+r.addr("8080"), "BURNDOWN_RAFT_ADDR="+r.addr("8300"))
	t.Cleanup(func() {
		for _, pgid := range r.pgids {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(r.dir, ".serve", "*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				t.Logf("%s's log (%s):\n%s", strings.TrimSuffix(filepath.Base(l), ".log"), doc, lastLines(string(b), 20))
			}
		}
	})
	return r
}

// addr is the free loopback address standing for the document's port,
// one no other port of the document stands for (the kernel may hand a
// just-released port out again).
func (r *docRun) addr(port string) string {
	if _, ok := r.ports[port]; !ok {
		r.ports[port] = freeAddr(r.t, slices.Collect(maps.Values(r.ports))...)
	}
	return r.ports[port]
}

// servePrelude defines __serve, which runs `burndown serve ARGS` in the
// background and waits until it answers /readyz.
const servePrelude = `set -eo pipefail
__serve() {
  local id=node addr=${BURNDOWN_HTTP_ADDR:-127.0.0.1:8080} scheme=http prev= a pid i
  for a in "$@"; do
    case $prev in --node-id) id=$a ;; --http-addr) addr=$a ;; esac
    [ "$a" = --cert-file ] && scheme=https
    prev=$a
  done
  burndown serve "$@" >".serve/$id.log" 2>&1 &
  pid=$!
  for i in $(seq 600); do
    curl -q -skf -o /dev/null "$scheme://$addr/readyz" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "burndown serve ($id) exited:"; tail -n 20 ".serve/$id.log"; return 1; }
    sleep 0.1
  done
  echo "burndown serve ($id) not ready on $addr after 60s:"; tail -n 20 ".serve/$id.log"; return 1
}
`

// script is b as the harness runs it: ports moved, `burndown serve` lines
// through __serve.
func (r *docRun) script(b docBlock) string {
	var s strings.Builder
	s.WriteString(servePrelude)
	for _, line := range strings.Split(strings.TrimSuffix(b.text, "\n"), "\n") {
		line = strings.ReplaceAll(line, "go run ./cmd/burndown", "burndown")
		line = loopbackPort.ReplaceAllStringFunc(line, func(m string) string { return r.addr(loopbackPort.FindStringSubmatch(m)[1]) })
		code := line
		if i := strings.Index(code, " #"); i >= 0 {
			code = code[:i]
		}
		if rest, ok := strings.CutPrefix(line, "burndown serve"); ok && !strings.HasSuffix(strings.TrimSpace(code), "&") {
			line = "__serve" + rest
		}
		s.WriteString(line + "\n")
	}
	return s.String()
}

// run runs block b and returns its output; a block that fails, or runs
// past blockTimeout, fails the test with its text and output.
func (r *docRun) run(b docBlock) string {
	r.t.Helper()
	name := fmt.Sprintf("%s:%d", r.doc, b.line)
	file := filepath.Join(r.dir, ".blocks", fmt.Sprintf("%d", b.line))
	if err := os.WriteFile(file+".sh", []byte(r.script(b)), 0o644); err != nil {
		r.t.Fatal(err)
	}
	out, err := os.Create(file + ".out")
	if err != nil {
		r.t.Fatal(err)
	}
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), blockTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", file+".sh")
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = r.dir, r.env, out, out
	// Its own process group, so that the servers it leaves running can be
	// killed with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	r.pgids = append(r.pgids, cmd.Process.Pid)
	err = cmd.Wait()
	got, _ := os.ReadFile(file + ".out")
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("still running after %s", blockTimeout)
		}
		r.t.Fatalf("the block at %s failed (%v, after %s):\n%s\n-- its output:\n%s", name, err, time.Since(start).Round(time.Millisecond), b.text, got)
	}
	r.t.Logf("%s: ran in %s", name, time.Since(start).Round(time.Millisecond))
	return string(got)
}

// Every shell block of docs/operations.md runs, in order, and exits 0.
func TestOperationsDocRuns(t *testing.T) {
	bin := buildBinary(t)
	r := newDocRun(t, bin, "docs/operations.md")
	blocks := shBlocks(t, "../../docs/operations.md")
	ran := 0
	for _, b := range blocks {
		if reason, ok := b.marked("not run"); ok {
			if reason == "" {
				t.Errorf("docs/operations.md:%d: a block not run must say why", b.line)
			}
			continue
		}
		r.run(b)
		ran++
	}
	if ran < 8 {
		t.Fatalf("ran %d blocks of docs/operations.md; it has more than that (the parser lost some?)", ran)
	}
}

// README.md's cluster blocks run: the plain cluster, then the secure one
// (HTTPS, peer mutual TLS, the walk-through with a write token for ingest
// and a read token for the check), in which a node whose peer certificate
// another CA signed never joins and the cluster keeps its three members.
func TestREADMEClusterRuns(t *testing.T) {
	bin := buildBinary(t)
	r := newDocRun(t, bin, "README.md")
	outs := map[string]string{}
	for _, b := range shBlocks(t, "../../README.md") {
		if name, ok := b.marked("run"); ok {
			outs[name] += r.run(b)
		}
	}
	for _, name := range []string{"cluster", "secure-cluster"} {
		if _, ok := outs[name]; !ok {
			t.Fatalf("README.md has no block marked <!-- run: %s -->", name)
		}
	}
	secure := outs["secure-cluster"]
	for _, want := range []string{`"entitled":true`, `"balance":"1999"`, "\n[\"n1\",\"n2\",\"n3\"]\n"} {
		if !strings.Contains(secure, want) {
			t.Errorf("the secure cluster's walk-through: no %q in its output:\n%s", want, lastLines(secure, 20))
		}
	}
	log, err := os.ReadFile(filepath.Join(r.dir, "n4.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "join attempt failed"); n < 3 || strings.Contains(string(log), "joined the cluster") {
		t.Errorf("the node with another CA's peer certificate: %d refused joins, want 3 or more and no join:\n%s", n, lastLines(string(log), 10))
	}
}

// The harness finds sh blocks only, with the mark on the line before each,
// skips other languages whole (even a fence of sh text inside them), and
// moves ports and `burndown serve` lines as its comment says.
func TestDocBlocksAndScript(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "doc.md")
	text := "# t\n\n```sh\necho one\n```\n\n<!-- not run: an example of output -->\n\n```sh\necho two\n```\n" +
		"```text\n```sh\necho never\n```\n<!-- run: x -->\n```sh\nburndown serve --http-addr 127.0.0.1:8081 # a node\n" +
		"burndown serve --http-addr 127.0.0.1:8081 > n.log &\ngo run ./cmd/burndown version\n```\n"
	if err := os.WriteFile(doc, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	blocks := shBlocks(t, doc)
	if len(blocks) != 3 || blocks[0].text != "echo one\n" || blocks[1].text != "echo two\n" {
		t.Fatalf("blocks: %+v", blocks)
	}
	if _, ok := blocks[0].marked("not run"); ok {
		t.Error("the first block is not marked")
	}
	if why, ok := blocks[1].marked("not run"); !ok || why != "an example of output" {
		t.Errorf("the second block's mark: %q %v", why, ok)
	}
	if name, ok := blocks[2].marked("run"); !ok || name != "x" || blocks[2].line != 17 {
		t.Errorf("the third block: mark %q %v, line %d", name, ok, blocks[2].line)
	}
	r := &docRun{t: t, ports: map[string]string{}}
	addr := r.addr("8081")
	got := strings.TrimPrefix(r.script(blocks[2]), servePrelude)
	want := "__serve --http-addr " + addr + " # a node\nburndown serve --http-addr " + addr + " > n.log &\nburndown version\n"
	if got != want {
		t.Errorf("script:\n%s\nwant:\n%s", got, want)
	}
}
