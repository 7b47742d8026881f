package stack

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vendorportal/orgs/internal/httpapi"
)

// Operations: what every function, queue and the API get so that a team can run the stack.
// All of it is derived from what the stack holds when it is finished, never from a list kept
// here: a function added to the route table or the triggers table, or a failure queue added
// anywhere in the stack, is covered without a change to this file.

// Alarm thresholds. docs/runbook.md says what each alarm means and what to do.
const (
	// API5xxPercent: share of the API's requests answered 5xx, over 5 minutes, in 2 of 3
	// periods, once there are at least API5xxMinRequests requests in the period.
	API5xxPercent     = 5
	API5xxMinRequests = 20
	// IteratorAgeMillis: the stream processor is this far behind the table's stream.
	IteratorAgeMillis = 5 * 60 * 1000
	// SESBounceRate and SESComplaintRate are the account's reputation rates at which SES puts
	// the account under review (5 % bounces, 0.1 % complaints); it may pause sending at twice
	// that.
	SESBounceRate    = 0.05
	SESComplaintRate = 0.001
)

// StreamProcessorName is the name, in triggers.Functions, of the function fed by the table's
// stream: when the stack has it, its iterator age is alarmed and on the dashboard.
const StreamProcessorName = "stream-processor"

// CloudWatch's limits on a dashboard (the Dashboard Body Structure and Syntax page of the
// CloudWatch API reference): an alarm status widget lists 1 to 100 alarm ARNs; a dashboard
// holds up to 500 widgets and a graph up to 500 metrics. The graphs here take at most
// MaxMetricsPerGraph, the limit of GetMetricWidgetImage (1 to 100 metrics and expressions),
// so each can also be rendered as an image (and more lines than that can't be read).
const (
	MaxAlarmsPerStatusWidget = 100
	MaxMetricsPerGraph       = 100
)

// DefaultLogRetentionDays is the retention of the functions' log groups unless
// OrgsStackProps.LogRetentionDays says otherwise.
const DefaultLogRetentionDays = 30

// Outputs of the operations.
const (
	OutputAlarmTopicARN = "AlarmTopicArn"
	OutputDashboard     = "DashboardName"
)

var retentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// logRetention maps a number of days to CloudWatch Logs' retention; it panics on a number
// CloudWatch Logs does not offer.
func logRetention(days int) awslogs.RetentionDays {
	if days == 0 {
		days = DefaultLogRetentionDays
	}
	r, ok := retentions[days]
	if !ok {
		panic(fmt.Sprintf("stack: log retention of %d days: CloudWatch Logs offers %v", days, slices.Sorted(func(yield func(int) bool) {
			for d := range retentions {
				if !yield(d) {
					return
				}
			}
		})))
	}
	return r
}

