package iampolicy

import "testing"

func TestEvaluate(t *testing.T) {
	allowAll := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssmmessages:*","Resource":"*"}}`)
	denyOpen := mustParse(t, `{"Statement":[{"Effect":"Deny","Action":["ssmmessages:Open?ataChannel"],"Resource":"*"}]}`)
	notAction := mustParse(t, `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::b/*"}]}`)
	for _, c := range []struct {
		name             string
		sources          []Source
		action, resource string
		want             Decision
	}{
		{"wildcard action allows", []Source{{"a", allowAll}}, "ssmmessages:CreateControlChannel", "*", Allowed},
		{"actions are case-insensitive", []Source{{"a", allowAll}}, "SSMMessages:createcontrolchannel", "*", Allowed},
		{"explicit deny wins", []Source{{"a", allowAll}, {"d", denyOpen}}, "ssmmessages:OpenDataChannel", "*", ExplicitDeny},
		{"deny of another action", []Source{{"a", allowAll}, {"d", denyOpen}}, "ssmmessages:OpenControlChannel", "*", Allowed},
		{"nothing matches", []Source{{"a", allowAll}}, "kms:Decrypt", "*", ImplicitDeny},
		{"no policies", nil, "ssmmessages:CreateControlChannel", "*", ImplicitDeny},
		{"NotAction", []Source{{"n", notAction}}, "s3:PutObject", "arn:aws:s3:::b/k", Allowed},
		{"NotAction excludes", []Source{{"n", notAction}}, "iam:GetRole", "arn:aws:s3:::b/k", ImplicitDeny},
		{"resource pattern", []Source{{"n", notAction}}, "s3:PutObject", "arn:aws:s3:::other/k", ImplicitDeny},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, _ := Evaluate(c.sources, c.action, c.resource); got != c.want {
				t.Errorf("Evaluate(%s, %s) = %s, want %s", c.action, c.resource, got, c.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, doc := range []string{
		`not json`,
		`{"Statement":[]}`,
		`{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":7,"Resource":"*"}]}`,
	} {
		if _, err := Parse(doc); err == nil {
			t.Errorf("Parse(%s) accepted a malformed policy", doc)
		}
	}
}

func TestWildcard(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{{"*", "", true}, {"a*c", "abbbc", true}, {"a*c", "abbb", false}, {"a?c", "abc", true}, {"a?c", "ac", false}, {"*:*", "s3:x", true}, {"ab", "abc", false}} {
		if got := Wildcard(c.p, c.s); got != c.want {
			t.Errorf("Wildcard(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func mustParse(t *testing.T, s string) *Document {
	t.Helper()
	d, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
