package awsapi

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// closingBody fails reads once closed, as smithy-go's request body does.
type closingBody struct {
	r      io.Reader
	closed bool
}

func (b *closingBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("read on closed body")
	}
	return b.r.Read(p)
}

func (b *closingBody) Close() error { b.closed = true; return nil }

type recordingClient struct{ got *http.Request }

func (t *recordingClient) Do(req *http.Request) (*http.Response, error) {
	t.got = req
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: req}, nil
}

func newRequest(t *testing.T, body io.ReadCloser, length int64) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Body, req.ContentLength = body, length
	return req
}

// net/http may still read the body after smithy-go closed it (the race
// InMemoryBodies exists for): what it reads must be the whole body.
func TestRequestBodyOutlivesTheCallersClose(t *testing.T) {
	const payload = `{"cluster":"demo","services":["web"]}`
	orig := &closingBody{r: strings.NewReader(payload)}
	next := &recordingClient{}
	if _, err := InMemoryBodies(next).Do(newRequest(t, orig, int64(len(payload)))); err != nil {
		t.Fatal(err)
	}
	if !orig.closed {
		t.Error("the caller's body must be closed by the call")
	}
	_ = orig.Close() // what smithy-go does once the response headers are in
	got, err := io.ReadAll(next.got.Body)
	if err != nil || string(got) != payload {
		t.Fatalf("transport read %q, %v", got, err)
	}
	if next.got.ContentLength != int64(len(payload)) || next.got.GetBody == nil {
		t.Errorf("content length %d, GetBody set %v", next.got.ContentLength, next.got.GetBody != nil)
	}
	again, _ := next.got.GetBody()
	if b, _ := io.ReadAll(again); string(b) != payload {
		t.Errorf("GetBody gave %q", b)
	}
}

func TestRequestBodiesOfUnknownOrLargeSizePassThrough(t *testing.T) {
	for _, length := range []int64{-1, maxBufferedBody + 1} {
		orig := &closingBody{r: strings.NewReader("x")}
		next := &recordingClient{}
		if _, err := InMemoryBodies(next).Do(newRequest(t, orig, length)); err != nil {
			t.Fatal(err)
		}
		if next.got.Body != io.ReadCloser(orig) || orig.closed {
			t.Errorf("length %d: body was not passed through as it is", length)
		}
	}
}

func TestRequestBodyShorterThanItsLengthIsAnError(t *testing.T) {
	next := &recordingClient{}
	_, err := InMemoryBodies(next).Do(newRequest(t, io.NopCloser(strings.NewReader("abc")), 10))
	if err == nil || !strings.Contains(err.Error(), "3 bytes, Content-Length says 10") || next.got != nil {
		t.Fatalf("err = %v, sent = %v", err, next.got != nil)
	}
}
