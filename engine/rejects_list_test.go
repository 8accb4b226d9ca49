package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"testing"
)

// TestRejectReasonsListEveryConstant parses the package's sources for every
// constant of type RejectReason and fails on one RejectReasons leaves out:
// the list is what /metrics and the customer rejects endpoint iterate.
func TestRejectReasonsListEveryConstant(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), ".", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, f := range pkgs["engine"].Files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "RejectReason" {
					for _, n := range vs.Names {
						declared = append(declared, n.Name)
					}
				}
			}
		}
	}
	if len(declared) < 6 {
		t.Fatalf("found only %d RejectReason constants (%v): the parse is wrong", len(declared), declared)
	}
	byName := map[string]RejectReason{"RejectUnknownCustomer": RejectUnknownCustomer, "RejectNoContract": RejectNoContract,
		"RejectFinalized": RejectFinalized, "RejectTooOld": RejectTooOld, "RejectFuture": RejectFuture, "RejectUniqueLimit": RejectUniqueLimit}
	for _, name := range declared {
		r, known := byName[name]
		if !known {
			t.Errorf("RejectReason constant %s is new: add it to RejectReasons and to this test's table", name)
			continue
		}
		if !slices.Contains(RejectReasons, r) {
			t.Errorf("RejectReasons leaves out %s (%q)", name, r)
		}
	}
	if len(RejectReasons) != len(rejectTotals{}) {
		t.Errorf("rejectTotals has %d slots for %d reasons", len(rejectTotals{}), len(RejectReasons))
	}
}
