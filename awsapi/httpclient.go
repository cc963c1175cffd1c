package awsapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// maxBufferedBody bounds the request bodies InMemoryBodies copies. doppio's
// requests are JSON and form documents of a few KB; anything larger (or of
// unknown length) is passed through as it is.
const maxBufferedBody = 8 << 20

// InMemoryBodies wraps the HTTP client of a configuration so that each
// request reaches net/http with its body copied into memory.
//
// Why: smithy-go closes a request's body as soon as the response headers
// arrive. Over plain HTTP (an emulator, LocalStack) net/http writes a body it
// cannot tell is in memory straight to the socket, then reads it once more to
// check for EOF; when the server answers first, that read hits the closed
// body and net/http tears the connection down under the response being read.
// The SDK then retries the call, so a mutating call (UpdateService,
// RegisterTaskDefinition) reaches the server twice.
//
// It wraps the client rather than replacing it: the SDK configures its own
// client (custom CA bundles through AWS_CA_BUNDLE, timeouts) first.
func InMemoryBodies(next aws.HTTPClient) aws.HTTPClient {
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	return inMemoryBodies{next: next}
}

type inMemoryBodies struct {
	next aws.HTTPClient
}

func (c inMemoryBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength <= 0 || req.ContentLength > maxBufferedBody {
		return c.next.Do(req)
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, req.ContentLength+1))
	_ = req.Body.Close() // as the transport would have
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if int64(len(b)) != req.ContentLength {
		return nil, fmt.Errorf("request body has %d bytes, Content-Length says %d", len(b), req.ContentLength)
	}
	clone := req.Clone(req.Context())
	clone.Body = io.NopCloser(bytes.NewReader(b))
	clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return c.next.Do(clone)
}
