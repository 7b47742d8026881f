package testenv

import (
	"testing"
	"time"
)

// Eventually calls try until it reports done or within has passed, waiting a little longer
// between tries each time (from 20 ms up to half a second), and returns try's last value and
// whether it was done. Much of the service works after the response (the stream processor
// sends mail and delivers webhooks seconds after a change, the job expires what is due): a
// test waits for what it expects with this, never with a fixed sleep, and never times what
// it waits for.
func Eventually[T any](within time.Duration, try func() (T, bool)) (T, bool) {
	deadline := time.Now().Add(within)
	pause := 20 * time.Millisecond
	for {
		v, done := try()
		if done || time.Now().After(deadline) {
			return v, done
		}
		time.Sleep(min(pause, time.Until(deadline)+time.Millisecond))
		pause = min(pause*3/2, 500*time.Millisecond)
	}
}

// Await is Eventually that fails the test, naming what it waited for, when try is not done
// within the time given.
func Await[T any](t testing.TB, within time.Duration, what string, try func() (T, bool)) T {
	t.Helper()
	v, done := Eventually(within, try)
	if !done {
		t.Fatalf("%s: not within %s", what, within)
	}
	return v
}

// NextSecond waits until the clock is in the next whole second: for what compares times at a
// second's grain, such as a token's iat against an auth reset.
func NextSecond() {
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now))
}
