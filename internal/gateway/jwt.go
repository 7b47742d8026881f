package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Verifier checks bearer tokens as API Gateway's JWT authorizer does: an RS256 signature by a
// key of the issuer's JWKS, the issuer, the audience (ID tokens) or, for a token without one,
// client_id (access tokens) equal to the app client id, and the expiry.
type Verifier struct {
	issuer   string
	audience string
	keys     keyfunc.Keyfunc
}

// NewVerifier fetches the issuer's JWKS (<issuer>/.well-known/jwks.json) and keeps it fresh
// until ctx ends.
func NewVerifier(ctx context.Context, issuer, audience string) (*Verifier, error) {
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{strings.TrimRight(issuer, "/") + "/.well-known/jwks.json"})
	if err != nil {
		return nil, fmt.Errorf("load JWKS of %s: %w", issuer, err)
	}
	return &Verifier{issuer: issuer, audience: audience, keys: kf}, nil
}

var errWrongAudience = errors.New("token is for another client")

// Verify checks the token and returns its claims rendered as API Gateway renders them.
func (v *Verifier) Verify(token string) (map[string]string, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, v.keyFor,
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(v.issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	if err != nil {
		return nil, err
	}
	// The authorizer checks aud when the token has one (ID tokens), and client_id only when it
	// has none (access tokens): a token for another audience never passes on its client_id.
	aud, _ := claims.GetAudience()
	if len(aud) > 0 {
		if !containsString(aud, v.audience) {
			return nil, errWrongAudience
		}
	} else if clientID, _ := claims["client_id"].(string); clientID != v.audience {
		return nil, errWrongAudience
	}
	return renderClaims(claims), nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var errNoKeyID = errors.New("token names no key (kid)")

// keyFor picks the key the token's kid names. The authorizer insists on a kid: without one,
// keyfunc would try every key of the set.
func (v *Verifier) keyFor(t *jwt.Token) (any, error) {
	if kid, ok := t.Header["kid"].(string); !ok || kid == "" {
		return nil, errNoKeyID
	}
	return v.keys.Keyfunc(t)
}

// renderClaims flattens claims to strings the way API Gateway hands them to a Lambda: numbers
// in plain decimal, arrays as "[a b]".
func renderClaims(claims jwt.MapClaims) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		out[k] = renderClaim(v)
	}
	return out
}

func renderClaim(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderClaim(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		return fmt.Sprint(x)
	}
}
