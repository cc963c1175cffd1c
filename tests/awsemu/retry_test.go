package awsemu

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// retryNoDelay keeps the SDK's retry decisions but not its backoff waits, so
// tests exercising retries stay fast.
func retryNoDelay(r aws.Retryer) aws.Retryer {
	return retry.AddWithMaxBackoffDelay(r, time.Millisecond)
}
