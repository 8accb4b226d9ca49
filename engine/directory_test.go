package engine

import (
	"fmt"
	"math/rand"
	"testing"
)

// The directory answers as a plain map would through inserts, removals
// and the base rebuilds they trigger, for readers and after a bulk load.
func TestDirectoryMatchesAMap(t *testing.T) {
	d := newDirectory()
	want := map[string]*CustomerHandle{}
	rng := rand.New(rand.NewSource(1))
	handles := make([]*CustomerHandle, 50)
	for i := range handles {
		handles[i] = &CustomerHandle{ID: fmt.Sprint("h", i)}
	}
	for i := 0; i < 200000; i++ {
		key := fmt.Sprint("key-", rng.Intn(20000))
		if rng.Intn(5) == 0 {
			d.remove(key)
			delete(want, key)
			continue
		}
		h := handles[rng.Intn(len(handles))]
		d.insert(key, h)
		want[key] = h
	}
	check := func(d *directory) {
		t.Helper()
		for i := 0; i < 20000; i++ {
			key := fmt.Sprint("key-", i)
			if got := d.lookup(key); got != want[key] {
				t.Fatalf("%s: %v, want %v", key, got, want[key])
			}
			if got := d.lookupBytes([]byte(key)); got != want[key] {
				t.Fatalf("%s (bytes): %v, want %v", key, got, want[key])
			}
		}
	}
	check(d)
	loaded := newDirectory()
	loaded.bulkLoad(want)
	check(loaded)
}

// BenchmarkDirectoryInsert is the apply goroutine's cost of publishing one
// new key into a directory already holding a million (a customer's id and
// alias are two): what onboarding pays per key at scale.
func BenchmarkDirectoryInsert(b *testing.B) {
	d := newDirectory()
	h := &CustomerHandle{ID: "h"}
	const preload = 1 << 20
	keys := make([]string, preload+b.N)
	for i := range keys {
		keys[i] = fmt.Sprintf("cust-%09d", i)
	}
	for _, k := range keys[:preload] {
		d.insert(k, h)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.insert(keys[preload+i], h)
	}
}

// BenchmarkDirectoryLookup is the check's lookup among a million keys.
func BenchmarkDirectoryLookup(b *testing.B) {
	d := newDirectory()
	h := &CustomerHandle{ID: "h"}
	const n = 1 << 20
	keys := make([][]byte, n)
	for i := range keys {
		k := fmt.Sprintf("cust-%09d", i)
		keys[i] = []byte(k)
		d.insert(k, h)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d.lookupBytes(keys[i&(n-1)]) == nil {
			b.Fatal("missing")
		}
	}
}
