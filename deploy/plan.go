package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/doppio-ecs/doppio/apijson"
	"github.com/doppio-ecs/doppio/normalize"
	"github.com/doppio-ecs/doppio/render"
)

// Spec is what to deploy: one service as the files describe it.
type Spec struct {
	Cluster string
	Service string
	// TaskDefinition renders the task definition file. It is a function
	// because --revision and --skip-task-definition do not need it.
	TaskDefinition func(ctx context.Context) (*ecs.RegisterTaskDefinitionInput, error)
	// ServiceDefinition is nil when the config has no service_definition.
	ServiceDefinition *render.ServiceDefinition
	// Ignore lists what another tool owns (config `ignore`).
	Ignore normalize.Ignore
	// ServiceDefinitionFile and TaskDefinitionFile name the files in
	// validation errors ("" when unknown).
	ServiceDefinitionFile, TaskDefinitionFile string
}

// SpecFromProject renders the service definition of a project and wires the
// task definition renderer.
func SpecFromProject(ctx context.Context, p *render.Project) (*Spec, error) {
	sd, err := p.ServiceDefinition(ctx)
	if err != nil {
		return nil, err
	}
	spec := &Spec{
		Cluster:           p.Config.Cluster,
		Service:           p.Config.Service,
		TaskDefinition:    p.TaskDefinition,
		ServiceDefinition: sd,

		ServiceDefinitionFile: p.Config.ServiceDefinitionPath,
		TaskDefinitionFile:    p.Config.TaskDefinitionPath,
	}
	spec.Ignore = IgnoreOf(p.Config)
	return spec, nil
}

// TaskDefinitionAction says how deploy gets the task definition it deploys.
type TaskDefinitionAction string

const (
	// TDRegister registers the rendered definition as a new revision.
	TDRegister TaskDefinitionAction = "register"
	// TDReuse uses an existing revision identical to the rendered one.
	TDReuse TaskDefinitionAction = "reuse"
	// TDKeep keeps the revision the service runs (--skip-task-definition).
	TDKeep TaskDefinitionAction = "keep"
	// TDSelect uses a chosen revision (--revision, --latest-task-definition).
	TDSelect TaskDefinitionAction = "select"
)

// Plan is what a deploy would change. Dry runs print it; Apply executes it.
type Plan struct {
	Cluster string
	Service string
	// CreateService: the service does not exist (or is INACTIVE).
	CreateService bool
	Daemon        bool

	TaskDefinitionAction TaskDefinitionAction
	// TaskDefinitionARN is known unless the action is TDRegister.
	TaskDefinitionARN string
	// TaskDefinitionFamily is the family of the deployed definition.
	TaskDefinitionFamily string
	// CurrentTaskDefinition is what the service runs now.
	CurrentTaskDefinition string

	// Attributes are the service attributes that change, by JSON name.
	Attributes []string
	// Unchangeable are attributes that differ but UpdateService cannot
	// change (launchType, schedulingStrategy, role): a warning.
	Unchangeable []string
	// DesiredCount is nil when the count stays as it is.
	DesiredCount *int32
	CurrentCount int32
	// TagsToSet and TagsToRemove change the service's tags.
	TagsToSet    []ecstypes.Tag
	TagsToRemove []string
	// ForceNewDeployment was asked for.
	ForceNewDeployment bool
	// UpdateService is false with --no-update-service: only the task
	// definition (and count) change.
	UpdateService bool

	AutoScaling *AutoScalingPlan

	// InProgress is the deployment already rolling out, if any.
	InProgress *DeploymentState

	// Warnings are shown with the plan.
	Warnings []string

	// CodeDeploy: the service uses the CODE_DEPLOY controller; the task
	// definition goes out in a CodeDeploy deployment of CodeDeployGroup.
	CodeDeploy      bool
	CodeDeployGroup *DeploymentGroupRef
	// AppSpecAttributes are changed attributes the AppSpec carries
	// (network, platform version, capacity providers, load balancer).
	AppSpecAttributes []string
	// CodeDeployInProgress is the group's deployment in progress, if any.
	CodeDeployInProgress string
	appSpecSource        AppSpecService
	rollbackEvents       []cdtypes.AutoRollbackEvent

	taskDefInput *ecs.RegisterTaskDefinitionInput
	// selected is the revision --revision or --latest-task-definition chose,
	// as read while planning: validation needs no second read.
	selected *ecstypes.TaskDefinition
	create   *ecs.CreateServiceInput
	update   *ecs.UpdateServiceInput
	live     *ecstypes.Service
}

