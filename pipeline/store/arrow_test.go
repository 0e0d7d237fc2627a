package store

import "testing"

// validNot and nullCount agree with a bit-by-bit reference for every length and null pattern.
func TestValidNot(t *testing.T) {
	for n := 0; n <= 70; n++ {
		for pattern := 0; pattern < 5; pattern++ {
			vals := make([]int16, n)
			for i := range vals {
				switch pattern {
				case 1:
					vals[i] = -1
				case 2:
					if i%3 == 0 {
						vals[i] = -1
					}
				case 3:
					if i == n-1 {
						vals[i] = -1
					}
				case 4:
					if i%7 != 1 {
						vals[i] = -1
					}
				}
			}
			bm := validNot(vals, -1)
			nulls := 0
			for i, v := range vals {
				valid := bm == nil || bm[i>>3]&(1<<(i&7)) != 0
				if valid != (v != -1) {
					t.Fatalf("n=%d pattern %d: value %d valid=%v", n, pattern, i, valid)
				}
				if v == -1 {
					nulls++
				}
			}
			if nulls == 0 && bm != nil {
				t.Fatalf("n=%d pattern %d: bitmap without nulls", n, pattern)
			}
			if got := nullCount(bm, n); got != nulls {
				t.Fatalf("n=%d pattern %d: nullCount %d, want %d", n, pattern, got, nulls)
			}
		}
	}
}
