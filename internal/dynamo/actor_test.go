package dynamo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// UpdateOrg, ChangeHandle and DeleteOrg hold only while the acting admin keeps the role that
// authorized them, as member and invite writes do: an admin demoted between the authorization
// step and the write changes nothing.
func TestOrgAdminWritesHoldOnlyWhileTheActorKeepsTheirRole(t *testing.T) {
	ctx := context.Background()
	for name, write := range map[string]func(w *world, c orgs.Caller, a orgs.Access) error{
		"update settings": func(w *world, c orgs.Caller, a orgs.Access) error {
			name := "Renamed"
			_, err := w.orgs.UpdateSettings(ctx, c, a, orgs.SettingsInput{Name: &name})
			return err
		},
		"change handle": func(w *world, c orgs.Caller, a orgs.Access) error {
			_, err := w.orgs.ChangeHandle(ctx, c, a, "renamed-handle")
			return err
		},
		"delete": func(w *world, c orgs.Caller, a orgs.Access) error {
			return w.orgs.Delete(ctx, c, a, a.Org.Handle)
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			v := w.orgWithMember(t, roles.Admin) // caller(1) and caller(2), both admins
			stale := w.authorize(t, caller(1), v.ID)
			// caller(2) demotes caller(1) after caller(1)'s authorization step.
			bob := w.access(caller(2), v.ID, orgs.Subject{UserID: caller(1).ID})
			user := roles.User
			if _, err := w.members.Update(ctx, bob, members.Update{Role: &user}); err != nil {
				t.Fatal(err)
			}
			before := w.org(v.ID)
			if err := write(w, caller(1), stale); !errors.Is(err, orgs.ErrActorChanged) {
				t.Fatalf("the demoted admin's write: %v, want ErrActorChanged", err)
			}
			if after := w.org(v.ID); after.Name != before.Name || after.Handle != before.Handle || after.Deleted() {
				t.Errorf("the org changed: %+v → %+v", before, after)
			}
		})
	}
}