// NoChange tells whether applying the plan would change nothing.
func (p *Plan) NoChange() bool {
	return !p.changesService() && (p.AutoScaling == nil || !p.AutoScaling.Changes())
}

// changesService tells whether the plan needs a CreateService, UpdateService
// or tag call; auto scaling alone (scale --suspend-auto-scaling) does not.
func (p *Plan) changesService() bool {
	if p.CreateService || p.TaskDefinitionAction == TDRegister || p.ForceNewDeployment {
		return true
	}
	if !sameTaskDefinition(p.TaskDefinitionARN, p.CurrentTaskDefinition) {
		return true
	}
	if len(p.Attributes) > 0 || len(p.AppSpecAttributes) > 0 || len(p.TagsToSet) > 0 || len(p.TagsToRemove) > 0 {
		return true
	}
	return p.DesiredCount != nil && *p.DesiredCount != p.CurrentCount
}

// Lines renders the plan for people.
func (p *Plan) Lines() []string {
	var l []string
	l = append(l, fmt.Sprintf("Service %s in cluster %s", p.Service, p.Cluster))
	if p.CreateService {
		l = append(l, "  create the service")
	}
	switch p.TaskDefinitionAction {
	case TDRegister:
		l = append(l, fmt.Sprintf("  task definition: register a new revision of %s", p.TaskDefinitionFamily))
	case TDReuse:
		l = append(l, fmt.Sprintf("  task definition: reuse %s (identical to the rendered definition)", shortTD(p.TaskDefinitionARN)))
	case TDKeep:
		l = append(l, fmt.Sprintf("  task definition: keep %s", shortTD(p.TaskDefinitionARN)))
	case TDSelect:
		l = append(l, fmt.Sprintf("  task definition: use %s", shortTD(p.TaskDefinitionARN)))
	}
	if !p.CreateService && p.CurrentTaskDefinition != "" {
		if p.TaskDefinitionAction != TDRegister && sameTaskDefinition(p.TaskDefinitionARN, p.CurrentTaskDefinition) {
			l = append(l, "  the service already runs it")
		} else {
			l = append(l, fmt.Sprintf("  the service runs %s now", shortTD(p.CurrentTaskDefinition)))
		}
	}
	if len(p.Attributes) > 0 {
		l = append(l, "  service attributes to update: "+strings.Join(p.Attributes, ", "))
	} else if !p.CreateService && p.UpdateService {
		l = append(l, "  service attributes will not change")
	}
	for _, a := range p.Unchangeable {
		l = append(l, fmt.Sprintf("  WARNING: %s differs but cannot be changed on an existing service (recreate it to change it)", a))
	}
	switch {
	case p.Daemon:
		l = append(l, "  desired count: none (DAEMON service)")
	case p.DesiredCount == nil:
		l = append(l, fmt.Sprintf("  desired count: unchanged (%d)", p.CurrentCount))
	case p.CreateService || *p.DesiredCount != p.CurrentCount:
		l = append(l, fmt.Sprintf("  desired count: %d → %d", p.CurrentCount, *p.DesiredCount))
	default:
		l = append(l, fmt.Sprintf("  desired count: %d (unchanged)", *p.DesiredCount))
	}
	for _, t := range p.TagsToSet {
		l = append(l, fmt.Sprintf("  tag %s=%s", aws.ToString(t.Key), aws.ToString(t.Value)))
	}
	for _, k := range p.TagsToRemove {
		l = append(l, fmt.Sprintf("  untag %s", k))
	}
	if p.ForceNewDeployment {
		l = append(l, "  force a new deployment")
	}
	l = append(l, p.codeDeployLines()...)
	if p.AutoScaling != nil {
		l = append(l, p.AutoScaling.Lines()...)
	}
	if p.InProgress != nil {
		l = append(l, fmt.Sprintf("  a deployment is in progress: %s (%s, %d/%d running)", p.InProgress.ID, p.InProgress.TaskDefinition, p.InProgress.Running, p.InProgress.Desired))
	}
	for _, w := range p.Warnings {
		l = append(l, "  WARNING: "+w)
	}
	if p.NoChange() {
		l = append(l, "  nothing to change")
	}
	return l
}