// NewFailureQueue defines an SQS queue for what failed for good: a function's failed
// asynchronous invocations (an on-failure destination), an event source mapping's on-failure
// destination, a rule target's dead letters. Use it for every such queue: it keeps messages
// for the longest SQS allows (14 days, the time an operator has to look), encrypts them, and
// refuses plain HTTP. Its depth is alarmed like that of every queue of the stack (the alarm
// finds the queues when the stack is finished, so a queue defined otherwise is alarmed too).
func NewFailureQueue(scope constructs.Construct, id, description string) awssqs.Queue {
	q := awssqs.NewQueue(scope, jsii.String(id), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	awscdk.Tags_Of(q).Add(jsii.String("purpose"), jsii.String(description), nil)
	suppress(q, suppression{rule: "SQS3", reason: "This queue is a failure destination itself (an on-failure " +
		"destination, a rule's dead letters): what lands here failed for good and waits 14 days for an operator; " +
		"its depth is alarmed. A dead-letter queue of its own would add nothing"})
	return q
}

// AccessLogFormat is the stage's access log line: JSON, one per request, with what tells an
// operator why a request failed before or after it reached a function: the route, the status,
// the latencies, the integration's error and status (a function that crashed or timed out),
// the authorizer's error (a 401 of the JWT authorizer) and the throttle or WAF error.
// $context variables of API Gateway HTTP APIs. The route key, never the raw path: paths carry
// secrets (an invite's token in GET /v1/invites/{token}), which the functions' own request
// log redacts and this log could not.
var AccessLogFormat = map[string]string{
	"requestId":          "$context.requestId",
	"time":               "$context.requestTime",
	"ip":                 "$context.identity.sourceIp",
	"method":             "$context.httpMethod",
	"routeKey":           "$context.routeKey",
	"status":             "$context.status",
	"responseLength":     "$context.responseLength",
	"latencyMs":          "$context.responseLatency",
	"integrationLatency": "$context.integrationLatency",
	"integrationStatus":  "$context.integrationStatus",
	"integrationError":   "$context.integrationErrorMessage",
	"authorizerError":    "$context.authorizer.error",
	"error":              "$context.error.message",
	"errorType":          "$context.error.responseType",
}

// LogGroupName is the name of a function's log group: /<stack>/functions/<function>, so that
// the runbook can name it (a function's own name is generated by CloudFormation).
func LogGroupName(stackName, function string) string {
	return "/" + stackName + "/functions/" + function
}

// AccessLogGroupName is the name of the API stage's access log group.
func AccessLogGroupName(stackName string) string { return "/" + stackName + "/api-access" }

// newStage defines the API's $default stage with a throttle per route: each deployed route's
// Route.DefaultThrottle, keyed by its route key, and its access log. The stage waits for the
// routes, since API Gateway refuses settings for a route key that does not exist yet.
func newStage(stack awscdk.Stack, api awsapigatewayv2.HttpApi, routes []*httpapi.Route, apiRoutes []awsapigatewayv2.HttpRoute, accessLogs awslogs.LogGroup) awsapigatewayv2.CfnStage {
	settings := map[string]any{}
	for _, r := range routes {
		t := r.DefaultThrottle()
		// RouteSettings is plain JSON to CloudFormation: its keys are written as the
		// resource expects them, not converted from a struct.
		settings[r.Method+" "+r.Path] = map[string]any{"ThrottlingRateLimit": t.Rate, "ThrottlingBurstLimit": t.Burst}
	}
	stage := awsapigatewayv2.NewCfnStage(stack, jsii.String("Stage"), &awsapigatewayv2.CfnStageProps{
		ApiId:      api.ApiId(),
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		// Anything without a route setting of its own (there is none) gets the signed-in
		// routes' budget.
		DefaultRouteSettings: &awsapigatewayv2.CfnStage_RouteSettingsProperty{
			ThrottlingRateLimit:  jsii.Number(httpapi.ThrottleSignedIn.Rate),
			ThrottlingBurstLimit: jsii.Number(float64(httpapi.ThrottleSignedIn.Burst)),
		},
		RouteSettings: settings,
		AccessLogSettings: &awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
			DestinationArn: accessLogs.LogGroupArn(),
			Format:         jsii.String(accessLogFormat()),
		},
	})
	for _, r := range apiRoutes {
		stage.Node().AddDependency(r)
	}
	return stage
}

// accessLogFormat is AccessLogFormat as the one-line JSON API Gateway takes.
func accessLogFormat() string {
	b, err := json.Marshal(AccessLogFormat)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// operations holds the alarm topic and the access log group while the stack is built.
type operations struct {
	stack      awscdk.Stack
	topic      awssns.Topic
	accessLogs awslogs.LogGroup
}

func newOperations(stack awscdk.Stack, props *OrgsStackProps) *operations {
	topic := awssns.NewTopic(stack, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("Orgs alarms"),
		// Its policy refuses publishing and subscribing over plain HTTP.
		EnforceSSL: jsii.Bool(true),
	})
	if props.AlarmEmail != "" {
		// The address gets a confirmation mail from SNS first; alarms reach it once confirmed.
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(props.AlarmEmail), nil))
	}
	awscdk.NewCfnOutput(stack, jsii.String(OutputAlarmTopicARN), &awscdk.CfnOutputProps{
		Description: jsii.String("SNS topic the alarms notify (subscribe more people or a chat integration)"),
		Value:       topic.TopicArn(),
	})
	// API Gateway writes the stage's access log here (its service-linked role creates the
	// log streams); kept as long as the functions' logs.
	accessLogs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		LogGroupName: jsii.String(AccessLogGroupName(*stack.StackName())),
		Retention:    logRetention(props.LogRetentionDays),
	})
	return &operations{stack: stack, topic: topic, accessLogs: accessLogs}
}

