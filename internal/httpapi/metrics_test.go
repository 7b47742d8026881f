package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/httpapi"
)

// emfRecords returns the log lines that are CloudWatch embedded-metric-format records, each
// checked against the format's rules (the _aws metadata, a millisecond timestamp, every
// dimension a string member of the line, every metric a number member), as the metric values
// they carry by "namespace/metric/dimension=value".
func emfRecords(t *testing.T, logs string) []map[string]float64 {
	t.Helper()
	var out []map[string]float64
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		meta, ok := line["_aws"].(map[string]any)
		if !ok {
			continue
		}
		if ts, ok := meta["Timestamp"].(float64); !ok || ts < 1e12 {
			t.Errorf("EMF Timestamp %v is not milliseconds since the epoch", meta["Timestamp"])
		}
		directives, _ := meta["CloudWatchMetrics"].([]any)
		if len(directives) == 0 {
			t.Errorf("EMF record without CloudWatchMetrics: %s", sc.Text())
		}
		values := map[string]float64{}
		for _, d := range directives {
			d := d.(map[string]any)
			ns, _ := d["Namespace"].(string)
			var dims []string
			for _, set := range d["Dimensions"].([]any) {
				for _, name := range set.([]any) {
					v, ok := line[name.(string)].(string)
					if !ok {
						t.Errorf("EMF dimension %v is not a string member of the line", name)
					}
					dims = append(dims, name.(string)+"="+v)
				}
			}
			for _, m := range d["Metrics"].([]any) {
				name := m.(map[string]any)["Name"].(string)
				v, ok := line[name].(float64)
				if !ok {
					t.Errorf("EMF metric %s has no number member in the line", name)
				}
				values[ns+"/"+name+"/"+strings.Join(dims, ",")] = v
			}
		}
		out = append(out, values)
	}
	return out
}

// TestServerErrorsCountInAMetric: a request answered 5xx (an internal error, or an AWS call
// that still failed after the SDK's retries) returns no error to Lambda, so Lambda's Errors
// metric misses it; its log line counts it in the metric the stack's alarm watches, and a
// 4xx or a success counts nothing.
func TestServerErrorsCountInAMetric(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "Orgs-RoutesOrgs-createorgFunction-ABC123")
	want := httpapi.MetricNamespace + "/" + httpapi.MetricServerErrors + "/" + httpapi.MetricDimension + "=Orgs-RoutesOrgs-createorgFunction-ABC123"
	for name, c := range map[string]struct {
		err     error
		counted bool
	}{
		"internal":    {apperr.New(apperr.Internal, "boom"), true},
		"unavailable": {apperr.New(apperr.Unavailable, "busy"), true},
		"forbidden":   {apperr.New(apperr.Forbidden, "no"), false},
		"success":     {nil, false},
	} {
		t.Run(name, func(t *testing.T) {
			a := apitest.NewBareAPI(t)
			fn := a.Bind(httpapi.JWT, func(context.Context, *httpapi.Request) (*httpapi.Response, error) {
				if c.err != nil {
					return nil, c.err
				}
				return httpapi.NoContent(), nil
			})
			resp, err := fn(context.Background(), apitest.LoadEvent(t, "create-org.json"))
			if err != nil {
				t.Fatalf("the handler returned %v to Lambda", err)
			}
			records := emfRecords(t, a.Logs.String())
			if !c.counted {
				if len(records) != 0 {
					t.Errorf("status %d counted as a server error: %v", resp.StatusCode, records)
				}
				return
			}
			if len(records) != 1 || records[0][want] != 1 {
				t.Errorf("status %d: EMF records %v; want one counting %s", resp.StatusCode, records, want)
			}
		})
	}
}
