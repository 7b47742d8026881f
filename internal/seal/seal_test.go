package seal

import (
	"bytes"
	"testing"
)

func TestOpenReturnsWhatWasSealed(t *testing.T) {
	k := Derive([]byte("server secret"), "cursor")
	s := k.Seal([]byte("position 42"))
	got, err := k.Open(s)
	if err != nil || !bytes.Equal(got, []byte("position 42")) {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestSealedValueOpensForItsPurposeOnly(t *testing.T) {
	secret := []byte("server secret")
	s := Derive(secret, "cursor").Seal([]byte("x"))
	if _, err := Derive(secret, "outbox").Open(s); err != ErrInvalid {
		t.Fatalf("another purpose opened it: %v", err)
	}
	if _, err := Derive([]byte("other secret"), "cursor").Open(s); err != ErrInvalid {
		t.Fatalf("another secret opened it: %v", err)
	}
}

func TestAlteredValueDoesNotOpen(t *testing.T) {
	k := Derive([]byte("s"), "p")
	s := []byte(k.Seal([]byte("hello")))
	s[len(s)/2] ^= 1
	for _, bad := range []string{string(s), "", "!!", "abc"} {
		if _, err := k.Open(bad); err != ErrInvalid {
			t.Errorf("Open(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
