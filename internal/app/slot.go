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
type slot[T any] struct {
	// v is the value once built or set; nil while empty. Read without the lock on the fast
	// path; written only with mu held.
	v  atomic.Pointer[T]
	mu sync.Mutex
}

// get returns the value, built with build the first time.
func (s *slot[T]) get(build func() T) T {
	if p := s.v.Load(); p != nil {
		return *p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.v.Load(); p != nil {
		return *p
	}
	v := build()
	s.v.Store(&v)
	return v
}

// set puts v in the slot as if it had been built, replacing what was there: the Use methods
// (an install, or a test's fake). What was already built from the old value keeps it, so
// call the Use methods before anything asks.
func (s *slot[T]) set(v T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v.Store(&v)
}

// peek returns the value and true if the slot holds one, without building it.
func (s *slot[T]) peek() (T, bool) {
	if p := s.v.Load(); p != nil {
		return *p, true
	}
	var zero T
	return zero, false
}

// installedSlot holds a step that an install provides as a builder (orgauthz.Install,
// toolauth.Install, scimauth.Install), built when first asked for: the install runs before
// the handler is built, the builder when the handler asks for the step.
type installedSlot[T any] struct {
	build slot[func() T]
	v     slot[T]
}

// use sets the builder.
func (s *installedSlot[T]) use(build func() T) { s.build.set(build) }

// get returns the step, built once with the installed builder; without one it panics with
// missing.
func (s *installedSlot[T]) get(missing string) T {
	return s.v.get(func() T {
		build, ok := s.build.peek()
		if !ok {
			panic(missing)
		}
		return build()
	})
}
