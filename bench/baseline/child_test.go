package baseline

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"burndown/bench/target"
)

func TestServeChildFloor(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- ServeChild(ctx, []string{"--store", "floor", "--run", "x", "--customers", "5", "--balance", "7"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if !ok {
		t.Fatalf("first line %q", line)
	}
	go io.Copy(io.Discard, pr)
	ht, err := target.NewHTTP(target.HTTPConfig{Name: "child", BaseURL: url, ProductID: "p", Conns: 1, Customers: target.NewCustomers("x", 5)})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ht.Session(0)
	if err := s.Check(ctx, 4); err != nil {
		t.Errorf("check against the child's floor: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeChild: %v", err)
	}
}

func TestServeChildRejectsUnknownStore(t *testing.T) {
	if err := ServeChild(context.Background(), []string{"--store", "mysql"}, io.Discard, io.Discard); err == nil {
		t.Error("unknown store accepted")
	}
}
