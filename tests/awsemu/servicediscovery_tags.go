package awsemu

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
)

// Tags and namespace deletion: what Terraform's aws_service_discovery_*
// resources call besides the creates (ListTagsForResource after each
// create, DeleteNamespace on destroy).

func (s *sdService) resourceExists(arn string) bool {
	if s.serviceByRef(arn) != nil {
		return true
	}
	return s.byRef(arn) != nil
}

func (s *sdService) setTags(arn string, tags []sdtypes.Tag) {
	if len(tags) == 0 {
		return
	}
	if s.tags == nil {
		s.tags = map[string]map[string]string{}
	}
	m := s.tags[arn]
	if m == nil {
		m = map[string]string{}
		s.tags[arn] = m
	}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
}

// onResource runs fn under the lock when arn is a namespace or service.
func (s *sdService) onResource(ref *string, fn func(arn string)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := aws.ToString(ref)
	if !s.resourceExists(arn) {
		return apiErr("ResourceNotFoundException", "Resource not found: %s", arn)
	}
	fn(arn)
	return nil
}

func (s *sdService) listTags(in *servicediscovery.ListTagsForResourceInput) (any, error) {
	out := &servicediscovery.ListTagsForResourceOutput{Tags: []sdtypes.Tag{}}
	return out, s.onResource(in.ResourceARN, func(arn string) {
		for _, k := range sortedKeys(s.tags[arn]) {
			out.Tags = append(out.Tags, sdtypes.Tag{Key: aws.String(k), Value: aws.String(s.tags[arn][k])})
		}
	})
}

func (s *sdService) tagResource(in *servicediscovery.TagResourceInput) (any, error) {
	return &servicediscovery.TagResourceOutput{}, s.onResource(in.ResourceARN, func(arn string) { s.setTags(arn, in.Tags) })
}

func (s *sdService) untagResource(in *servicediscovery.UntagResourceInput) (any, error) {
	return &servicediscovery.UntagResourceOutput{}, s.onResource(in.ResourceARN, func(arn string) {
		for _, k := range in.TagKeys {
			delete(s.tags[arn], k)
		}
	})
}

// deleteNamespace refuses a namespace that still has services, as Cloud
// Map does; the DELETE_NAMESPACE operation has already succeeded.
func (s *sdService) deleteNamespace(in *servicediscovery.DeleteNamespaceInput) (any, error) {
	id := aws.ToString(in.Id)
	s.mu.Lock()
	ns := s.byRef(id)
	if ns == nil {
		s.mu.Unlock()
		return nil, apiErr("NamespaceNotFound", "Namespace not found: %s", id)
	}
	if aws.ToInt32(ns.ServiceCount) > 0 {
		s.mu.Unlock()
		return nil, apiErr("ResourceInUse", "The namespace %s has %d service(s); delete them first.", aws.ToString(ns.Id), aws.ToInt32(ns.ServiceCount))
	}
	nsID := aws.ToString(ns.Id)
	delete(s.namespaces, nsID)
	delete(s.vpcs, nsID)
	delete(s.tags, aws.ToString(ns.Arn))
	s.mu.Unlock()
	return &servicediscovery.DeleteNamespaceOutput{OperationId: aws.String(s.succeeded(sdtypes.OperationTypeDeleteNamespace, sdtypes.OperationTargetTypeNamespace, nsID))}, nil
}
