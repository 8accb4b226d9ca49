package loadgen

import "testing"

func TestZipfRangeAndSkew(t *testing.T) {
	for _, n := range []int{1, 2, 10, 1000} {
		z, err := NewZipf(n, 1.1, 42)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, n)
		for i := 0; i < 20000; i++ {
			k := z.Next()
			if k < 0 || k >= n {
				t.Fatalf("n=%d: drew %d, outside [0,%d)", n, k, n)
			}
			counts[k]++
		}
		if n > 1 && counts[0] <= counts[n-1] {
			t.Errorf("n=%d: index 0 drawn %d times, last %d: not skewed", n, counts[0], counts[n-1])
		}
	}
}

func TestZipfRejectsBadArgs(t *testing.T) {
	if _, err := NewZipf(0, 1.1, 1); err == nil {
		t.Error("n=0 accepted")
	}
	if _, err := NewZipf(10, 1.0, 1); err == nil {
		t.Error("s=1 accepted")
	}
}

func TestZipfDeterministicPerSeed(t *testing.T) {
	a, _ := NewZipf(100, 1.2, 7)
	b, _ := NewZipf(100, 1.2, 7)
	for i := 0; i < 100; i++ {
		if a.Next() != b.Next() {
			t.Fatal("same seed gave different sequences")
		}
	}
}
