package orgs

import "testing"

func TestTwoSpellingsOfOneAddressAreOneAddress(t *testing.T) {
	precomposed, err := NormalizeEmail("email", "Zo\u00eb@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	decomposed, err := NormalizeEmail("email", " ZOE\u0308@example.COM ")
	if err != nil {
		t.Fatal(err)
	}
	if precomposed != decomposed || precomposed != "zo\u00eb@example.com" {
		t.Errorf("%q and %q: two spellings of one address are two addresses", precomposed, decomposed)
	}
}
