package awsemu

// Placeholders so the package builds while the services are written. Each
// service's author deletes its line here when adding its own file.
type ecsService struct{}

func newECSService(e *Emulator) *ecsService { return &ecsService{} }

type ecrService struct{}

func newECRService(e *Emulator) *ecrService { return &ecrService{} }

type iamService struct{}

func newIAMService(e *Emulator) *iamService { return &iamService{} }

type stsService struct{}

func newSTSService(e *Emulator) *stsService { return &stsService{} }

type ssmService struct{}

func newSSMService(e *Emulator) *ssmService { return &ssmService{} }

type secretsService struct{}

func newSecretsService(e *Emulator) *secretsService { return &secretsService{} }

type logsService struct{}

func newLogsService(e *Emulator) *logsService { return &logsService{} }

type elbService struct{}

func newELBService(e *Emulator) *elbService { return &elbService{} }

type autoScalingService struct{}

func newAutoScalingService(e *Emulator) *autoScalingService { return &autoScalingService{} }

type cfnService struct{}

func newCFNService(e *Emulator) *cfnService { return &cfnService{} }
