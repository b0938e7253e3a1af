package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
)

// Handler is the bootstrap function. It implements lambda.Handler: the
// event is an objects.Input, the response a Summary.
type Handler struct {
	Applier *Applier
	Log     *slog.Logger
}

// Summary is the function's response: the Apply result, the input it was
// built from and the time taken. The Pulumi program's aws.lambda.Invocation
// exposes it as its result.
type Summary struct {
	Result
	IndexPrefix   string `json:"indexPrefix"`
	RetentionDays int    `json:"retentionDays"`
	Fields        string `json:"fields"`
	// The access fields of the input (no secret value).
	WriterBackendRoles      []string `json:"writerBackendRoles,omitempty"`
	ReaderBackendRoles      []string `json:"readerBackendRoles,omitempty"`
	DashboardsUserSecretArn string   `json:"dashboardsUserSecretArn,omitempty"`
	MasterUserSecretArn     string   `json:"masterUserSecretArn,omitempty"`
	AdminBackendRoles       []string `json:"adminBackendRoles,omitempty"`
	// Skipped says why nothing was applied (a delete in the AWS
	// provider's CRUD lifecycle mode), if so.
	Skipped    string `json:"skipped,omitempty"`
	DurationMS int64  `json:"durationMs"`
}

// event is the raw event: the input, plus the "tf" key the AWS provider
// adds in CRUD lifecycle mode.
type event struct {
	objects.Input
	TF *struct {
		Action string `json:"action"`
	} `json:"tf,omitempty"`
}

// Invoke implements lambda.Handler.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("the bootstrap event is not an input object: %w", err)
	}
	if ev.TF != nil && ev.TF.Action == "delete" {
		// The objects stay: deleting the stack deletes the domain.
		return json.Marshal(Summary{Skipped: "delete: objects are left in place", IndexPrefix: ev.IndexPrefix})
	}
	s, err := h.Handle(ctx, ev.Input)
	if err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// Handle builds the objects for in and applies them.
func (h *Handler) Handle(ctx context.Context, in objects.Input) (Summary, error) {
	began := time.Now()
	o, err := objects.Build(in)
	if err != nil {
		return Summary{}, err
	}
	if in.Hash != "" && in.Hash != o.Hash {
		return Summary{}, fmt.Errorf("the input's hash %s is not the hash %s of the objects this function builds: the function's code and the Pulumi program are of different versions", in.Hash, o.Hash)
	}
	s := Summary{IndexPrefix: o.Input.IndexPrefix, RetentionDays: o.Input.RetentionDays, Fields: o.Input.Fields,
		WriterBackendRoles: o.Input.WriterBackendRoles, ReaderBackendRoles: o.Input.ReaderBackendRoles, DashboardsUserSecretArn: o.Input.DashboardsUserSecretArn,
		MasterUserSecretArn: o.Input.MasterUserSecretArn, AdminBackendRoles: o.Input.AdminBackendRoles}
	s.Result, err = h.Applier.Apply(ctx, o)
	s.DurationMS = time.Since(began).Milliseconds()
	if err != nil {
		h.logger().Error("bootstrap failed", "summary", s, "error", err)
		return s, err
	}
	h.logger().Info("bootstrap applied", "summary", s)
	return s, nil
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
