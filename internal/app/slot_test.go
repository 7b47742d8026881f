package app

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vendorportal/orgs/internal/mail"
)

func TestSlotBuildsOnceUnderConcurrentUse(t *testing.T) {
	var s slot[*int]
	var builds atomic.Int32
	var wg sync.WaitGroup
	got := make([]*int, 16)
	for i := range got {
		wg.Go(func() {
			got[i] = get(&s, func() *int { builds.Add(1); n := 7; return &n })
		})
	}
	wg.Wait()
	if builds.Load() != 1 {
		t.Fatalf("built %d times; want once", builds.Load())
	}
	for _, p := range got {
		if p != got[0] {
			t.Fatal("callers got different values")
		}
	}
}

// A builder that panics (a missing install) leaves the slot empty: asking again panics with
// the same message, and a value set afterwards is what the next get returns.
func TestSlotPanickingBuilderLeavesItEmpty(t *testing.T) {
	var s slot[string]
	for range 2 {
		func() {
			defer func() {
				if r := recover(); r != "no install" {
					t.Fatalf("recovered %v; want the builder's panic", r)
				}
			}()
			get(&s, func() string { panic("no install") })
		}()
	}
	if _, ok := peek(&s); ok {
		t.Fatal("a slot whose builder panicked holds a value")
	}
	set(&s, "installed")
	if v := get(&s, func() string { panic("built again") }); v != "installed" {
		t.Fatalf("got %q; want the value set", v)
	}
}

func TestSlotHoldsANilInterface(t *testing.T) {
	var s slot[mail.Sender]
	set(&s, nil)
	v, ok := peek(&s)
	if !ok || v != nil {
		t.Fatalf("peek = %v, %v; want nil, true", v, ok)
	}
}

func TestInstalledSlotBuildsWhatWasInstalled(t *testing.T) {
	var s installedSlot[func() int]
	func() {
		defer func() {
			if r := recover(); r != "missing" {
				t.Fatalf("recovered %v; want the missing message", r)
			}
		}()
		getInstalled(&s, "missing")
	}()
	builds := 0
	use(&s, func() func() int { builds++; return func() int { return 42 } })
	for range 2 {
		if got := getInstalled(&s, "missing")(); got != 42 {
			t.Fatalf("got %d; want the installed step's", got)
		}
	}
	if builds != 1 {
		t.Fatalf("built %d times; want once", builds)
	}
}

func TestEnvKeyRefusesAnUnknownPurpose(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for an unknown key purpose")
		}
	}()
	New(Config{Secret: []byte("s")}, nil).Key("no-such-purpose")
}
