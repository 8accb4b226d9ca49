package engine

import (
	"strconv"
	"testing"
)

// Ids cut from an arena are DeriveID's, and stay so while later ids fill
// the block and the next ones (a block is never written under an id).
func TestIDArenaIDsAreDeriveIDs(t *testing.T) {
	var a idArena
	var got []string
	for i := 0; i < 3*idArenaBlock/derivedIDLen; i++ {
		got = append(got, a.derive("contract", strconv.Itoa(i)))
	}
	for i, id := range got {
		if want := DeriveID("contract", strconv.Itoa(i)); id != want {
			t.Fatalf("id %d = %q, want %q", i, id, want)
		}
	}
	if id, want := a.entryID(7, 2, "alert"), entryID(7, 2, "alert"); id != want {
		t.Fatalf("entryID = %q, want %q", id, want)
	}
}