// reuseLookback is how many of the family's newest ACTIVE revisions are
// compared with the rendered definition before registering a new one: enough
// to return to the previous image tag without a new revision, few enough to
// keep a deploy's AWS calls low.
const reuseLookback = 3

// Plan reads the live state and decides what a deploy would change. It makes
// no mutating call.
func (d *Deployer) Plan(ctx context.Context, spec *Spec, opts Options) (*Plan, error) {
	if spec.Service == "" {
		return nil, fmt.Errorf("deploy needs a service: set `service` in the config")
	}
	svc, err := d.describeForPlan(ctx, spec.Cluster, spec.Service)
	if err != nil {
		return nil, err
	}
	if svc != nil && d.Namespaces != nil {
		live := &LiveReader{ECSReader: d.ECS, Namespaces: d.Namespaces}
		if err := live.NameServiceConnectNamespace(ctx, svc); err != nil {
			return nil, err
		}
	}
	p := &Plan{Cluster: spec.Cluster, Service: spec.Service, live: svc, ForceNewDeployment: opts.ForceNewDeployment, UpdateService: !opts.NoUpdateService}
	if svc == nil {
		if spec.ServiceDefinition == nil {
			return nil, fmt.Errorf("service %s does not exist in cluster %s and the config has no service_definition to create it from", spec.Service, spec.Cluster)
		}
		p.CreateService = true
		p.UpdateService = true
	} else {
		if c := svc.DeploymentController; c != nil && c.Type == ecstypes.DeploymentControllerTypeExternal {
			return nil, fmt.Errorf("service %s uses the EXTERNAL deployment controller, whose task sets another tool manages; doppio deploys services under the ECS and CODE_DEPLOY controllers", spec.Service)
		}
		p.CodeDeploy = isCodeDeploy(svc)
		p.CurrentTaskDefinition = aws.ToString(svc.TaskDefinition)
		p.CurrentCount = svc.DesiredCount
		if dep := primaryOf(svc); dep != nil && (dep.RolloutState == ecstypes.DeploymentRolloutStateInProgress || len(svc.Deployments) > 1) {
			for _, s := range deploymentStates(svc) {
				if s.Status == "PRIMARY" {
					s := s
					p.InProgress = &s
				}
			}
		}
	}
	sd := spec.ServiceDefinition
	p.Daemon = (sd != nil && sd.SchedulingStrategy == ecstypes.SchedulingStrategyDaemon) ||
		(svc != nil && svc.SchedulingStrategy == ecstypes.SchedulingStrategyDaemon)

	if err := d.planTaskDefinition(ctx, spec, opts, p); err != nil {
		return nil, err
	}
	p.DesiredCount = desiredCount(spec, opts, p)
	if p.CreateService {
		if err := planCreate(spec, p); err != nil {
			return nil, err
		}
	} else if sd != nil && p.UpdateService {
		if err := planUpdate(spec, p); err != nil {
			return nil, err
		}
	}
	if p.CodeDeploy {
		if err := d.planCodeDeploy(ctx, spec, opts, p); err != nil {
			return nil, err
		}
	}
	if opts.AutoScaling.Requested() {
		asp, err := d.planAutoScaling(ctx, spec.Cluster, spec.Service, opts.AutoScaling)
		if err != nil {
			return nil, err
		}
		p.AutoScaling = asp
		if asp.Missing {
			p.Warnings = append(p.Warnings, "auto scaling flags given but the service has no scalable target; skipped")
		}
	}
	if err := d.validatePlan(ctx, spec, p); err != nil {
		return nil, err
	}
	if !opts.NoWait {
		if err := validateWaitUntil(spec, p, opts.WaitUntil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// describeForPlan returns the service, or nil when it is missing or INACTIVE.
func (d *Deployer) describeForPlan(ctx context.Context, cluster, service string) (*ecstypes.Service, error) {
	out, err := d.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String(cluster),
		Services: []string{service},
		Include:  []ecstypes.ServiceField{ecstypes.ServiceFieldTags},
	})
	if err != nil {
		return nil, fmt.Errorf("describe service %s in cluster %s: %w", service, cluster, err)
	}
	for i := range out.Services {
		s := &out.Services[i]
		switch aws.ToString(s.Status) {
		case "INACTIVE":
			return nil, nil
		case "DRAINING":
			return nil, fmt.Errorf("service %s in cluster %s is DRAINING (being deleted); wait until it is INACTIVE to create it again", service, cluster)
		}
		return s, nil
	}
	return nil, nil
}

func (d *Deployer) planTaskDefinition(ctx context.Context, spec *Spec, opts Options, p *Plan) error {
	family := ""
	if p.CurrentTaskDefinition != "" {
		family = familyOf(p.CurrentTaskDefinition)
	}
	needRender := !(opts.SkipTaskDefinition && p.CurrentTaskDefinition != "") && !(opts.Revision > 0 && family != "")
	if needRender {
		if spec.TaskDefinition == nil {
			return fmt.Errorf("no task definition to deploy: the config has no task_definition")
		}
		in, err := spec.TaskDefinition(ctx)
		if err != nil {
			return err
		}
		p.taskDefInput = in
		family = aws.ToString(in.Family)
	}
	p.TaskDefinitionFamily = family
	switch {
	case opts.Revision > 0:
		ref := fmt.Sprintf("%s:%d", family, opts.Revision)
		td, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		if err != nil {
			return fmt.Errorf("task definition %s (--revision): %w", ref, err)
		}
		p.TaskDefinitionAction, p.TaskDefinitionARN, p.selected = TDSelect, aws.ToString(td.TaskDefinition.TaskDefinitionArn), td.TaskDefinition
	case opts.LatestTaskDefinition || (opts.SkipTaskDefinition && p.CurrentTaskDefinition == ""):
		td, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)})
		if err != nil {
			return fmt.Errorf("newest revision of task definition family %s: %w", family, err)
		}
		p.TaskDefinitionAction, p.TaskDefinitionARN, p.selected = TDSelect, aws.ToString(td.TaskDefinition.TaskDefinitionArn), td.TaskDefinition
	case opts.SkipTaskDefinition:
		p.TaskDefinitionAction, p.TaskDefinitionARN = TDKeep, p.CurrentTaskDefinition
	default:
		arn, err := d.findIdentical(ctx, p.taskDefInput, p.CurrentTaskDefinition, spec.Ignore)
		if err != nil {
			return err
		}
		if arn != "" {
			p.TaskDefinitionAction, p.TaskDefinitionARN = TDReuse, arn
		} else {
			p.TaskDefinitionAction = TDRegister
		}
	}
	return nil
}

