package app

import (
	"sync"
	"sync/atomic"
)

// slot holds one thing an Env builds or is given: each getter reads a slot of its own, of the
// getter's own type, so that go-to-definition on a getter leads to what it builds and the
// compiler checks every value put in.
//
// The zero slot is empty and ready to use. A slot is safe for concurrent use: get builds at
// most once, and callers that arrive while it builds wait for it. A builder may ask for other
// slots (never, directly or not, for its own: that would deadlock, as sync.Once would). A
// builder that panics leaves the slot empty, so that the next get builds again and panics
// with the same message (a missing install fails every cold start the same way).
//
// What a slot costs a function's binary is kept to its name. The value is kept as an any,
// not as a T, and get, set and peek are functions, not methods: a slot's type then names no
// other type and has no method table, so that Env's type, which has a slot for every getter,
// does not bring the type descriptors of every service and store (and of all they hold) into
// every function; only the getters a function calls do, as their code does. (With a T field
// and methods, a small function's package grew by 1% zipped; this way by about 0.02%.)
type slot[T any] struct {
	_ [0]func() // not comparable: no equality function for each slot and group type
	// v points at the value once built or set; nil while empty. Read without the lock on the
	// fast path; written only with mu held.
	v  atomic.Pointer[any]
	mu sync.Mutex
}

// get returns the value, built with build the first time.
func get[T any](s *slot[T], build func() T) T {
	if v, ok := peek(s); ok {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := peek(s); ok {
		return v
	}
	v := build()
	store(s, v)
	return v
}

// set puts v in the slot as if it had been built, replacing what was there: the Use methods
// (an install, or a test's fake). What was already built from the old value keeps it, so
// call the Use methods before anything asks.
func set[T any](s *slot[T], v T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	store(s, v)
}

// store puts v in the slot; mu is held.
func store[T any](s *slot[T], v T) {
	a := any(v)
	s.v.Store(&a)
}

// peek returns the value and true if the slot holds one, without building it.
func peek[T any](s *slot[T]) (T, bool) {
	p := s.v.Load()
	if p == nil {
		var zero T
		return zero, false
	}
	v, _ := (*p).(T) // only a T is ever stored; a nil interface stored reads as T's zero
	return v, true
}

// installedSlot holds a step that an install provides as a builder (orgauthz.Install,
// toolauth.Install, scimauth.Install), built when first asked for: the install runs before
// the handler is built, the builder when the handler asks for the step.
type installedSlot[T any] struct {
	build slot[func() T]
	v     slot[T]
}

// use sets the builder.
func use[T any](s *installedSlot[T], build func() T) { set(&s.build, build) }

// getInstalled returns the step, built once with the installed builder; without one it panics with
// missing.
func getInstalled[T any](s *installedSlot[T], missing string) T {
	return get(&s.v, func() T {
		build, ok := peek(&s.build)
		if !ok {
			panic(missing)
		}
		return build()
	})
}
