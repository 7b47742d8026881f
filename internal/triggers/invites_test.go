package triggers

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/testenv"
)

func TestScheduledJobExpiresAnInviteOnceWhenRunTwiceAtOnce(t *testing.T) {
	client, table := testenv.DynamoDB(t)
	var mu sync.Mutex
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	env := app.New(app.Config{
		Region: "us-east-1", TableName: table, DynamoDBEndpoint: aws.ToString(client.Options().BaseEndpoint),
		SESEndpoint: testenv.SES(t), AppURL: "http://localhost:3000", MailFrom: "no-reply@example.com",
	}, slog.New(slog.DiscardHandler))
	ses.Install(env)
	env.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx := context.Background()

	admin := orgs.Caller{ID: "user-ada", Email: "ada@example.com", EmailVerified: true}
	v, err := env.Orgs().Create(ctx, admin, orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := env.Orgs().Authorize(ctx, admin, v.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := env.InvitesSending().Create(ctx, a, invites.Input{Email: testenv.UniqueAddress(t), Role: "user"})
	if err != nil {
		t.Fatal(err)
	}

	tasks := Tasks(env)
	if !slices.ContainsFunc(tasks, func(t Task) bool { return t.Name == "invites" }) || !slices.Contains(ScheduledJob.Actions, "ses:SendEmail") {
		t.Fatalf("the job lacks the invite task or the right to send mail")
	}
	mu.Lock()
	now = inv.ExpiresAt
	mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { errs[i] = RunScheduled(ctx, env, tasks) })
	}
	wg.Wait()
	if err := RunScheduled(ctx, env, tasks); err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("runs: %v %v", errs, err)
	}
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("PK = :pk"),
		FilterExpression:          aws.String("#a = :a"),
		ExpressionAttributeNames:  map[string]string{"#a": "action"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "ORG#" + v.ID + "#EV"}, ":a": &types.AttributeValueMemberS{Value: "invite.expired"}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 1 {
		t.Errorf("%d invite.expired events after three runs, two of them at once", out.Count)
	}
}
