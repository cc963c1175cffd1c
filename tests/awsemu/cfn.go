package awsemu

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// cfnService is CloudFormation as deploy tools read it: stacks with their
// outputs, and the exports those outputs publish.
type cfnService struct {
	e      *Emulator
	mu     sync.Mutex
	stacks map[string]*cfnStack // by name
}

type cfnStack struct {
	id, name string
	created  time.Time
	outputs  []StackOutput
	order    int
}

// StackSpec describes a stack to seed.
type StackSpec struct {
	Name    string        `json:"name" yaml:"name"`
	Outputs []StackOutput `json:"outputs,omitempty" yaml:"outputs,omitempty"`
}

// StackOutput is one stack output; with ExportName it is also an export.
type StackOutput struct {
	Key         string `json:"key" yaml:"key"`
	Value       string `json:"value" yaml:"value"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	ExportName  string `json:"exportName,omitempty" yaml:"exportName,omitempty"`
}

const cfnXMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

func newCFNService(e *Emulator) *cfnService {
	s := &cfnService{e: e, stacks: map[string]*cfnStack{}}
	e.addQueryService("cloudformation", "CloudFormation", cfnXMLNS, "2010-05-15", map[string]queryOp{
		"DescribeStacks": s.describeStacks,
		"ListExports":    s.listExports,
	})
	return s
}

// PutStack creates or replaces a stack (CREATE_COMPLETE) and returns its id.
func (e *Emulator) PutStack(spec StackSpec) (string, error) {
	if spec.Name == "" {
		return "", fmt.Errorf("put stack: name is empty")
	}
	s := e.services.cfn
	s.mu.Lock()
	defer s.mu.Unlock()
	exports := map[string]string{}
	for _, st := range s.stacks {
		if st.name == spec.Name {
			continue
		}
		for _, o := range st.outputs {
			if o.ExportName != "" {
				exports[o.ExportName] = st.name
			}
		}
	}
	for _, o := range spec.Outputs {
		if o.Key == "" {
			return "", fmt.Errorf("put stack %s: an output has no key", spec.Name)
		}
		if other, dup := exports[o.ExportName]; o.ExportName != "" && dup {
			return "", fmt.Errorf("put stack %s: export %s is already exported by stack %s", spec.Name, o.ExportName, other)
		}
	}
	st := s.stacks[spec.Name]
	if st == nil {
		h := e.newID(16)
		st = &cfnStack{name: spec.Name, created: e.now(), order: len(s.stacks),
			id: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s-%s-%s-%s-%s", e.Region(), e.AccountID(), spec.Name, h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])}
		s.stacks[spec.Name] = st
	}
	st.outputs = append([]StackOutput(nil), spec.Outputs...)
	return st.id, nil
}

type cfnOutputXML struct {
	OutputKey   string `xml:"OutputKey"`
	OutputValue string `xml:"OutputValue"`
	Description string `xml:"Description,omitempty"`
	ExportName  string `xml:"ExportName,omitempty"`
}

type cfnStackXML struct {
	StackId                     string         `xml:"StackId"`
	StackName                   string         `xml:"StackName"`
	CreationTime                string         `xml:"CreationTime"`
	StackStatus                 string         `xml:"StackStatus"`
	DisableRollback             bool           `xml:"DisableRollback"`
	EnableTerminationProtection bool           `xml:"EnableTerminationProtection"`
	Outputs                     []cfnOutputXML `xml:"Outputs>member"`
	Tags                        []struct{}     `xml:"Tags>member"`
	DriftStatus                 string         `xml:"DriftInformation>StackDriftStatus"`
}

func (s *cfnService) describeStacks(c *call) (any, error) {
	name := c.Form.Get("StackName")
	s.mu.Lock()
	defer s.mu.Unlock()
	var stacks []*cfnStack
	if name != "" {
		for _, st := range s.stacks {
			if st.name == name || st.id == name {
				stacks = append(stacks, st)
			}
		}
		if len(stacks) == 0 {
			return nil, apiErr("ValidationError", "Stack with id %s does not exist", name)
		}
	} else {
		for _, st := range s.stacks {
			stacks = append(stacks, st)
		}
		sort.Slice(stacks, func(i, j int) bool { return stacks[i].order > stacks[j].order })
	}
	var tok *string
	if t := c.Form.Get("NextToken"); t != "" {
		tok = &t
	}
	pg, next, err := pageOf(stacks, nil, tok, 100)
	if err != nil {
		return nil, apiErr("ValidationError", "Invalid NextToken")
	}
	out := struct {
		Stacks    []cfnStackXML `xml:"Stacks>member"`
		NextToken string        `xml:"NextToken,omitempty"`
	}{Stacks: []cfnStackXML{}}
	for _, st := range pg {
		x := cfnStackXML{StackId: st.id, StackName: st.name, CreationTime: isoTime(st.created), StackStatus: "CREATE_COMPLETE", DriftStatus: "NOT_CHECKED", Outputs: []cfnOutputXML{}}
		for _, o := range st.outputs {
			x.Outputs = append(x.Outputs, cfnOutputXML{OutputKey: o.Key, OutputValue: o.Value, Description: o.Description, ExportName: o.ExportName})
		}
		out.Stacks = append(out.Stacks, x)
	}
	if next != nil {
		out.NextToken = *next
	}
	return out, nil
}

type cfnExportXML struct {
	ExportingStackId string `xml:"ExportingStackId"`
	Name             string `xml:"Name"`
	Value            string `xml:"Value"`
}

func (s *cfnService) listExports(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var exports []cfnExportXML
	for _, st := range s.stacks {
		for _, o := range st.outputs {
			if o.ExportName != "" {
				exports = append(exports, cfnExportXML{ExportingStackId: st.id, Name: o.ExportName, Value: o.Value})
			}
		}
	}
	sort.Slice(exports, func(i, j int) bool { return exports[i].Name < exports[j].Name })
	var tok *string
	if t := c.Form.Get("NextToken"); t != "" {
		tok = &t
	}
	pg, next, err := pageOf(exports, nil, tok, 100)
	if err != nil {
		return nil, apiErr("ValidationError", "Invalid NextToken")
	}
	out := struct {
		Exports   []cfnExportXML `xml:"Exports>member"`
		NextToken string         `xml:"NextToken,omitempty"`
	}{Exports: emptyIfNil(pg)}
	if next != nil {
		out.NextToken = *next
	}
	return out, nil
}
