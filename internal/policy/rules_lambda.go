package policy

import (
	"net/url"
	"strings"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
)

// runtimeDeprecation is when AWS deprecates each Lambda runtime (from the
// "Supported runtimes" table of the Lambda Developer Guide, lambda-runtimes.html,
// "Deprecation date" column). A runtime missing here is unknown or already
// retired (go1.x, provided, nodejs18.x, python3.9, ...). Update the table when
// AWS announces a runtime or a date.
var runtimeDeprecation = map[string]string{
	"provided.al2023": "2029-06-30",
	"provided.al2":    "2026-06-30",
	"nodejs24.x":      "2028-04-30",
	"nodejs22.x":      "2027-04-30",
	"nodejs20.x":      "2026-04-30",
	"python3.14":      "2029-06-30",
	"python3.13":      "2029-06-30",
	"python3.12":      "2028-10-31",
	"python3.11":      "2026-06-30",
	"python3.10":      "2026-06-30",
	"java25":          "2029-06-30",
	"java21":          "2029-06-30",
	"java17":          "2026-06-30",
	"java11":          "2026-06-30",
	"java8.al2":       "2026-06-30",
	"dotnet10":        "2028-11-14",
	"dotnet8":         "2026-11-10",
	"ruby3.4":         "2028-03-31",
	"ruby3.3":         "2027-03-31",
	"ruby3.2":         "2026-03-31",
}

// runtimeSupported reports whether AWS still supports runtime at t, and
// otherwise the clause it breaks and why.
func runtimeSupported(runtime string, t time.Time) (ok bool, clause, why string) {
	date, ok := runtimeDeprecation[runtime]
	if !ok {
		return false, "known-runtime", "is not a supported Lambda runtime"
	}
	end, _ := time.Parse(time.DateOnly, date)
	if !t.Before(end) {
		return false, "not-deprecated", "was deprecated on " + date
	}
	return true, "", ""
}

