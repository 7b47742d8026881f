package signature

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The vectors are the Standard Webhooks reference library's own (github.com/standard-webhooks/
// standard-webhooks, libraries/go/webhook_test.go: TestWebhookSign and TestWebhook): the
// secret, message id, timestamp and payload below, and the signature they give.
const (
	specSecret    = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specPayload   = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	// specWrong is the reference tests' "invalid signature".
	specWrong = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
)

func specKey(t *testing.T) []byte {
	t.Helper()
	k, err := specSecret.Key()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignMatchesTheSpecificationsVector(t *testing.T) {
	got := Sign(specKey(t), specID, time.Unix(specTimestamp, 0), []byte(specPayload))
	if got != specSignature {
		t.Fatalf("Sign = %s, want %s", got, specSignature)
	}
}

func TestKeyAcceptsTheSecretWithOrWithoutPrefix(t *testing.T) {
	a, _ := specSecret.Key()
	b, err := Secret(strings.TrimPrefix(string(specSecret), SecretPrefix)).Key()
	if err != nil || string(a) != string(b) {
		t.Fatalf("keys differ: %v", err)
	}
	if _, err := Secret("whsec_not base64!").Key(); err != ErrSecret {
		t.Fatalf("bad secret: %v", err)
	}
}

func TestVerify(t *testing.T) {
	at := time.Unix(specTimestamp, 0)
	key := specKey(t)
	body := []byte(specPayload)
	cases := []struct {
		name   string
		modify func(h map[string]string)
		now    time.Time
		want   error
	}{
		{"the specification's signature verifies", nil, at, nil},
		{"a minute later verifies", nil, at.Add(time.Minute), nil},
		{"missing id", func(h map[string]string) { delete(h, HeaderID) }, at, ErrMissingHeaders},
		{"missing timestamp", func(h map[string]string) { delete(h, HeaderTimestamp) }, at, ErrMissingHeaders},
		{"missing signature", func(h map[string]string) { delete(h, HeaderSignature) }, at, ErrMissingHeaders},
		{"another signature", func(h map[string]string) { h[HeaderSignature] = specWrong }, at, ErrNoMatch},
		{"another id", func(h map[string]string) { h[HeaderID] = "msg_other" }, at, ErrNoMatch},
		{"a timestamp changed by a second", func(h map[string]string) { h[HeaderTimestamp] = fmt.Sprint(specTimestamp + 1) }, at, ErrNoMatch},
		{"a timestamp that is no number", func(h map[string]string) { h[HeaderTimestamp] = "soon" }, at, ErrTimestamp},
		{"too old", nil, at.Add(Tolerance + time.Second), ErrTimestamp},
		{"too new", nil, at.Add(-Tolerance - time.Second), ErrTimestamp},
		{"several signatures, one valid (the reference's multi-signature case)", func(h map[string]string) {
			h[HeaderSignature] = strings.Join([]string{specWrong, "v2," + strings.TrimPrefix(specWrong, "v1,"), specSignature, specWrong}, " ")
		}, at, nil},
		{"the valid signature under another version", func(h map[string]string) {
			h[HeaderSignature] = "v2," + strings.TrimPrefix(specSignature, "v1,")
		}, at, ErrNoMatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := map[string]string{HeaderID: specID, HeaderTimestamp: fmt.Sprint(specTimestamp), HeaderSignature: specSignature}
			if c.modify != nil {
				c.modify(m)
			}
			hdr := http.Header{}
			for k, v := range m {
				hdr.Set(k, v)
			}
			if err := Verify(key, hdr, body, c.now); err != c.want {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestHeadersCarryOneSignaturePerKeyAndEachVerifies(t *testing.T) {
	oldKey, _ := NewSecret().Key()
	newKey, _ := NewSecret().Key()
	at := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"member.added"}`)
	h := Headers([][]byte{newKey, oldKey}, "01evt", at, body)
	if n := len(strings.Fields(h.Get(HeaderSignature))); n != 2 {
		t.Fatalf("%d signatures, want 2: %s", n, h.Get(HeaderSignature))
	}
	if h.Get(HeaderID) != "01evt" || h.Get(HeaderTimestamp) != "1800000000" {
		t.Fatalf("headers: %v", h)
	}
	for _, k := range [][]byte{newKey, oldKey} {
		if err := Verify(k, h, body, at); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := NewSecret().Key()
	if err := Verify(other, h, body, at); err != ErrNoMatch {
		t.Fatalf("a third key verified: %v", err)
	}
}

func TestNewSecretIsWhsecAndBase64Of32Bytes(t *testing.T) {
	s := NewSecret()
	k, err := s.Key()
	if err != nil || len(k) != SecretBytes || !strings.HasPrefix(string(s), SecretPrefix) {
		t.Fatalf("secret %d bytes, %v", len(k), err)
	}
	if NewSecret() == s {
		t.Fatal("two secrets are equal")
	}
	if fmt.Sprint(s) == string(s) || fmt.Sprintf("%#v", s) == string(s) {
		t.Fatal("a secret prints itself")
	}
}
