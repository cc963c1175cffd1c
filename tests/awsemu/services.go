package awsemu

import (
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/doppio-ecs/doppio/tests/awsemu/codedeploy"
	"github.com/doppio-ecs/doppio/tests/awsemu/core"
	"github.com/doppio-ecs/doppio/tests/awsemu/ec2"
	"github.com/doppio-ecs/doppio/tests/awsemu/lambda"
	"github.com/doppio-ecs/doppio/tests/awsemu/ssmsessions"
)

// serviceSet holds each emulated service's state. Each service guards its own
// state with its own lock.
type serviceSet struct {
	ecs  *ecsService
	ecr  *ecrService
	iam  *iamService
	sts  *stsService
	ssm  *ssmService
	sm   *secretsService
	logs *logsService
	elb  *elbService
	aas  *autoScalingService
	cfn  *cfnService
	s3   *s3Service
	sd   *sdService
	ec2  *ec2.Service

	lambda *lambda.Service
	elbl   *elbListenerState
	cd     *codedeploy.Service
}

func (e *Emulator) registerServices() {
	e.services.ecs = newECSService(e)
	e.services.ecr = newECRService(e)
	e.services.iam = newIAMService(e)
	e.services.sts = newSTSService(e)
	e.ssmSessions = ssmsessions.New(e.core, e.opts.Region, e.services.ecs.sessionTarget)
	e.services.ssm = newSSMService(e)
	e.services.sm = newSecretsService(e)
	e.services.logs = newLogsService(e)
	e.services.elb = newELBService(e)
	e.services.aas = newAutoScalingService(e)
	e.services.cfn = newCFNService(e)
	e.services.s3 = newS3Service(e)
	e.services.sd = newServiceDiscoveryService(e)
	e.services.ec2 = ec2.New(e.core, e.opts.Region, e.opts.AccountID)
	e.services.lambda = lambda.New(e.core, e.opts.Region, e.opts.AccountID)
	e.registerListenerOps()
	e.registerIAMWriteOps()
	e.services.ecs.registerTaskSetOps()
	e.services.cd = codedeploy.New(e.core, codeDeployECS{e.services.ecs}, e.services.lambda, e.opts.Region, e.opts.AccountID)
}

// EC2 is the emulated EC2 (VPCs, subnets, security groups, routes,
// endpoints), e.g. to seed it with EC2().ApplySeed.
func (e *Emulator) EC2() *ec2.Service { return e.services.ec2 }

// addJSONService routes X-Amz-Target "<targetPrefix>.<Op>" to ops.
func (e *Emulator) addJSONService(targetPrefix, name string, lowerFirst bool, ops map[string]jsonOp) {
	e.core.AddJSONService(targetPrefix, name, lowerFirst, ops)
}

// addQueryService routes awsQuery requests signed for signingName (or, when
// unsigned, carrying Version=version) to ops.
func (e *Emulator) addQueryService(signingName, name, xmlns, version string, ops map[string]queryOp) {
	e.core.AddQueryService(signingName, name, xmlns, version, ops)
}

// statusRecorder remembers the status a wrapped handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// serveRESTLogged serves a REST-style request (S3, the registry) through h,
// with faults and the request log like every other call.
func (e *Emulator) serveRESTLogged(w http.ResponseWriter, r *http.Request, service, op string, h http.Handler) {
	writeErr := func(w http.ResponseWriter, ae *APIError) {
		w.WriteHeader(ae.StatusCode())
		_, _ = w.Write([]byte(ae.Code))
	}
	e.serveREST(w, r, service, op, "SlowDown", writeErr, h)
}

// serveREST serves a REST request through h, logged and with faults, whose
// errors writeErr writes in the service's own protocol.
func (e *Emulator) serveREST(w http.ResponseWriter, r *http.Request, service, op, throttleCode string, writeErr func(http.ResponseWriter, *APIError), h http.Handler) {
	req := Request{Time: e.now(), Service: service, Operation: op, Mutating: IsMutating(op), Params: map[string]string{"Path": r.URL.Path}, Caller: e.callerOf(r).ARN}
	defer func() { e.Log.Add(req) }()
	fv, done, ae := e.applyFaults(w, r, service, op, throttleCode, writeErr)
	if done {
		req.Status, req.ErrorCode = ae.Status, ae.Code
		return
	}
	if fv.DropAfter() {
		// Serve into a recorder whose answer is never sent.
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if core.HangUp(w) {
			req.Status, req.ErrorCode = rec.Code, core.DroppedAfterApply
			return
		}
		copyRecorded(w, rec)
		req.Status = rec.Code
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	h.ServeHTTP(rec, r)
	req.Status = rec.status
}

func (e *Emulator) serveRegistry(w http.ResponseWriter, r *http.Request) {
	op := "Registry" + strings.ToUpper(r.Method[:1]) + strings.ToLower(r.Method[1:])
	switch {
	case strings.Contains(r.URL.Path, "/manifests/"):
		op = map[string]string{http.MethodHead: "HeadManifest", http.MethodGet: "GetManifest", http.MethodPut: "PutManifest"}[r.Method]
	case strings.Contains(r.URL.Path, "/blobs/"):
		op = map[string]string{http.MethodHead: "HeadBlob", http.MethodGet: "GetBlob"}[r.Method]
	case r.URL.Path == "/v2/" || r.URL.Path == "/v2":
		op = "Ping"
	}
	if op == "" {
		op = "Registry" + r.Method
	}
	e.serveRESTLogged(w, r, "Registry", op, e.registry)
}

func (e *Emulator) serveS3(w http.ResponseWriter, r *http.Request) {
	e.serveRESTLogged(w, r, "S3", s3Operation(r), e.s3)
}

// s3Operation names the S3 operation a REST request performs, for the log.
func s3Operation(r *http.Request) string {
	path := strings.Trim(r.URL.Path, "/")
	hasKey := strings.Contains(path, "/")
	switch r.Method {
	case http.MethodGet:
		switch {
		case path == "":
			return "ListBuckets"
		case hasKey:
			return "GetObject"
		default:
			return "ListObjects"
		}
	case http.MethodHead:
		if hasKey {
			return "HeadObject"
		}
		return "HeadBucket"
	case http.MethodPut:
		if hasKey {
			return "PutObject"
		}
		return "CreateBucket"
	case http.MethodDelete:
		if hasKey {
			return "DeleteObject"
		}
		return "DeleteBucket"
	case http.MethodPost:
		return "PostObject"
	}
	return "S3" + r.Method
}

func copyRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