// findIdentical returns the ARN of an ACTIVE revision identical to in: the
// family's newest, the one the service runs, then a few older ones.
func (d *Deployer) findIdentical(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, current string, ig normalize.Ignore) (string, error) {
	out, err := d.identicalRevision(ctx, in, current, ig)
	if err != nil || out == nil {
		return "", err
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
}

// identicalRevision is findIdentical's answer as DescribeTaskDefinition gave
// it (with tags), so that a caller needs no second read; nil when none is
// identical.
//
// The older revisions compared are the newest ACTIVE ones below the
// family's newest. They are read by number first (family:N-1, ...), which
// needs no ListTaskDefinitions while they are ACTIVE, as they are unless
// someone deregistered them; at the first one that is not, the family's list
// says which are, as before.
func (d *Deployer) identicalRevision(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, current string, ig normalize.Ignore) (*ecs.DescribeTaskDefinitionOutput, error) {
	family := aws.ToString(in.Family)
	checked := map[string]bool{}
	// check reads ref: active tells whether it is an ACTIVE revision,
	// same whether it is identical to in.
	check := func(ref string) (out *ecs.DescribeTaskDefinitionOutput, active, same bool, err error) {
		out, err = d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
			TaskDefinition: aws.String(ref),
			Include:        []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
		})
		if err != nil {
			if isNotFound(err) {
				return nil, false, false, nil
			}
			return nil, false, false, fmt.Errorf("describe task definition %s: %w", ref, err)
		}
		td := out.TaskDefinition
		checked[shortTD(aws.ToString(td.TaskDefinitionArn))] = true
		if td.Status != ecstypes.TaskDefinitionStatusActive {
			return out, false, false, nil
		}
		return out, true, TaskDefinitionsEqual(in, td, out.Tags, ig), nil
	}
	newest, _, ok, err := check(family)
	if err != nil || ok {
		return newest, err
	}
	if newest == nil {
		return nil, nil // a new family
	}
	if current != "" && familyOf(current) == family && !checked[shortTD(current)] {
		out, _, ok, err := check(current)
		if err != nil || ok {
			return ifSame(out, ok), err
		}
	}
	older := 0 // older revisions compared: reuseLookback-1 at most
	for rev := newest.TaskDefinition.Revision - 1; rev > 0 && older < reuseLookback-1; rev-- {
		ref := fmt.Sprintf("%s:%d", family, rev)
		if checked[ref] {
			continue
		}
		out, active, ok, err := check(ref)
		if err != nil || ok {
			return ifSame(out, ok), err
		}
		if !active {
			return d.identicalListed(ctx, family, older, checked, check)
		}
		older++
	}
	return nil, nil
}

