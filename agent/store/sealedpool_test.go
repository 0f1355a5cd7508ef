package store

import "testing"

// TestSealedClass: every size up to maxPooledSealed has a class whose
// buffers hold it, wasting at most a fifth of the buffer (but for the
// smallest class); a class's capacity is in its own class.
func TestSealedClass(t *testing.T) {
	prev := -1
	for n := 1; n <= maxPooledSealed; n += 1 + n/512 {
		class, capacity, ok := sealedClass(n)
		if !ok || class < 0 || class >= sealedClasses || capacity < n {
			t.Fatalf("%d bytes: class %d of capacity %d, %v", n, class, capacity, ok)
		}
		if n > 256 && capacity-n > capacity/5 {
			t.Fatalf("%d bytes: capacity %d wastes more than a fifth", n, capacity)
		}
		if c2, cap2, _ := sealedClass(capacity); c2 != class || cap2 != capacity {
			t.Fatalf("capacity %d is in class %d (capacity %d), not %d", capacity, c2, cap2, class)
		}
		if class < prev {
			t.Fatalf("%d bytes: class %d after class %d", n, class, prev)
		}
		prev = class
	}
	if _, _, ok := sealedClass(maxPooledSealed + 1); ok {
		t.Errorf("a value over maxPooledSealed is pooled")
	}
}
