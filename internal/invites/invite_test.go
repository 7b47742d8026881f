package invites

import "testing"

func TestInviteStatusIsExpiredFromTheInstantOn(t *testing.T) {
	inv := Invite{Status: Pending}
	inv.ExpiresAt = inv.ExpiresAt.AddDate(2026, 0, 0)
	if inv.StatusAt(inv.ExpiresAt.Add(-1)) != Pending || inv.StatusAt(inv.ExpiresAt) != Expired {
		t.Error("expiry is not exact")
	}
	inv.Status = Accepted
	if inv.StatusAt(inv.ExpiresAt.Add(1)) != Accepted {
		t.Error("an accepted invite turned expired")
	}
}