// identicalListed goes on with the family's newest ACTIVE revisions not
// checked yet, as ListTaskDefinitions lists them, until reuseLookback-1
// older ones are compared.
func (d *Deployer) identicalListed(ctx context.Context, family string, older int, checked map[string]bool,
	check func(string) (*ecs.DescribeTaskDefinitionOutput, bool, bool, error)) (*ecs.DescribeTaskDefinitionOutput, error) {
	list, err := d.ECS.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(family),
		Status:       ecstypes.TaskDefinitionStatusActive,
		Sort:         ecstypes.SortOrderDesc,
		MaxResults:   aws.Int32(reuseLookback + 2),
	})
	if err != nil {
		return nil, fmt.Errorf("list task definitions of %s: %w", family, err)
	}
	for _, arn := range list.TaskDefinitionArns {
		if familyOf(arn) != family || checked[shortTD(arn)] {
			continue
		}
		if older++; older >= reuseLookback {
			break
		}
		out, _, ok, err := check(arn)
		if err != nil || ok {
			return ifSame(out, ok), err
		}
	}
	return nil, nil
}

func ifSame(out *ecs.DescribeTaskDefinitionOutput, ok bool) *ecs.DescribeTaskDefinitionOutput {
	if ok {
		return out
	}
	return nil
}

func ifOK(s string, ok bool) string {
	if ok {
		return s
	}
	return ""
}

// familyOf returns the family of an ARN or family:revision.
func familyOf(ref string) string {
	s := shortTD(ref)
	if i := strings.LastIndex(s, ":"); i >= 0 {
		return s[:i]
	}
	return s
}

// desiredCount decides the count UpdateService/CreateService sends: nil
// leaves it unchanged.
func desiredCount(spec *Spec, opts Options, p *Plan) *int32 {
	if p.Daemon {
		return nil
	}
	if opts.Tasks != nil && *opts.Tasks >= 0 {
		return aws.Int32(*opts.Tasks)
	}
	if slices.Contains(spec.Ignore.Fields, "desiredCount") && !p.CreateService {
		return nil
	}
	if spec.ServiceDefinition != nil && spec.ServiceDefinition.DesiredCount != nil {
		return aws.Int32(*spec.ServiceDefinition.DesiredCount)
	}
	if p.CreateService {
		return aws.Int32(0)
	}
	return nil
}

