package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// No code outside the engine gets hold of a live customer through the
// engine's exported API. The test reads the package's source (not its tests)
// and fails on any exported declaration through which a *Customer (or a
// Customer) could leave the engine:
//
//   - a function or method result that mentions Customer (methods of the
//     customer's own types excepted: their receiver is already in hand);
//   - a function type among the parameters or results of an exported
//     function or method, or declared as an exported type, whose own
//     parameters mention Customer: a callback the engine would call with a
//     customer (the ReadFunc that Engine.Read took);
//   - an exported field of an exported struct whose type mentions Customer.
//
// The exceptions are listed, each with why it hands out no live state to a
// reader; a new one fails until it is argued for here. And the one read API,
// Engine.ReadCustomer, returns CustomerRead, whose Customer is a deep copy
// (TestReadCustomerCopiesEverything).
//
// What it does not see: a customer smuggled through a type that does not
// name Customer (an interface, an any field) or through an unexported type
// returned by an exported function. None exists; the check is syntactic.
func TestNoLiveCustomerLeavesTheEngine(t *testing.T) {
	allowed := map[string]string{
		// The copy a read returns.
		"CustomerRead.Customer": "a deep copy made on the shard (ReadCustomer)",
		// The snapshot writer: persist's customer codec, called on the
		// snapshot's goroutine or the shard's (copy-on-write) while the
		// customer is claimed; it writes bytes and keeps nothing. It is the
		// durable format's side of the engine, no reader.
		"type CustomerEncoder": "the snapshot's customer codec",
		"Engine.Snapshot":      "takes the CustomerEncoder above",
		// Restore's input: customers persist decoded, handed to the engine,
		// which owns them from then on (persist drops the State).
		"State.Customers": "customers handed in to Restore, not out",
	}
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	src := pkgs["engine"]
	if src == nil {
		t.Fatal("no engine package here")
	}
	// The customer's own types: their methods may return parts of the
	// customer they are called on.
	customerTypes := map[string]bool{"Customer": true, "Contract": true, "Commit": true, "Segment": true, "Invoice": true, "Alert": true}
	// Function types declared in the package whose parameters mention
	// Customer: naming one is taking such a callback.
	callbacks := map[string]bool{}
	for _, f := range src.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if ft, ok := ts.Type.(*ast.FuncType); ok && fieldsMention(ft.Params) {
					callbacks[ts.Name.Name] = true
				}
			}
			return true
		})
	}
	hasCustomerCallback := func(ft *ast.FuncType) bool { return takesCallback(ft, callbacks) }
	var found []string
	flag := func(what string) {
		if _, ok := allowed[what]; ok {
			delete(allowed, what)
			return
		}
		found = append(found, what)
	}
	readAPI := false
	for _, f := range src.Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				name, recv := d.Name.Name, ""
				if d.Recv != nil {
					recv = receiverName(d.Recv.List[0].Type)
					if !ast.IsExported(recv) {
						continue
					}
					name = recv + "." + name
				}
				if name == "Engine.ReadCustomer" {
					readAPI = d.Type.Results != nil && len(d.Type.Results.List) == 3 &&
						exprString(d.Type.Results.List[0].Type) == "CustomerRead"
				}
				if d.Type.Results != nil && !customerTypes[recv] {
					for _, r := range d.Type.Results.List {
						if mentionsCustomer(r.Type) {
							flag(name)
						}
					}
				}
				if hasCustomerCallback(d.Type) {
					flag(name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					ts, ok := s.(*ast.TypeSpec)
					if !ok || !ts.Name.IsExported() {
						continue
					}
					switch tt := ts.Type.(type) {
					case *ast.FuncType:
						if fieldsMention(tt.Params) || hasCustomerCallback(tt) {
							flag("type " + ts.Name.Name)
						}
					case *ast.StructType:
						for _, fl := range tt.Fields.List {
							for _, n := range fl.Names {
								if n.IsExported() && mentionsCustomer(fl.Type) {
									flag(ts.Name.Name + "." + n.Name)
								}
							}
						}
					default:
						if mentionsCustomer(ts.Type) {
							flag("type " + ts.Name.Name)
						}
					}
				}
			}
		}
	}
	for _, w := range found {
		t.Errorf("%s hands a customer out of the engine: readers get copies (Engine.ReadCustomer)", w)
	}
	for w := range allowed {
		t.Errorf("the exception %s no longer exists: drop it from the list", w)
	}
	if !readAPI {
		t.Error("Engine.ReadCustomer does not return (CustomerRead, bool, error)")
	}
	// The test reads this directory: make sure it is the package's.
	if _, err := os.Stat("readcopy.go"); err != nil {
		t.Fatal(err)
	}
}

func receiverName(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func exprString(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// mentionsCustomer reports whether a type expression names Customer.
func mentionsCustomer(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == "Customer" {
			found = true
		}
		return !found
	})
	return found
}

func fieldsMention(fl *ast.FieldList) bool {
	if fl == nil {
		return false
	}
	for _, f := range fl.List {
		if mentionsCustomer(f.Type) {
			return true
		}
	}
	return false
}

// takesCallback reports whether a function type takes or returns a function
// whose parameters mention Customer, literally or as one of the named
// callback types.
func takesCallback(ft *ast.FuncType, callbacks map[string]bool) bool {
	found := false
	check := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, f := range fl.List {
			ast.Inspect(f.Type, func(n ast.Node) bool {
				if inner, ok := n.(*ast.FuncType); ok && fieldsMention(inner.Params) {
					found = true
				}
				if id, ok := n.(*ast.Ident); ok && callbacks[id.Name] {
					found = true
				}
				return !found
			})
		}
	}
	check(ft.Params)
	check(ft.Results)
	return found
}
