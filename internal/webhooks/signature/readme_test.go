package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readmeVerify is the receiver's verification the README shows, as it is there.
func readmeVerify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts, _ := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false // also refuses replays of old deliveries
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.%s", h.Get("webhook-id"), ts, body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) { // several while rotating
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

func TestTheREADMEsReceiverVerifiesWhatHeadersSigns(t *testing.T) {
	oldSecret, newSecret := NewSecret(), NewSecret()
	oldKey, _ := oldSecret.Key()
	newKey, _ := newSecret.Key()
	body := []byte(`{"type":"member.added","timestamp":"2026-11-22T10:00:00.000Z","data":{}}`)
	h := Headers([][]byte{newKey, oldKey}, "01jd8v5x4m0000000000000000", time.Now(), body)
	if !readmeVerify(string(newSecret), h, body) || !readmeVerify(string(oldSecret), h, body) {
		t.Fatal("the README's receiver refuses a delivery signed by Headers")
	}
	if readmeVerify(string(NewSecret()), h, body) || readmeVerify(string(newSecret), h, append(body, ' ')) {
		t.Fatal("the README's receiver accepts what it should not")
	}
	old := Headers([][]byte{newKey}, "01jd8v5x4m0000000000000000", time.Now().Add(-10*time.Minute), body)
	if readmeVerify(string(newSecret), old, body) {
		t.Fatal("the README's receiver accepts an old delivery")
	}
}
