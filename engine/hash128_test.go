package engine

import (
	"fmt"
	"testing"
)

// Reference outputs of MurmurHash3_x64_128 with seed 0 (the canonical C++
// implementation), as the two 64-bit halves h1, h2.
func TestMurmur3KnownValues(t *testing.T) {
	for _, c := range []struct {
		in     string
		h1, h2 uint64
	}{
		{"", 0, 0},
		{"hello", 0xcbd8a7b341bd9b02, 0x5b1e906a48ae1d19},
		{"The quick brown fox jumps over the lazy dog", 0xe34bbc7bbc071b6c, 0x7a433ca9c49a9347},
	} {
		h1, h2 := murmur3x64_128([]byte(c.in))
		if h1 != c.h1 || h2 != c.h2 {
			t.Errorf("murmur3(%q) = %x %x, want %x %x", c.in, h1, h2, c.h1, c.h2)
		}
	}
}

// Keys of one customer's many transactions never collide in a sample, and
// the same pair always gives the same key.
func TestDedupKeysAreStableAndDistinct(t *testing.T) {
	seen := map[dedupKey]string{}
	for i := 0; i < 200000; i++ {
		tx := fmt.Sprintf("tx-%d", i)
		k := makeDedupKey("customer-1", tx)
		if prev, ok := seen[k]; ok {
			t.Fatalf("%s and %s collide", prev, tx)
		}
		seen[k] = tx
		if makeDedupKey("customer-1", tx) != k {
			t.Fatal("key is not stable")
		}
	}
	if makeDedupKey("ab", "c") == makeDedupKey("a", "bc") {
		t.Fatal("customer and transaction ids are not separated")
	}
}
