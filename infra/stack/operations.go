package stack

import (
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

// Alarm thresholds. The README's runbook says what each alarm means and what to do.
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
	return q
}

// newStage defines the API's $default stage with a throttle per route: each deployed route's
// Route.DefaultThrottle, keyed by its route key. The stage waits for the routes, since API
// Gateway refuses settings for a route key that does not exist yet.
func newStage(stack awscdk.Stack, api awsapigatewayv2.HttpApi, routes []*httpapi.Route, apiRoutes []awsapigatewayv2.HttpRoute) awsapigatewayv2.CfnStage {
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
	})
	for _, r := range apiRoutes {
		stage.Node().AddDependency(r)
	}
	return stage
}

// operations holds the alarm topic while the stack is built.
type operations struct {
	stack awscdk.Stack
	topic awssns.Topic
}

func newOperations(stack awscdk.Stack, props *OrgsStackProps) *operations {
	topic := awssns.NewTopic(stack, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("Orgs alarms"),
	})
	if props.AlarmEmail != "" {
		// The address gets a confirmation mail from SNS first; alarms reach it once confirmed.
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(props.AlarmEmail), nil))
	}
	awscdk.NewCfnOutput(stack, jsii.String(OutputAlarmTopicARN), &awscdk.CfnOutputProps{
		Description: jsii.String("SNS topic the alarms notify (subscribe more people or a chat integration)"),
		Value:       topic.TopicArn(),
	})
	return &operations{stack: stack, topic: topic}
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
		AlarmDescription:  jsii.String(fmt.Sprintf("More than %d%% of the API's requests answered 5xx (README: runbook, Api5xxRate)", API5xxPercent)),
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
	// asynchronous or stream invoker) or throttles (the account's concurrency ran out).
	// One alarm, not two: each function already costs seven resources, and a nested stack
	// (nested.go) holds up to MaxFunctionsPerNestedStack functions. The alarm is defined
	// under the function, so it lives in the function's stack; the topic it notifies is
	// passed in.
	var errorMetrics, throttleMetrics, durationMetrics []awscloudwatch.IMetric
	for _, f := range functions {
		errs := f.fn.MetricErrors(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum"), Label: jsii.String(f.name)})
		throttles := f.fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum"), Label: jsii.String(f.name)})
		errorMetrics = append(errorMetrics, errs)
		throttleMetrics = append(throttleMetrics, throttles)
		durationMetrics = append(durationMetrics, f.fn.MetricDuration(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("p99"), Label: jsii.String(f.name)}))
		failing := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression:   jsii.String("FILL(errors, 0) + FILL(throttles, 0)"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{"errors": errs, "throttles": throttles},
			Label:        jsii.String(f.name + " errors + throttles"),
			Period:       fiveMinutes,
		})
		alarms = append(alarms, o.alarm(f.fn, "ErrorsOrThrottles", failing, &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:  jsii.String("Function " + f.name + " failed or was throttled (README: runbook, ErrorsOrThrottles)"),
			Threshold:         jsii.Number(0),
			EvaluationPeriods: jsii.Number(1),
		}))
	}
	widgets = append(widgets, []awscloudwatch.IWidget{
		graph("Function errors", errorMetrics...),
		graph("Function throttles", throttleMetrics...),
		graph("Function duration p99 (ms)", durationMetrics...),
	})

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
			AlarmDescription:  jsii.String("Messages in failure queue " + *q.Node().Path() + " (README: runbook, queue Depth)"),
			Threshold:         jsii.Number(0),
			EvaluationPeriods: jsii.Number(1),
		}))
	}
	row := []awscloudwatch.IWidget{graph("Failure queues: messages", depths...)}

	if fn := functionByName(functions, StreamProcessorName); fn != nil {
		age := fn.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")})
		alarms = append(alarms, o.alarm(fn, "IteratorAge", age, &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:  jsii.String(fmt.Sprintf("%s is more than %d minutes behind the table's stream (README: runbook, IteratorAge)", StreamProcessorName, IteratorAgeMillis/60000)),
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
			AlarmDescription:  jsii.String(fmt.Sprintf("SES bounce rate above %.0f%% (README: runbook, SesBounceRate)", SESBounceRate*100)),
			Threshold:         jsii.Number(SESBounceRate),
			EvaluationPeriods: jsii.Number(1),
		}),
		o.alarm(o.stack, "SesComplaintRate", complaint, &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:  jsii.String(fmt.Sprintf("SES complaint rate above %.1f%% (README: runbook, SesComplaintRate)", SESComplaintRate*100)),
			Threshold:         jsii.Number(SESComplaintRate),
			EvaluationPeriods: jsii.Number(1),
		}))
	row = append(row, graph("SES bounce and complaint rates", bounce, complaint))
	widgets = append(widgets, row)

	dash := awscloudwatch.NewDashboard(o.stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
	})
	dash.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(24),
	}))
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
