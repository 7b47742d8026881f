package outbox

import (
	"strings"
	"testing"
	"time"
)

func TestASealedBodyOpensOnlyWithItsKeyAndHidesTheSecret(t *testing.T) {
	key := Key([]byte("server secret"))
	type body struct{ Password string }
	m, err := NewSealed("m1", "org1", "new-user-email", key, body{Password: "hunter2-correct-horse"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(m.Body), "hunter2") {
		t.Fatalf("the body holds the secret in plain text: %s", m.Body)
	}
	var got body
	if err := OpenSealed(key, m, &got); err != nil || got.Password != "hunter2-correct-horse" {
		t.Fatalf("open: %+v %v", got, err)
	}
	var perm *PermanentError
	if err := OpenSealed(Key([]byte("another secret")), m, &got); err == nil || !asPermanent(err, &perm) {
		t.Errorf("opened with another key: %v", err)
	}
}

func asPermanent(err error, target **PermanentError) bool {
	p, ok := err.(*PermanentError)
	*target = p
	return ok
}

func TestBackoffGrowsWithJitterAndStaysBounded(t *testing.T) {
	prev := time.Duration(0)
	for n := 1; n <= 10; n++ {
		d := Backoff(n)
		if d <= 0 || d > 8*time.Hour {
			t.Errorf("attempt %d: %s", n, d)
		}
		if n <= 6 && d < prev/2 {
			t.Errorf("attempt %d: %s after %s", n, d, prev)
		}
		prev = d
	}
}