var fiveMinutes = awscdk.Duration_Minutes(jsii.Number(5))

// alarm defines an alarm on m that notifies the topic when it fires and when it clears.
func (o *operations) alarm(scope constructs.Construct, id string, m awscloudwatch.IMetric, opts *awscloudwatch.CreateAlarmOptions) awscloudwatch.Alarm {
	if opts.TreatMissingData == "" {
		// No data is no requests, no errors, an empty queue: not a failure.
		opts.TreatMissingData = awscloudwatch.TreatMissingData_NOT_BREACHING
	}
	if opts.ComparisonOperator == "" {
		opts.ComparisonOperator = awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
	}
	a := m.(interface {
		CreateAlarm(constructs.Construct, *string, *awscloudwatch.CreateAlarmOptions) awscloudwatch.Alarm
	}).CreateAlarm(scope, jsii.String(id), opts)
	action := awscloudwatchactions.NewSnsAction(o.topic)
	a.AddAlarmAction(action)
	a.AddOkAction(action)
	return a
}

// finish defines the alarms and the dashboard of the finished stack: the API's, one per
// function, one per SQS queue, the stream processor's iterator age when there is one, and
// SES's reputation.
func (o *operations) finish(api awsapigatewayv2.HttpApi, functions []namedFunction) {
	var alarms []interfacesawscloudwatch.IAlarmRef
	var widgets [][]awscloudwatch.IWidget

	// The API's 5xx rate.
	requests := api.MetricCount(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")})
	errors5xx := api.MetricServerError(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")})
	errors4xx := api.MetricClientError(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")})
	rate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(fmt.Sprintf("IF(requests >= %d, 100 * errors / requests, 0)", API5xxMinRequests)),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"requests": requests,
			"errors":   errors5xx,
		},
		Label:  jsii.String("5xx %"),
		Period: fiveMinutes,
	})
	alarms = append(alarms, o.alarm(o.stack, "Api5xxRate", rate, &awscloudwatch.CreateAlarmOptions{
		AlarmDescription:  jsii.String(fmt.Sprintf("More than %d%% of the API's requests answered 5xx (docs/runbook.md, Api5xxRate)", API5xxPercent)),
		Threshold:         jsii.Number(API5xxPercent),
		EvaluationPeriods: jsii.Number(3),
		DatapointsToAlarm: jsii.Number(2),
	}))
	widgets = append(widgets, []awscloudwatch.IWidget{
		graph("API requests", requests, errors4xx, errors5xx),
		graph("API 5xx %", rate),
		graph("API latency p99 (ms)", api.MetricLatency(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("p99")})),
	})

	// One alarm per function: errors (a crash, a timeout, an error returned to an
	// asynchronous, stream or user pool invoker), throttles (the account's concurrency ran
	// out) or, for a route's function, requests answered 5xx (which Lambda counts as
	// successes: the glue counts them in its own metric, httpapi.MetricServerErrors).
	// One alarm, not two: each function already costs seven resources, and a nested stack
	// (nested.go) holds up to MaxFunctionsPerNestedStack functions. The alarm is defined
	// under the function, so it lives in the function's stack; the topic it notifies is
	// passed in.
	var errorMetrics, throttleMetrics, durationMetrics, serverErrorMetrics []awscloudwatch.IMetric
	for _, f := range functions {
		errs := f.fn.MetricErrors(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum"), Label: jsii.String(f.name)})
		throttles := f.fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum"), Label: jsii.String(f.name)})
		errorMetrics = append(errorMetrics, errs)
		throttleMetrics = append(throttleMetrics, throttles)
		durationMetrics = append(durationMetrics, f.fn.MetricDuration(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("p99"), Label: jsii.String(f.name)}))
		expression, using := "FILL(errors, 0) + FILL(throttles, 0)", map[string]awscloudwatch.IMetric{"errors": errs, "throttles": throttles}
		what := "failed or was throttled"
		if f.route {
			answered5xx := serverErrors(f.fn, f.name)
			serverErrorMetrics = append(serverErrorMetrics, answered5xx)
			expression += " + FILL(answered5xx, 0)"
			using["answered5xx"] = answered5xx
			what = "failed, was throttled or answered 5xx"
		}
		failing := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression:   jsii.String(expression),
			UsingMetrics: &using,
			Label:        jsii.String(f.name + " failures"),
			Period:       fiveMinutes,
		})
		alarms = append(alarms, o.alarm(f.fn, "ErrorsOrThrottles", failing, &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:  jsii.String("Function " + f.name + " " + what + " (docs/runbook.md, ErrorsOrThrottles)"),
			Threshold:         jsii.Number(0),
			EvaluationPeriods: jsii.Number(1),
		}))
	}
	var row []awscloudwatch.IWidget
	row = append(row, graphs("Function errors", errorMetrics)...)
	row = append(row, graphs("Function requests answered 5xx", serverErrorMetrics)...)
	row = append(row, graphs("Function throttles", throttleMetrics)...)
	row = append(row, graphs("Function duration p99 (ms)", durationMetrics)...)
	widgets = append(widgets, row)

	// Every SQS queue of the stack is a failure queue (NewFailureQueue): a message in one is
	// work that failed for good.
	var depths []awscloudwatch.IMetric
	for _, q := range o.queues() {
		depth := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String("AWS/SQS"),
			MetricName:    jsii.String("ApproximateNumberOfMessagesVisible"),
			DimensionsMap: &map[string]*string{"QueueName": q.GetAtt(jsii.String("QueueName"), awscdk.ResolutionTypeHint_STRING).ToString()},
			Statistic:     jsii.String("Maximum"),
			Period:        fiveMinutes,
			Label:         q.Node().Path(),
		})
		depths = append(depths, depth)
		alarms = append(alarms, o.alarm(o.stack, logicalName(*q.Node().Path())+"Depth", depth, &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:  jsii.String("Messages in failure queue " + *q.Node().Path() + " (docs/runbook.md, queue Depth)"),
			Threshold:         jsii.Number(0),
			EvaluationPeriods: jsii.Number(1),
		}))
	}
	row = graphs("Failure queues: messages", depths)

	if fn := functionByName(functions, StreamProcessorName); fn != nil {
		age := fn.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")})
		alarms = append(alarms, o.alarm(fn, "IteratorAge", age, &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:  jsii.String(fmt.Sprintf("%s is more than %d minutes behind the table's stream (docs/runbook.md, IteratorAge)", StreamProcessorName, IteratorAgeMillis/60000)),
			Threshold:         jsii.Number(IteratorAgeMillis),
			EvaluationPeriods: jsii.Number(3),
			DatapointsToAlarm: jsii.Number(2),
		}))
		row = append(row, graph(StreamProcessorName+" iterator age (ms)", age))
	}

	// SES reputation: account-wide rates, which is what SES acts on.
	bounce := sesMetric("Reputation.BounceRate")
	complaint := sesMetric("Reputation.ComplaintRate")
	alarms = append(alarms,
		o.alarm(o.stack, "SesBounceRate", bounce, &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:  jsii.String(fmt.Sprintf("SES bounce rate above %.0f%% (docs/runbook.md, SesBounceRate)", SESBounceRate*100)),
			Threshold:         jsii.Number(SESBounceRate),
			EvaluationPeriods: jsii.Number(1),
		}),
		o.alarm(o.stack, "SesComplaintRate", complaint, &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:  jsii.String(fmt.Sprintf("SES complaint rate above %.1f%% (docs/runbook.md, SesComplaintRate)", SESComplaintRate*100)),
			Threshold:         jsii.Number(SESComplaintRate),
			EvaluationPeriods: jsii.Number(1),
		}))
	row = append(row, graph("SES bounce and complaint rates", bounce, complaint))
	widgets = append(widgets, row)

	dash := awscloudwatch.NewDashboard(o.stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
	})
	for i, part := range chunks(alarms, MaxAlarmsPerStatusWidget) {
		title := "Alarms"
		if len(alarms) > MaxAlarmsPerStatusWidget {
			title = fmt.Sprintf("Alarms (%d of %d)", i+1, (len(alarms)+MaxAlarmsPerStatusWidget-1)/MaxAlarmsPerStatusWidget)
		}
		dash.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title: jsii.String(title), Alarms: &part, Width: jsii.Number(24),
		}))
	}
	for _, r := range widgets {
		dash.AddWidgets(r...)
	}
	awscdk.NewCfnOutput(o.stack, jsii.String(OutputDashboard), &awscdk.CfnOutputProps{
		Description: jsii.String("CloudWatch dashboard of the API, the functions, the failure queues and SES"),
		Value:       dash.DashboardName(),
	})
}

