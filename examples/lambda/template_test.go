package lambda_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/hes"
)

func TestParseYAML(t *testing.T) {
	tests := []struct {
		name, src string
		want      map[string]any
		wantErr   string
	}{{
		name: "mappings, sequences and scalars",
		src: `# comment
A: plain # trailing comment
B: "double # not a comment"
C: 'single ''quoted'''
D:
  - one
  - k: v
    l: w
  -
    - nested
E: [x, !Ref Y]
F: >-
  folded
  text
G:
- same indent
H: !GetAtt Q.Arn
I: !Sub "s3://${B}?region=${AWS::Region}"
`,
		want: map[string]any{"A": "plain", "B": "double # not a comment", "C": "single 'quoted'",
			"D": []any{"one", map[string]any{"k": "v", "l": "w"}, []any{"nested"}},
			"E": []any{"x", map[string]any{"Ref": "Y"}}, "F": "folded text", "G": []any{"same indent"},
			"H": map[string]any{"Fn::GetAtt": "Q.Arn"}, "I": map[string]any{"Fn::Sub": "s3://${B}?region=${AWS::Region}"}},
	}, {
		name:    "duplicate key",
		src:     "A: 1\nA: 2\n",
		wantErr: `duplicate key "A"`,
	}, {
		name:    "bad indentation",
		src:     "A:\n  b: 1\n    c: 2\n",
		wantErr: "line 3: unexpected indentation",
	}, {
		name:    "tag outside the subset",
		src:     "A: !If [c, a, b]\n",
		wantErr: "tag !If is outside the subset",
	}, {
		name:    "flow mapping",
		src:     "A: [{prefix: x}]\n",
		wantErr: "flow sequence outside the subset",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseYAML(tc.src)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// tmpl is template.yaml, parsed.
type tmpl map[string]any

func loadTemplate(t *testing.T) tmpl {
	t.Helper()
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseYAML(string(b))
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	return m
}

// get walks a path of mapping keys and sequence indexes.
func get(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func (tp tmpl) resource(name string) map[string]any {
	r, _ := get(map[string]any(tp), "Resources", name).(map[string]any)
	return r
}

// prop is a function's property, or the Globals' if it has none.
func (tp tmpl) prop(fn string, path ...string) any {
	if v := get(tp.resource(fn), append([]string{"Properties"}, path...)...); v != nil {
		return v
	}
	return get(map[string]any(tp), append([]string{"Globals", "Function"}, path...)...)
}

func (tp tmpl) functions() []string {
	var out []string
	for name, r := range get(map[string]any(tp), "Resources").(map[string]any) {
		if get(r, "Type") == "AWS::Serverless::Function" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// arnOf returns X for {"Fn::GetAtt": "X.Arn"}.
func arnOf(v any) string {
	s, _ := get(v, "Fn::GetAtt").(string)
	x, _ := strings.CutSuffix(s, ".Arn")
	return x
}

func atoi(t *testing.T, v any) int {
	t.Helper()
	s, _ := v.(string)
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%v is not a number", v)
	}
	return n
}

// TestTemplate checks the deployment template against the code: every
// function is built from a main package here as bootstrap for
// provided.al2023 on arm64; the SQS functions report partial batch
// failures from queues with a redrive policy and a visibility timeout
// longer than their timeout; and each function gets exactly the access
// it needs.
func TestTemplate(t *testing.T) {
	tp := loadTemplate(t)
	if tp["Transform"] != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform %v", tp["Transform"])
	}
	tests := []struct {
		fn, dir string
		// sqs is the queue of an SQS event source, if the function has one.
		sqs string
		// policies are "PolicyTemplate:Resource".
		policies []string
	}{
		{"InboundFunction", "inbound", "", []string{"S3CrudPolicy:InboundBucket", "S3ReadPolicy:LakeBucket", "SQSSendMessagePolicy:RangesQueue"}},
		{"WorkerFunction", "worker", "RangesQueue", []string{"S3ReadPolicy:InboundBucket", "S3CrudPolicy:LakeBucket", "SQSSendMessagePolicy:LateQueue"}},
		{"LateFunction", "late", "LateQueue", []string{"S3CrudPolicy:LakeBucket"}},
		{"IntegratorFunction", "integrator", "", []string{"S3CrudPolicy:LakeBucket"}},
		{"MLFunction", "ml", "", []string{"S3CrudPolicy:LakeBucket"}},
		{"ApiFunction", "api", "", []string{"S3ReadPolicy:LakeBucket"}},
		{"FetchFunction", "fetch", "", []string{"S3CrudPolicy:InboundBucket"}},
		{"DataflowFunction", "dataflow", "", []string{"S3ReadPolicy:InboundBucket", "S3CrudPolicy:LakeBucket"}},
		{"StreamFunction", "stream", "", []string{"S3CrudPolicy:InboundBucket", "SQSSendMessagePolicy:StreamFailureQueue"}},
	}
	var fns []string
	for _, tc := range tests {
		fns = append(fns, tc.fn)
	}
	slices.Sort(fns)
	if diff := cmp.Diff(fns, tp.functions()); diff != "" {
		t.Errorf("functions (-tested +template):\n%s", diff)
	}
	for _, tc := range tests {
		t.Run(tc.fn, func(t *testing.T) {
			if got, want := tp.prop(tc.fn, "CodeUri"), "build/"+tc.dir+"/"; got != want {
				t.Errorf("CodeUri %v, want %s (where README.md builds ./%s)", got, want, tc.dir)
			}
			src, err := os.ReadFile(filepath.Join(tc.dir, "main.go"))
			if err != nil {
				t.Fatalf("CodeUri has no source: %v", err)
			}
			if !strings.Contains(string(src), "package main") || !strings.Contains(string(src), "lambda.Start(") {
				t.Errorf("%s/main.go is not a Lambda main package", tc.dir)
			}
			for path, want := range map[string]any{"Handler": "bootstrap", "Runtime": "provided.al2023", "Architectures": []any{"arm64"}} {
				if diff := cmp.Diff(want, tp.prop(tc.fn, path)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", path, diff)
				}
			}
			var policies []string
			for _, p := range tp.prop(tc.fn, "Policies").([]any) {
				for name, args := range p.(map[string]any) {
					target := get(args, "BucketName", "Ref")
					if target == nil {
						target, _ = strings.CutSuffix(fmt.Sprint(get(args, "QueueName", "Fn::GetAtt")), ".QueueName")
					}
					policies = append(policies, fmt.Sprintf("%s:%v", name, target))
				}
			}
			if diff := cmp.Diff(tc.policies, policies); diff != "" {
				t.Errorf("policies (-want +got):\n%s", diff)
			}
			if tc.sqs == "" {
				return
			}
			var found bool
			for _, ev := range tp.prop(tc.fn, "Events").(map[string]any) {
				if get(ev, "Type") != "SQS" {
					continue
				}
				found = true
				if q := arnOf(get(ev, "Properties", "Queue")); q != tc.sqs {
					t.Errorf("SQS event source %s, want %s", q, tc.sqs)
				}
				if !slices.Contains(get(ev, "Properties", "FunctionResponseTypes").([]any), any("ReportBatchItemFailures")) {
					t.Error("the SQS event source does not report batch item failures: the partial batch responses would be ignored")
				}
			}
			if !found {
				t.Fatal("no SQS event source")
			}
			q := get(tp.resource(tc.sqs), "Properties")
			dlq := arnOf(get(q, "RedrivePolicy", "deadLetterTargetArn"))
			if get(tp.resource(dlq), "Type") != "AWS::SQS::Queue" {
				t.Errorf("%s has no dead-letter queue (redrive target %q)", tc.sqs, dlq)
			}
			if n := atoi(t, get(q, "RedrivePolicy", "maxReceiveCount")); n != 5 {
				t.Errorf("maxReceiveCount %d, want 5", n)
			}
			if vt, to := atoi(t, get(q, "VisibilityTimeout")), atoi(t, tp.prop(tc.fn, "Timeout")); vt < 6*to {
				t.Errorf("%s visibility timeout %d s < 6 x the function's timeout %d s", tc.sqs, vt, to)
			}
		})
	}

	t.Run("triggers", func(t *testing.T) {
		if get(tp.resource("InboundBucket"), "Properties", "NotificationConfiguration", "EventBridgeConfiguration", "EventBridgeEnabled") != "true" {
			t.Error("the inbound bucket does not send events to EventBridge")
		}
		pattern := get(tp.prop("InboundFunction", "Events"), "ObjectCreated", "Properties", "Pattern")
		want := map[string]any{"source": []any{"aws.s3"}, "detail-type": []any{"Object Created"},
			"detail": map[string]any{"bucket": map[string]any{"name": []any{map[string]any{"Ref": "InboundBucket"}}},
				"object": map[string]any{"key": []any{map[string]any{"prefix": "data/landing/"}, map[string]any{"prefix": "data/historic/"},
					map[string]any{"prefix": hes.LandingPrefix}}}}}
		if diff := cmp.Diff(want, pattern); diff != "" {
			t.Errorf("inbound rule pattern (-want +got):\n%s", diff)
		}
		// The API is read-only, GET, behind IAM: the function trusts the
		// gateway (MDA_AUTH=gateway), so the gateway must authenticate.
		for _, name := range []string{"Api", "Root"} {
			apiEv := get(tp.prop("ApiFunction", "Events"), name)
			if get(apiEv, "Type") != "HttpApi" || get(apiEv, "Properties", "Method") != "GET" ||
				get(apiEv, "Properties", "Auth", "Authorizer") != "AWS_IAM" {
				t.Errorf("API event %s %v: want GET on an HTTP API with the AWS_IAM authorizer", name, apiEv)
			}
		}
		if get(tp.prop("ApiFunction", "Environment"), "Variables", "MDA_AUTH") != "gateway" {
			t.Errorf("ApiFunction environment %v: want MDA_AUTH=gateway behind the IAM authorizer", tp.prop("ApiFunction", "Environment"))
		}
		// SAM refuses the AWS_IAM authorizer on a route of an HTTP API
		// that does not enable it.
		if get(map[string]any(tp), "Globals", "HttpApi", "Auth", "EnableIamAuthorizer") != "true" {
			t.Error("Globals.HttpApi.Auth.EnableIamAuthorizer is not true: sam deploy would fail on the AWS_IAM routes")
		}
		sched := get(tp.prop("IntegratorFunction", "Events"), "IntegratorSchedule", "Properties", "ScheduleExpression")
		if sched != "rate(15 minutes)" {
			t.Errorf("integrator schedule %v", sched)
		}
		if to := atoi(t, tp.prop("IntegratorFunction", "Timeout")); to >= 15*60 {
			t.Errorf("integrator timeout %d s is not shorter than its schedule", to)
		}
		if tp.prop("IntegratorFunction", "ReservedConcurrentExecutions") != "1" {
			t.Error("integrator runs may overlap")
		}
		// The downloader exists only with a source, runs one at a time
		// (its position is one object) and ends before its next run.
		if c := get(tp.resource("FetchFunction"), "Condition"); c != "HasHesSource" || get(map[string]any(tp), "Conditions", "HasHesSource") == nil {
			t.Errorf("FetchFunction condition %v: want HasHesSource, defined", c)
		}
		if sched := get(tp.prop("FetchFunction", "Events"), "FetchSchedule", "Properties", "ScheduleExpression"); sched != "rate(5 minutes)" {
			t.Errorf("fetch schedule %v", sched)
		}
		if to := atoi(t, tp.prop("FetchFunction", "Timeout")); to >= 5*60 {
			t.Errorf("fetch timeout %d s is not shorter than its schedule", to)
		}
		if tp.prop("FetchFunction", "ReservedConcurrentExecutions") != "1" {
			t.Error("fetch runs may overlap")
		}
		// The dataflow function sees the weather and topology folders, and
		// may register in the integrated database.
		dpattern := get(tp.prop("DataflowFunction", "Events"), "ObjectCreated", "Properties", "Pattern", "detail", "object", "key")
		if diff := cmp.Diff([]any{map[string]any{"prefix": handler.WeatherPrefix}, map[string]any{"prefix": handler.TopologyPrefix}}, dpattern); diff != "" {
			t.Errorf("dataflow rule keys (-want +got):\n%s", diff)
		}
		if roles := get(tp.resource("IntegratorGluePolicy"), "Properties", "Roles"); !slices.ContainsFunc(roles.([]any), func(r any) bool {
			return get(r, "Ref") == "DataflowFunctionRole"
		}) {
			t.Errorf("the dataflow function's role has no Glue access: %v", roles)
		}
		// The readings stream and its function exist only when enabled;
		// the function reads that stream, and its objects land where the
		// inbound function's rule looks.
		for _, r := range []string{"ReadingsKinesisStream", "StreamFailureQueue", "StreamFunction"} {
			if c := get(tp.resource(r), "Condition"); c != "HasReadingsStream" || get(map[string]any(tp), "Conditions", "HasReadingsStream") == nil {
				t.Errorf("%s condition %v: want HasReadingsStream, defined", r, c)
			}
		}
		if src := get(tp.prop("StreamFunction", "Events"), "Readings", "Properties", "Stream", "Fn::GetAtt"); src != "ReadingsKinesisStream.Arn" {
			t.Errorf("StreamFunction reads %v", src)
		}
		streamKey := hes.StreamKey(tp.prop("StreamFunction", "Environment").(map[string]any)["Variables"].(map[string]any)["STREAM_NAME"].(string), time.Now(), nil)
		if !slices.ContainsFunc(get(pattern, "detail", "object", "key").([]any), func(p any) bool { return strings.HasPrefix(streamKey, get(p, "prefix").(string)) }) {
			t.Errorf("the inbound rule %v does not see the stream's objects (%s)", pattern, streamKey)
		}
		// Neither the scheduler nor Lambda retries a scheduled run that
		// failed: the next run resumes it.
		for _, fn := range []string{"FetchFunction", "IntegratorFunction"} {
			if n := get(tp.prop(fn, "EventInvokeConfig"), "MaximumRetryAttempts"); n != "0" {
				t.Errorf("%s: Lambda retries a failed run %v times; want 0", fn, n)
			}
		}
	})

	// The ML function's schedules send each job's event, which the
	// handler must parse, and every job runs.
	t.Run("ml schedules", func(t *testing.T) {
		jobs := map[string]string{}
		for name, ev := range tp.prop("MLFunction", "Events").(map[string]any) {
			if get(ev, "Type") != "ScheduleV2" {
				t.Errorf("%s: type %v, want ScheduleV2", name, get(ev, "Type"))
				continue
			}
			var e handler.MLEvent
			in, _ := get(ev, "Properties", "Input").(string)
			if err := json.Unmarshal([]byte(in), &e); err != nil {
				t.Errorf("%s: input %q: %v", name, in, err)
			}
			expr, _ := get(ev, "Properties", "ScheduleExpression").(string)
			if !strings.HasPrefix(expr, "cron(") && !strings.HasPrefix(expr, "rate(") {
				t.Errorf("%s: schedule %q", name, expr)
			}
			jobs[e.Job] = expr
		}
		for _, job := range []string{handler.JobTrain, handler.JobForecast, handler.JobAnomalies} {
			if jobs[job] == "" {
				t.Errorf("no schedule runs the %s job (schedules: %v)", job, jobs)
			}
		}
		if to := atoi(t, tp.prop("MLFunction", "Timeout")); to > 900 {
			t.Errorf("ML timeout %d s is over Lambda's 900", to)
		}
		if tp.prop("MLFunction", "ReservedConcurrentExecutions") != "1" {
			t.Error("ML jobs may run at once")
		}
		if roles := get(tp.resource("MLGluePolicy"), "Properties", "Roles"); !slices.ContainsFunc(roles.([]any), func(r any) bool {
			return get(r, "Ref") == "MLFunctionRole"
		}) {
			t.Errorf("the ML function's role has no Glue access: %v", roles)
		}
	})
}

// TestTemplateEnvironment wires every handler from the environment the
// template gives its function, with the intrinsic functions resolved as
// CloudFormation would: a variable the code needs and the template
// forgets, or a value the code cannot parse, fails here, not at the
// first cold start.
func TestTemplateEnvironment(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "eu-west-1",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	tp := loadTemplate(t)
	wire := map[string]func(context.Context, *lambdaenv.Env) error{
		"InboundFunction": func(ctx context.Context, e *lambdaenv.Env) error {
			_, err := handler.NewInbound(ctx, e, lambdaenv.Logger(t.Output(), ""))
			return err
		},
		"WorkerFunction": func(ctx context.Context, e *lambdaenv.Env) error {
			_, err := handler.NewWorker(ctx, e, lambdaenv.Logger(t.Output(), ""))
			return err
		},
		"LateFunction": func(ctx context.Context, e *lambdaenv.Env) error {
			_, err := handler.NewLate(ctx, e, lambdaenv.Logger(t.Output(), ""))
			return err
		},
		"IntegratorFunction": func(ctx context.Context, e *lambdaenv.Env) error {
			_, err := handler.NewIntegrator(ctx, e, lambdaenv.Logger(t.Output(), ""))
			return err
		},
		"MLFunction": func(ctx context.Context, e *lambdaenv.Env) error {
			_, err := handler.NewML(ctx, e, lambdaenv.Logger(t.Output(), ""))
			return err
		},
		"ApiFunction": func(ctx context.Context, e *lambdaenv.Env) error {
			_, err := handler.NewAPI(ctx, e, lambdaenv.Logger(t.Output(), ""))
			return err
		},
		"FetchFunction": func(ctx context.Context, e *lambdaenv.Env) error {
			_, err := handler.NewFetcher(ctx, e, lambdaenv.Logger(t.Output(), ""))
			return err
		},
		"DataflowFunction": func(ctx context.Context, e *lambdaenv.Env) error {
			_, err := handler.NewDataflow(ctx, e, lambdaenv.Logger(t.Output(), ""))
			return err
		},
		"StreamFunction": func(ctx context.Context, e *lambdaenv.Env) error {
			_, err := handler.NewStreamer(ctx, e, lambdaenv.Logger(t.Output(), ""))
			return err
		},
	}
	// The values a deployment gives the parameters whose default leaves a
	// function out (FetchFunction's condition).
	deployed := map[string]string{"HesSourceURL": "hes+https://hes.example.com/?api_key_env=HES_API_KEY&window=15m", "HesApiKey": "key"}
	for _, fn := range tp.functions() {
		t.Run(fn, func(t *testing.T) {
			vars := map[string]string{}
			for _, scope := range []any{get(map[string]any(tp), "Globals", "Function"), get(tp.resource(fn), "Properties")} {
				for k, v := range get(scope, "Environment", "Variables").(map[string]any) {
					s, err := resolve(tp, v, deployed)
					if err != nil {
						t.Fatalf("%s: %v", k, err)
					}
					vars[k] = s
				}
			}
			// The process environment too, as Lambda sets it: a source URL
			// names the variable of its API key (api_key_env).
			for k, v := range vars {
				t.Setenv(k, v)
			}
			err := wire[fn](context.Background(), lambdaenv.New(lambdaenv.Map(vars)))
			if err != nil {
				t.Errorf("with %v: %v", vars, err)
			}
		})
	}
}

var subVar = regexp.MustCompile(`\$\{([^}]+)\}`)

// resolve evaluates a value as CloudFormation would, with made-up names:
// a bucket or queue's name is its logical ID in lower case, a parameter
// its value in params, else its default.
func resolve(tp tmpl, v any, params map[string]string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok {
			if p, ok := params[ref]; ok {
				return p, nil
			}
			if d, ok := get(map[string]any(tp), "Parameters", ref, "Default").(string); ok {
				return d, nil
			}
			if tp.resource(ref) == nil {
				return "", fmt.Errorf("Ref to unknown %s", ref)
			}
			return strings.ToLower(ref), nil
		}
		if sub, ok := x["Fn::Sub"].(string); ok {
			var err error
			out := subVar.ReplaceAllStringFunc(sub, func(m string) string {
				name := m[2 : len(m)-1]
				switch name {
				case "AWS::Region":
					return "eu-west-1"
				case "AWS::AccountId":
					return "111122223333"
				}
				res, _, _ := strings.Cut(name, ".")
				if tp.resource(res) == nil {
					err = fmt.Errorf("Sub of unknown %s", name)
				}
				return strings.ToLower(res)
			})
			return out, err
		}
	}
	return "", fmt.Errorf("cannot resolve %v", v)
}