var lambdaRules = []Rule{
	{
		ID:          ids.LambdaNotPublic,
		Severity:    Critical,
		Description: `No Lambda function can be invoked by anyone: no permission grants "*", every permission for an AWS service names the source account or ARN (otherwise any account's resource of that service could invoke it), and no function URL has authorizationType NONE (FSBP Lambda.1).`,
		Clauses: []Clause{
			{ID: "no-public-permission", Text: `no permission grants principal "*" (without principalOrgId)`},
			{ID: "service-source", Text: "every permission for an AWS service names sourceAccount or sourceArn"},
			{ID: "permission-url-auth", Text: "no permission grants functionUrlAuthType NONE"},
			{ID: "function-url-iam", Text: "every function URL has authorizationType AWS_IAM"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, p := range g.ByType(tPermission) {
				principal := Str(p.Inputs["principal"])
				switch {
				case principal == "*" && Str(p.Inputs["principalOrgId"]) == "":
					out = append(out, violation(p, "no-public-permission", "grants %s to principal \"*\"", Str(p.Inputs["action"])))
				case isServicePrincipal(principal) && Str(p.Inputs["sourceAccount"]) == "" && Str(p.Inputs["sourceArn"]) == "":
					out = append(out, violation(p, "service-source", "grants %s to %s without sourceAccount or sourceArn: any account's %s resource could invoke the function", Str(p.Inputs["action"]), principal, principal))
				case Str(p.Inputs["functionUrlAuthType"]) == "NONE":
					out = append(out, violation(p, "permission-url-auth", "grants unauthenticated function URL access (functionUrlAuthType NONE)"))
				}
			}
			for _, u := range g.ByType(tFunctionURL) {
				if Str(u.Inputs["authorizationType"]) != "AWS_IAM" {
					out = append(out, violation(u, "function-url-iam", "function URL authorizationType is %s, not AWS_IAM", quoteOrUnset(Str(u.Inputs["authorizationType"]))))
				}
			}
			return out
		},
	},
	{
		ID:          ids.LambdaSupportedRuntime,
		Severity:    Medium,
		Description: "Every zip-packaged Lambda function uses a runtime AWS supports on the evaluation date (a deprecated runtime gets no security patches) (FSBP Lambda.2).",
		Clauses: []Clause{
			{ID: "known-runtime", Text: "the runtime is one of Lambda's supported runtimes"},
			{ID: "not-deprecated", Text: "the runtime's deprecation date is after the evaluation date"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, fn := range g.ByType(tFunction) {
				if Str(fn.Inputs["packageType"]) == "Image" {
					continue // the image brings its own runtime
				}
				rt := Str(fn.Inputs["runtime"])
				if ok, clause, why := runtimeSupported(rt, g.Now); !ok {
					out = append(out, violation(fn, clause, "runtime %s %s", quoteOrUnset(rt), why))
				}
			}
			return out
		},
	},
	{
		ID:          ids.LambdaOnFailure,
		Severity:    Medium,
		Description: "Every Lambda function has an event invoke config with an on-failure destination, so an asynchronous event that fails every retry is kept, not dropped.",
		Clauses:     one("on-failure-destination", "an event invoke config of the function sets destinationConfig.onFailure.destination"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, fn := range g.ByType(tFunction) {
				ok := false
				for _, c := range g.ByType(tInvokeConfig) {
					if FunctionRefers(c.Inputs["functionName"], fn) && Str(Get(c.Inputs, "destinationConfig.onFailure.destination")) != "" {
						ok = true
					}
				}
				if !ok {
					out = append(out, violation(fn, "on-failure-destination", "no event invoke config with destinationConfig.onFailure: failed async events are dropped"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.LambdaLogRetention,
		Severity:    Medium,
		Description: "Every Lambda function writes to a log group the stack declares (loggingConfig.logGroup, or /aws/lambda/<name>), so logs-retention governs it; otherwise Lambda creates one that never expires.",
		Clauses:     one("log-group-declared", "the function's log group is a log group of the stack"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, fn := range g.ByType(tFunction) {
				name := FunctionLogGroupName(fn)
				if g.LogGroupNamed(name) == nil {
					out = append(out, violation(fn, "log-group-declared", "log group %s is not declared in the stack: Lambda creates it with no retention", name))
				}
			}
			return out
		},
	},
	{
		ID:       ids.LambdaEnvNoSecrets,
		Severity: High,
		Description: "No Lambda function's environment holds a Pulumi secret or a credential-bearing URL (a Slack webhook, a URL with a password): " +
			"anyone allowed lambda:GetFunctionConfiguration reads environment variables in clear text; a function reads secrets from Secrets Manager at run time and gets only the secret's ARN.",
		Clauses: []Clause{
			{ID: "no-pulumi-secret", Text: "no environment variable holds a Pulumi secret"},
			{ID: "no-credential-url", Text: "no environment variable holds a webhook URL or a URL with a password"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, fn := range g.ByType(tFunction) {
				vars, _ := Get(fn.Inputs, "environment.variables").(map[string]any)
				for _, k := range sortedKeys(vars) {
					v := vars[k]
					switch {
					case IsSecret(v):
						out = append(out, violation(fn, "no-pulumi-secret", "environment variable %s holds a Pulumi secret; pass a Secrets Manager ARN and read it at run time", k))
					case credentialURL(Str(v)):
						out = append(out, violation(fn, "no-credential-url", "environment variable %s holds a URL that carries a credential", k))
					}
				}
			}
			return out
		},
	},
}

// credentialURL reports whether s is a URL whose text is itself a
// credential: an incoming-webhook URL (the path is the token) or a URL with
// a password.
func credentialURL(s string) bool {
	for _, host := range []string{"hooks.slack.com/", "hooks.slack-gov.com/"} {
		if strings.Contains(s, "://"+host) {
			return true
		}
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.User == nil {
		return false
	}
	_, hasPassword := u.User.Password()
	return hasPassword
}

// isServicePrincipal reports whether p is an AWS service principal such as logs.amazonaws.com.
func isServicePrincipal(p string) bool {
	return strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazonaws.com.cn")
}
