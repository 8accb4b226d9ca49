package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"burndown/tlsconfig/tlstest"
)

// The TLS flags go together as documented, and a file that cannot be read
// is named by its flag, before anything starts.
func TestTLSFlagsGoTogether(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	p := ca.Issue(t, "n1")
	full := serveFlags{certFile: p.CertFile, keyFile: p.KeyFile, peerCertFile: p.CertFile, peerKeyFile: p.KeyFile, peerCAFile: ca.CertFile}
	for _, c := range []struct {
		name string
		edit func(*serveFlags)
		want string
	}{
		{"cert without key", func(f *serveFlags) { f.keyFile = "" }, "--cert-file and --key-file"},
		{"peer cert without CA", func(f *serveFlags) { f.peerCAFile = "" }, "go together"},
		{"peer TLS without an API certificate", func(f *serveFlags) { f.certFile, f.keyFile = "", "" }, "needs --cert-file"},
		{"unreadable API key", func(f *serveFlags) { f.keyFile = ca.CertFile }, "--cert-file/--key-file"},
		{"a CA file without a certificate", func(f *serveFlags) { f.peerCAFile = p.KeyFile }, "--peer-trusted-ca-file"},
	} {
		f := full
		c.edit(&f)
		if _, err := f.loadTLS(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", c.name, err, c.want)
		}
	}
	tlsc, err := full.loadTLS()
	if err != nil {
		t.Fatal(err)
	}
	if !tlsc.on() || tlsc.raft() == nil || tlsc.nodeClient() == nil || tlsc.nodeClient().RootCAs == nil {
		t.Fatal("full TLS flags: want HTTPS, raft TLS and a node client trusting the peer CA")
	}
	plain, err := (&serveFlags{}).loadTLS()
	if err != nil || plain.on() || plain.raft() != nil || plain.nodeClient() != nil {
		t.Fatalf("no TLS flags: %v, want plain HTTP and TCP", err)
	}
}

// --cacert with a file that holds no certificate is refused by name.
func TestCACertMustHoldACertificate(t *testing.T) {
	bad := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(bad, []byte("nothing"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BURNDOWN_CACERT", bad)
	err := tokenCmd(t.Context(), []string{"list", "--token", "t"}, new(bytes.Buffer), new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), "--cacert") {
		t.Fatalf("BURNDOWN_CACERT naming a file without a certificate: %v", err)
	}
}

// Every flag `burndown serve --help` lists is in docs/operations.md.
func TestOperationsDocListsEveryServeFlag(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--help"}, new(bytes.Buffer), &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve --help: %v", err)
	}
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	flags := regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(stderr.String(), -1)
	if len(flags) < 20 {
		t.Fatalf("found only %d flags in serve --help:\n%s", len(flags), stderr.String())
	}
	for _, m := range flags {
		if !strings.Contains(string(doc), "`--"+m[1]+"`") {
			t.Errorf("--%s is a serve flag but docs/operations.md does not name it (add it to the flag table)", m[1])
		}
	}
}
