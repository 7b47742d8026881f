package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/vendorportal/orgs/internal/httpapi"
)

// AddChecks makes the synthesis of scope run cdk-nag's AwsSolutions rules over every
// resource (nested stacks included), as an Aspect: each finding becomes an error or warning
// annotation, which fails `cdk synth` and which the stack's tests read. A finding is either
// fixed in the stack or suppressed where the resource is defined, with the reason it does
// not apply (suppress, below).
func AddChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppression is one cdk-nag rule that does not apply to a construct, and why.
type suppression struct {
	rule, reason string
	// appliesTo narrows a granular rule (IAM5) to the findings these regular expressions
	// match ("/^Resource::<.*>\\/index\\/\\*$/").
	appliesTo []string
}

// suppress records that the rules do not apply to c and its children, with their reasons.
func suppress(c constructs.IConstruct, ss ...suppression) {
	var list []*cdknag.NagPackSuppression
	for _, s := range ss {
		n := &cdknag.NagPackSuppression{Id: jsii.String("AwsSolutions-" + s.rule), Reason: jsii.String(s.reason)}
		if len(s.appliesTo) > 0 {
			var to []any
			for _, a := range s.appliesTo {
				to = append(to, &cdknag.RegexAppliesTo{Regex: jsii.String(a)})
			}
			n.AppliesTo = &to
		}
		list = append(list, n)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &list, jsii.Bool(true))
}

// tableIndexes is cdk-nag's IAM5 finding on the table's indexes (<table ARN>/index/*, in the
// root stack or as a nested stack's parameter), and why it stands.
var tableIndexes = suppression{rule: "IAM5", appliesTo: []string{`/^Resource::<.*Arn>\/index\/\*$/`},
	reason: "The table's own indexes (dynamo.Schema.Indexes): the wildcard names only GSIs of this one table, " +
		"which are all the access patterns' indexes; the actions stay the function's own list"}

// tracingWrites is cdk-nag's IAM5 finding on X-Ray's write actions (with TRACING on), and why
// it stands.
var tracingWrites = suppression{rule: "IAM5", appliesTo: []string{`/^Resource::\*$/`},
	reason: "xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (the " +
		"Service Authorization Reference lists no resource type for them): \"*\" is the only resource they take"}

// authOutsideTheAuthorizer says why a route without the JWT authorizer (cdk-nag APIG4) is
// meant to be so: by the API's contract, or because its function authenticates the caller.
var authOutsideTheAuthorizer = map[httpapi.Auth]string{
	httpapi.Public: "A public route by the API's contract (sign-in configuration, invitation previews, the OIDC " +
		"provider's endpoints, SCIM discovery): there is no caller to authorize; it is throttled tighter than signed-in routes",
	httpapi.Token: "Tools sign in with HTTP Basic (a member's email and the org's access token), which the function " +
		"verifies itself through the glue's one path (httpapi.Bind); API Gateway's authorizers can't check it",
	httpapi.SCIM: "Identity providers call SCIM with the org's SCIM bearer token, which the function verifies " +
		"itself through the glue's one path (httpapi.Bind); it is not a Cognito token",
}
