package imageref

import "testing"

func TestParseECR(t *testing.T) {
	cases := []struct {
		in   string
		want ECR
		ok   bool
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1", ECR{"123456789012", "us-east-1", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "web", "v1", ""}, true},
		{"123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/team/app", ECR{"123456789012", "ap-northeast-1", "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com", "team/app", "", ""}, true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1.2", ECR{"123456789012", "cn-north-1", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "app", "1.2", ""}, true},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:1", ECR{"123456789012", "us-gov-west-1", "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "app", "1", ""}, true},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:abc", ECR{"123456789012", "eu-west-1", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "app", "", "sha256:abc"}, true},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v2@sha256:abc", ECR{"123456789012", "eu-west-1", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "app", "v2", "sha256:abc"}, true},
		{"public.ecr.aws/nginx/nginx:1", ECR{}, false},
		{"nginx:latest", ECR{}, false},
		{"ghcr.io/org/app:v1", ECR{}, false},
		{"12345.dkr.ecr.us-east-1.amazonaws.com/app:1", ECR{}, false},
	}
	for _, tc := range cases {
		got, ok := ParseECR(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseECR(%s) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