// updatable maps the service definition members UpdateService can change
// (JSON name) to their Go field name: the fields render.ServiceDefinition
// and ecs.UpdateServiceInput share, name and type, found by reflection so a
// member the SDK adds to both is sent without a list to update.
// desiredCount is sent apart (it follows --tasks and ignore).
var updatable = func() map[string]string {
	out := map[string]string{}
	sdt, upt := reflect.TypeFor[render.ServiceDefinition](), reflect.TypeFor[ecs.UpdateServiceInput]()
	for i := range sdt.NumField() {
		f := sdt.Field(i)
		uf, ok := upt.FieldByName(f.Name)
		if !f.IsExported() || !ok || uf.Type != f.Type || f.Name == "DesiredCount" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out[name] = f.Name
	}
	return out
}()

// planUpdate sends the members CompareService finds changed, and only
// those, in the UpdateService input (task definition and count are set by
// Apply; tags go through TagResource).
func planUpdate(spec *Spec, p *Plan) error {
	sd := spec.ServiceDefinition
	rd, err := CompareService(sd, p.live, spec.Ignore)
	if err != nil {
		return err
	}
	up := &ecs.UpdateServiceInput{}
	for _, k := range rd.Members() {
		if k == "desiredCount" || k == "tags" {
			continue
		}
		field, ok := updatable[k]
		if !ok {
			p.Unchangeable = append(p.Unchangeable, k)
			continue
		}
		if err := setChanged(up, k, field, sd, p.live, spec.Ignore.Fields); err != nil {
			return err
		}
		p.Attributes = append(p.Attributes, k)
	}
	sort.Strings(p.Attributes)
	sort.Strings(p.Unchangeable)
	p.update = up
	p.TagsToSet, p.TagsToRemove = tagChanges(sd.Tags, p.live.Tags, spec.Ignore.Tags)
	return nil
}

// setChanged sets member k of up to the desired value: the file's value as
// decoded (zero values included), the API default for a member set to ""
// (which the SDK would not send), the removal value for a member whose
// absence removes it, and the live value of ignored paths inside it.
func setChanged(up *ecs.UpdateServiceInput, k, field string, sd *render.ServiceDefinition, live *ecstypes.Service, ignored []string) error {
	if !sd.Sets(k) {
		return setMember(up, k, absenceRemoves[k])
	}
	dst := reflect.ValueOf(up).Elem().FieldByName(field)
	dst.Set(reflect.ValueOf(sd).Elem().FieldByName(field))
	local, err := apijson.ToMap(sd)
	if err != nil {
		return fmt.Errorf("service definition to JSON: %w", err)
	}
	if emptyString(dst) {
		def, ok := normalize.ServiceDefault(k, local)
		if !ok {
			return fmt.Errorf("service definition: %s is set to \"\", which cannot be sent to ECS; remove it to leave it unchanged", k)
		}
		return setMember(up, k, def)
	}
	if !ignoresUnder(k, ignored) || local[k] == nil {
		return nil
	}
	remote, err := apijson.ToMap(ServiceDefinition(live))
	if err != nil {
		return fmt.Errorf("live service to JSON: %w", err)
	}
	return setMember(up, k, withIgnoredFromLive(k, local[k], remote[k], ignored))
}

func emptyString(v reflect.Value) bool {
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return v.Kind() == reflect.String && v.Len() == 0
}

// ignoresUnder tells whether an ignored path lies inside member.
func ignoresUnder(member string, ignored []string) bool {
	for _, path := range ignored {
		if rest, ok := strings.CutPrefix(path, member); ok && rest != "" && (rest[0] == '.' || rest[0] == '[') {
			return true
		}
	}
	return false
}

