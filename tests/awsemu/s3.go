package awsemu

import (
	"bytes"
	"fmt"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// s3Service is S3 as github.com/johannesboyne/gofakes3 serves it.
type s3Service struct {
	backend *s3mem.Backend
}

func newS3Service(e *Emulator) *s3Service {
	backend := s3mem.New()
	e.s3 = gofakes3.New(backend).Server()
	return &s3Service{backend: backend}
}

// PutS3Object stores an object, creating the bucket when needed.
func (e *Emulator) PutS3Object(bucket, key string, body []byte) error {
	b := e.services.s3.backend
	if ok, _ := b.BucketExists(bucket); !ok {
		if err := b.CreateBucket(bucket); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucket, err)
		}
	}
	if _, err := b.PutObject(bucket, key, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}