// queues finds every SQS queue of the stack, however it was defined.
func (o *operations) queues() []awscdk.CfnResource {
	var out []awscdk.CfnResource
	for _, c := range *o.stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		// The webhook delivery queue is a work queue: its dead-letter queue is the failure queue.
		if r, ok := c.(awscdk.CfnResource); ok && *r.CfnResourceType() == "AWS::SQS::Queue" && *r.Node().Scope().Node().Id() != WebhookQueueID {
			out = append(out, r)
		}
	}
	return out
}

func sesMetric(name string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String("AWS/SES"),
		MetricName: jsii.String(name),
		Statistic:  jsii.String("Maximum"),
		Period:     awscdk.Duration_Minutes(jsii.Number(15)),
	})
}

// serverErrors is the count of requests route function fn answered 5xx, from the EMF records
// of its log (httpapi.MetricServerErrors).
func serverErrors(fn awslambda.Function, name string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(httpapi.MetricNamespace),
		MetricName:    jsii.String(httpapi.MetricServerErrors),
		DimensionsMap: &map[string]*string{httpapi.MetricDimension: fn.FunctionName()},
		Statistic:     jsii.String("Sum"),
		Period:        fiveMinutes,
		Label:         jsii.String(name),
	})
}

// chunks splits list into parts of at most n.
func chunks[T any](list []T, n int) [][]T {
	var out [][]T
	for len(list) > n {
		out = append(out, list[:n:n])
		list = list[n:]
	}
	if len(list) > 0 {
		out = append(out, list)
	}
	return out
}

// graphs are graph widgets of the metrics, MaxMetricsPerGraph at most each: one titled title,
// or "title (1 of n)", ... when they take more.
func graphs(title string, metrics []awscloudwatch.IMetric) []awscloudwatch.IWidget {
	parts := chunks(metrics, MaxMetricsPerGraph)
	var out []awscloudwatch.IWidget
	for i, part := range parts {
		t := title
		if len(parts) > 1 {
			t = fmt.Sprintf("%s (%d of %d)", title, i+1, len(parts))
		}
		out = append(out, graph(t, part...))
	}
	return out
}

func graph(title string, metrics ...awscloudwatch.IMetric) awscloudwatch.GraphWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Left: &metrics, Width: jsii.Number(8),
	})
}

// functionByName finds a built function; nil when the stack has none of that name.
func functionByName(functions []namedFunction, name string) awslambda.Function {
	for _, f := range functions {
		if f.name == name {
			return f.fn
		}
	}
	return nil
}

// logicalName keeps the letters and digits of a construct path: an id for a construct that
// belongs to another.
func logicalName(path string) string {
	var b []rune
	for _, r := range path {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b = append(b, r)
		}
	}
	return string(b)
}