// withIgnoredFromLive keeps the live value of ignored nested paths under
// member (e.g. loadBalancers[].targetGroupArn): another tool owns them, so
// the file's value is not sent.
func withIgnoredFromLive(member string, local, live any, ignored []string) any {
	out := deepCopy(local)
	for _, path := range ignored {
		rest, ok := strings.CutPrefix(path, member)
		if !ok || rest == "" || (rest[0] != '.' && rest[0] != '[') {
			continue
		}
		out = copyPath(out, live, strings.TrimPrefix(rest, "."))
	}
	return out
}

// copyPath copies the value at path (a.b, a[].b, [].b) from src into dst.
func copyPath(dst, src any, path string) any {
	if path == "" {
		return deepCopy(src)
	}
	if rest, ok := strings.CutPrefix(path, "[]"); ok {
		dl, _ := dst.([]any)
		sl, _ := src.([]any)
		for i := range dl {
			if i < len(sl) {
				dl[i] = copyPath(dl[i], sl[i], strings.TrimPrefix(rest, "."))
			}
		}
		return dst
	}
	key, rest := path, ""
	if i := strings.IndexAny(path, ".["); i >= 0 {
		key, rest = path[:i], strings.TrimPrefix(path[i:], ".")
	}
	dm, ok := dst.(map[string]any)
	if !ok {
		return dst
	}
	sm, _ := src.(map[string]any)
	sv, has := sm[key]
	if rest == "" {
		if has {
			dm[key] = deepCopy(sv)
		} else {
			delete(dm, key)
		}
		return dm
	}
	if dv, ok := dm[key]; ok {
		dm[key] = copyPath(dv, sv, rest)
	}
	return dm
}

func deepCopy(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

// setMember sets the field of in named by a JSON member name, converting
// the generic value through JSON (SDK structs decode case-insensitively).
func setMember(in any, member string, v any) error {
	rv := reflect.ValueOf(in).Elem()
	f := rv.FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, member) })
	if !f.IsValid() || !f.CanSet() {
		return fmt.Errorf("service attribute %s cannot be sent with %T", member, in)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("service attribute %s: %w", member, err)
	}
	nv := reflect.New(f.Type())
	if err := json.Unmarshal(b, nv.Interface()); err != nil {
		return fmt.Errorf("service attribute %s: %w", member, err)
	}
	f.Set(nv.Elem())
	return nil
}

// planCreate builds the CreateService input from the whole definition.
func planCreate(spec *Spec, p *Plan) error {
	m, err := apijson.ToMap(spec.ServiceDefinition)
	if err != nil {
		return fmt.Errorf("service definition to JSON: %w", err)
	}
	in := &ecs.CreateServiceInput{}
	for k, v := range m {
		switch k {
		case "serviceName", "desiredCount", "taskDefinition", "platformFamily":
			continue
		}
		if err := setMember(in, k, v); err != nil {
			return err
		}
	}
	in.ServiceName = aws.String(spec.Service)
	in.Cluster = aws.String(spec.Cluster)
	p.create = in
	p.Attributes = nil
	return nil
}

// tagChanges compares the file's tags with the service's. A file without
// tags does not manage them; ignored keys are never touched.
func tagChanges(local, live []ecstypes.Tag, ignored []string) (set []ecstypes.Tag, remove []string) {
	if local == nil {
		return nil, nil
	}
	liveMap := map[string]string{}
	for _, t := range live {
		liveMap[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	localKeys := map[string]bool{}
	for _, t := range local {
		k := aws.ToString(t.Key)
		localKeys[k] = true
		if slices.Contains(ignored, k) {
			continue
		}
		if v, ok := liveMap[k]; !ok || v != aws.ToString(t.Value) {
			set = append(set, ecstypes.Tag{Key: aws.String(k), Value: t.Value})
		}
	}
	for k := range liveMap {
		if !localKeys[k] && !slices.Contains(ignored, k) && !strings.HasPrefix(k, "aws:") {
			remove = append(remove, k)
		}
	}
	sort.Strings(remove)
	return set, remove
}
