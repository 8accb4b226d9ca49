package tlsconfig_test

import (
	"os"
	"testing"

	"burndown/tlsconfig"
	"burndown/tlsconfig/tlstest"
)

// Reload swaps in the certificate now in the files; a reload that fails
// (a key that does not match) keeps the one in use.
func TestReloadSwapsTheCertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	p := ca.Issue(t, "api")
	k, err := tlsconfig.LoadKeypair(p.CertFile, p.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Certificate().Leaf.SerialNumber; got.Cmp(p.Serial) != 0 {
		t.Fatalf("serial %v, want %v", got, p.Serial)
	}
	next := ca.IssueTo(t, "api", p.CertFile, p.KeyFile)
	if err := k.Reload(); err != nil {
		t.Fatal(err)
	}
	if got, _ := k.GetCertificate(nil); got.Leaf.SerialNumber.Cmp(next) != 0 {
		t.Fatalf("after reload: serial %v, want %v", got.Leaf.SerialNumber, next)
	}
	other := ca.Issue(t, "other")
	key, err := os.ReadFile(other.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.KeyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := k.Reload(); err == nil {
		t.Fatal("reload with a key of another certificate succeeded")
	}
	if got, _ := k.GetClientCertificate(nil); got.Leaf.SerialNumber.Cmp(next) != 0 {
		t.Fatalf("after a failed reload: serial %v, want the old %v", got.Leaf.SerialNumber, next)
	}
	if _, err := tlsconfig.LoadKeypair(p.CertFile, p.KeyFile); err == nil {
		t.Fatal("LoadKeypair of a mismatched pair succeeded")
	}
}
