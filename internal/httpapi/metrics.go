package httpapi

import (
	"cmp"
	"os"
	"time"
)

// A handler that answers 5xx returns no error to Lambda (API Gateway must get the answer), so
// Lambda's own Errors metric never counts it. The glue counts it instead, in CloudWatch's
// embedded metric format (EMF): the request's error log line carries the metric, which
// CloudWatch Logs extracts from the function's log group with no metric filter and no extra
// permission. The stack's per-function alarm watches it beside Errors and Throttles.
const (
	// MetricNamespace is the CloudWatch namespace of the functions' own metrics.
	MetricNamespace = "Orgs"
	// MetricServerErrors counts the requests a function answered with a 5xx status.
	MetricServerErrors = "ServerErrors"
	// MetricDimension is the one dimension of the functions' own metrics: the Lambda
	// function's name (AWS_LAMBDA_FUNCTION_NAME, the route's name outside Lambda), which is
	// what the stack's alarm names and what keeps two deployments in one account apart.
	MetricDimension = "FunctionName"
)

// metricFunctionName is the value of MetricDimension for the function serving route.
func metricFunctionName(route string) string {
	return cmp.Or(os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), route)
}

// serverErrorMetric returns the log attributes that make a log line an EMF record counting
// one MetricServerErrors for function fn at now.
func serverErrorMetric(fn string, now time.Time) []any {
	type metric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	type directive struct {
		Namespace  string     `json:"Namespace"`
		Dimensions [][]string `json:"Dimensions"`
		Metrics    []metric   `json:"Metrics"`
	}
	type metadata struct {
		Timestamp         int64       `json:"Timestamp"`
		CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
	}
	return []any{
		"_aws", metadata{Timestamp: now.UnixMilli(), CloudWatchMetrics: []directive{{
			Namespace:  MetricNamespace,
			Dimensions: [][]string{{MetricDimension}},
			Metrics:    []metric{{Name: MetricServerErrors, Unit: "Count"}},
		}}},
		MetricDimension, fn,
		MetricServerErrors, 1,
	}
}
