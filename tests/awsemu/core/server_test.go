package core

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

type echoInput struct {
	Name  *string
	Count *int32
}

// A service registered on a Server is reachable over its protocol, its calls
// are logged with their key parameters, and faults apply to it by name.
func TestServerRoutesLogsAndFaults(t *testing.T) {
	s := NewServer(NewManualClock(time.Time{}), 1)
	s.AddJSONService("Echo_20240101", "Echo", true, map[string]JSONOp{
		"CreateEcho": Op(func(in *echoInput) (any, error) {
			if in.Name == nil {
				return nil, APIErr("InvalidParameterException", "name is required")
			}
			return map[string]any{"echoed": *in.Name}, nil
		}),
	})
	s.AddQueryService("echoq", "EchoQ", "https://echo.example/doc/", "2024-01-01", map[string]QueryOp{
		"GetEcho": func(c *Call) (any, error) {
			return struct {
				Value string `xml:"Value"`
			}{c.Form.Get("Value")}, nil
		},
	})

	rec := serve(t, s, jsonRequest("Echo_20240101.CreateEcho", `{"name":"a","count":2}`), "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"echoed":"a"`) {
		t.Fatalf("json call: %d %s", rec.Code, rec.Body)
	}
	rec = serve(t, s, jsonRequest("Echo_20240101.CreateEcho", `{}`), "")
	if rec.Code != 400 || rec.Header().Get("X-Amzn-ErrorType") != "InvalidParameterException" {
		t.Fatalf("json error: %d %v", rec.Code, rec.Header())
	}
	form := url.Values{"Action": {"GetEcho"}, "Version": {"2024-01-01"}, "Value": {"v"}}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = serve(t, s, req, "echoq")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<GetEchoResult><Value>v</Value></GetEchoResult>") {
		t.Fatalf("query call: %d %s", rec.Code, rec.Body)
	}

	log := s.Log.All()
	if len(log) != 3 || log[0].Operation != "CreateEcho" || !log[0].Mutating || log[0].Params["Name"] != "a" || log[0].Params["Count"] != "2" {
		t.Fatalf("request log: %+v", log)
	}

	s.Faults.Set("echo.CreateEcho", Fault{ThrottleRate: 1})
	rec = serve(t, s, jsonRequest("Echo_20240101.CreateEcho", `{"name":"a"}`), "")
	var body map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 400 || body["__type"] != "ThrottlingException" {
		t.Fatalf("fault by lower-case service name not applied: %d %s", rec.Code, rec.Body)
	}
	if n := s.Log.Count("Echo.CreateEcho"); n != 3 {
		t.Fatalf("Count = %d, want 3", n)
	}
}

func TestNewIDIsUnique(t *testing.T) {
	s := NewServer(NewManualClock(time.Time{}), 1)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := s.NewID(8)
		if len(id) != 16 || seen[id] {
			t.Fatalf("id %q repeated or of the wrong length", id)
		}
		seen[id] = true
	}
}

func jsonRequest(target, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	return req
}

func serve(t *testing.T, s *Server, req *http.Request, signingName string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	if !s.ServeAPI(rec, req, signingName) {
		t.Fatalf("request not routed")
	}
	return rec
}

// EC2's flavour of the query protocol: members directly in <OpResponse>
// after <requestId>, and errors as <Response><Errors><Error>.
func TestEC2Flavour(t *testing.T) {
	s := NewServer(NewManualClock(time.Time{}), 1)
	s.AddEC2Service("ec2x", "EC2X", "http://ec2x.example/doc/", "2016-11-15", map[string]QueryOp{
		"DescribeThings": func(c *Call) (any, error) {
			if ids := EC2List(c.Form, "ThingId"); len(ids) != 2 || ids[1] != "t-2" {
				return nil, APIErr("InvalidThingID.NotFound", "The thing ID '%v' does not exist", ids)
			}
			return struct {
				Things []string `xml:"thingSet>item"`
			}{[]string{"t-1", "t-2"}}, nil
		},
	})
	post := func(form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return serve(t, s, req, "ec2x")
	}
	rec := post(url.Values{"Action": {"DescribeThings"}, "Version": {"2016-11-15"}, "ThingId.1": {"t-1"}, "ThingId.2": {"t-2"}})
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `<DescribeThingsResponse xmlns="http://ec2x.example/doc/"><requestId>`) ||
		!strings.Contains(body, `</requestId><thingSet><item>t-1</item><item>t-2</item></thingSet></DescribeThingsResponse>`) || strings.Contains(body, "Result>") {
		t.Fatalf("answer: %d %s", rec.Code, body)
	}
	rec = post(url.Values{"Action": {"DescribeThings"}, "Version": {"2016-11-15"}, "ThingId.1": {"t-9"}})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "<Response><Errors><Error><Code>InvalidThingID.NotFound</Code><Message>") {
		t.Fatalf("error: %d %s", rec.Code, rec.Body)
	}
	s.Faults.Set("EC2X.*", Fault{ThrottleRate: 1})
	if rec = post(url.Values{"Action": {"DescribeThings"}, "Version": {"2016-11-15"}}); !strings.Contains(rec.Body.String(), "<Code>RequestLimitExceeded</Code>") {
		t.Fatalf("throttling: %s", rec.Body)
	}
}
