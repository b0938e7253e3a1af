// Package flowlog is the single catalog of Amazon VPC Flow Log fields.
//
// Everything in this project that depends on the record layout is derived
// from Catalog: the flow log's LogFormat string, the Glue/Athena columns, the
// OpenSearch index mapping, the CloudWatch Logs metric-filter patterns and the
// record parser used by the Lambda functions. Changing the field list in one
// place changes all of them together, so they cannot drift apart.
package flowlog

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is how a field's text is typed when a record is parsed.
type Kind int

const (
	// KindString is free text such as an ENI id or an action.
	KindString Kind = iota
	// KindInt32 is a small integer such as a port, a protocol number or TCP flags.
	KindInt32
	// KindInt64 is a counter such as bytes or packets.
	KindInt64
	// KindTime is a Unix timestamp in seconds (start, end).
	KindTime
	// KindIP is an IPv4 or IPv6 address.
	KindIP
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindInt32:
		return "int32"
	case KindInt64:
		return "int64"
	case KindTime:
		return "time"
	case KindIP:
		return "ip"
	default:
		return "string"
	}
}

// Field is one VPC Flow Log field as AWS documents it.
type Field struct {
	// Name is the field's name in the flow log format, e.g. "pkt-srcaddr".
	Name string
	// Version is the flow log version that introduced the field.
	Version int
	// Description is a one-line summary of the AWS documentation.
	Description string
	// Kind says how the parser types the field's value.
	Kind Kind
	// AthenaType is the Glue/Athena column type (Parquet types as AWS documents them).
	AthenaType string
	// OpenSearchType is the field's type in the OpenSearch index mapping.
	OpenSearchType string
}

// Column is the field's name as a Glue column, metric-filter field or JSON key:
// dashes become underscores ("log-status" -> "log_status").
func (f Field) Column() string { return strings.ReplaceAll(f.Name, "-", "_") }

// IsNumeric reports whether the field holds a number (or a timestamp).
func (f Field) IsNumeric() bool {
	return f.Kind == KindInt32 || f.Kind == KindInt64 || f.Kind == KindTime
}

// DefaultMaxVersion is the highest field version recorded by default: all
// fields of versions 2-5 apply to VPC flow logs.
const DefaultMaxVersion = 5

func str(name string, v int, desc string) Field {
	return Field{Name: name, Version: v, Description: desc, Kind: KindString, AthenaType: "string", OpenSearchType: "keyword"}
}

func i32(name string, v int, desc string) Field {
	return Field{Name: name, Version: v, Description: desc, Kind: KindInt32, AthenaType: "int", OpenSearchType: "integer"}
}

func i64(name string, v int, desc string) Field {
	return Field{Name: name, Version: v, Description: desc, Kind: KindInt64, AthenaType: "bigint", OpenSearchType: "long"}
}

func tim(name string, v int, desc string) Field {
	return Field{Name: name, Version: v, Description: desc, Kind: KindTime, AthenaType: "bigint", OpenSearchType: "date"}
}

func ip(name string, v int, desc string) Field {
	return Field{Name: name, Version: v, Description: desc, Kind: KindIP, AthenaType: "string", OpenSearchType: "ip"}
}

// Catalog lists every VPC Flow Log field in the order of AWS's "Available
// fields" table. The default format is the version 2 fields in this order.
var Catalog = []Field{
	i32("version", 2, "The VPC Flow Logs version: 2 for the default format, otherwise the highest version among the specified fields."),
	str("account-id", 2, "The AWS account ID of the owner of the source network interface."),
	str("interface-id", 2, "The ID of the network interface for which the traffic is recorded."),
	ip("srcaddr", 2, "Source address of incoming traffic, or the interface's address for outgoing traffic."),
	ip("dstaddr", 2, "Destination address of outgoing traffic, or the interface's address for incoming traffic."),
	i32("srcport", 2, "The source port of the traffic."),
	i32("dstport", 2, "The destination port of the traffic."),
	i32("protocol", 2, "The IANA protocol number of the traffic (6 = TCP, 17 = UDP, 1 = ICMP)."),
	i64("packets", 2, "The number of packets transferred during the flow."),
	i64("bytes", 2, "The number of bytes transferred during the flow."),
	tim("start", 2, "The time, in Unix seconds, when the first packet of the flow was received within the aggregation interval."),
	tim("end", 2, "The time, in Unix seconds, when the last packet of the flow was received within the aggregation interval."),
	str("action", 2, "ACCEPT or REJECT: whether security groups and network ACLs allowed the traffic."),
	str("log-status", 2, "OK, NODATA (no traffic in the interval) or SKIPDATA (records were skipped)."),
	str("vpc-id", 3, "The ID of the VPC that contains the network interface."),
	str("subnet-id", 3, "The ID of the subnet that contains the network interface."),
	str("instance-id", 3, "The ID of the instance associated with the network interface, if the instance is yours."),
	i32("tcp-flags", 3, "The bitmask of TCP flags seen in the flow (FIN 1, SYN 2, RST 4, SYN-ACK 18)."),
	str("type", 3, "The type of traffic: IPv4, IPv6 or EFA."),
	ip("pkt-srcaddr", 3, "The packet-level (original) source IP address of the traffic."),
	ip("pkt-dstaddr", 3, "The packet-level (original) destination IP address of the traffic."),
	str("region", 4, "The Region that contains the network interface."),
	str("az-id", 4, "The ID of the Availability Zone that contains the network interface."),
	str("sublocation-type", 4, "The type of sublocation: wavelength, outpost or localzone."),
	str("sublocation-id", 4, "The ID of the sublocation that contains the network interface."),
	str("pkt-src-aws-service", 5, "The name of the subset of IP address ranges for pkt-srcaddr, if it belongs to an AWS service."),
	str("pkt-dst-aws-service", 5, "The name of the subset of IP address ranges for pkt-dstaddr, if it belongs to an AWS service."),
	str("flow-direction", 5, "The direction of the flow with respect to the interface: ingress or egress."),
	i32("traffic-path", 5, "The path egress traffic takes to the destination (1-8, e.g. 1 = another resource in the same VPC)."),
	str("ecs-cluster-arn", 7, "The ARN of the ECS cluster, if the traffic is from a running ECS task."),
	str("ecs-cluster-name", 7, "The name of the ECS cluster, if the traffic is from a running ECS task."),
	str("ecs-container-instance-arn", 7, "The ARN of the ECS container instance, if the task runs on EC2."),
	str("ecs-container-instance-id", 7, "The ID of the ECS container instance, if the task runs on EC2."),
	str("ecs-container-id", 7, "The Docker runtime ID of the first container in the task."),
	str("ecs-second-container-id", 7, "The Docker runtime ID of the second container in the task."),
	str("ecs-service-name", 7, "The name of the ECS service, if the task was started by a service."),
	str("ecs-task-definition-arn", 7, "The ARN of the ECS task definition."),
	str("ecs-task-arn", 7, "The ARN of the ECS task."),
	str("ecs-task-id", 7, "The ID of the ECS task."),
	str("reject-reason", 8, "Why traffic was rejected (e.g. BPA for VPC Block Public Access); '-' otherwise."),
}

var byName = func() map[string]int {
	m := make(map[string]int, len(Catalog))
	for i, f := range Catalog {
		m[f.Name] = i
	}
	return m
}()

// Lookup returns the catalog field with the given name ("pkt-srcaddr").
func Lookup(name string) (Field, bool) {
	i, ok := byName[name]
	if !ok {
		return Field{}, false
	}
	return Catalog[i], true
}

// Names returns the names of all catalog fields, in catalog order.
func Names() []string {
	out := make([]string, len(Catalog))
	for i, f := range Catalog {
		out[i] = f.Name
	}
	return out
}

// DefaultFields are the fields recorded when the stack config names none:
// every field of versions 2-5, in catalog order.
func DefaultFields() []Field {
	var out []Field
	for _, f := range Catalog {
		if f.Version <= DefaultMaxVersion {
			out = append(out, f)
		}
	}
	return out
}

// V2Fields is AWS's default flow log format (the version 2 fields).
func V2Fields() []Field {
	var out []Field
	for _, f := range Catalog {
		if f.Version == 2 {
			out = append(out, f)
		}
	}
	return out
}

// UnknownFieldError names a field that is not in the catalog.
type UnknownFieldError struct{ Name string }

func (e *UnknownFieldError) Error() string {
	return fmt.Sprintf("unknown flow log field %q; allowed: %s", e.Name, strings.Join(Names(), ", "))
}

// FieldsByName resolves names to catalog fields, keeping the caller's order.
// Unknown and repeated names are errors.
func FieldsByName(names []string) ([]Field, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("at least one flow log field is required")
	}
	seen := make(map[string]bool, len(names))
	out := make([]Field, 0, len(names))
	for _, n := range names {
		f, ok := Lookup(n)
		if !ok {
			return nil, &UnknownFieldError{Name: n}
		}
		if seen[n] {
			return nil, fmt.Errorf("flow log field %q is listed twice", n)
		}
		seen[n] = true
		out = append(out, f)
	}
	return out, nil
}

// MaxVersion is the flow log version of records with these fields: the highest
// version among them (AWS writes it into the "version" field).
func MaxVersion(fields []Field) int {
	v := 0
	for _, f := range fields {
		if f.Version > v {
			v = f.Version
		}
	}
	return v
}

// LogFormat renders the flow log's custom format string, e.g.
// "${version} ${account-id} ${interface-id}".
func LogFormat(fields []Field) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("${")
		b.WriteString(f.Name)
		b.WriteByte('}')
	}
	return b.String()
}

// ParseLogFormat is the inverse of LogFormat: it resolves a format string such
// as "${version} ${srcaddr}" to catalog fields. The Lambda functions receive
// the format through their environment and parse records with it.
func ParseLogFormat(format string) ([]Field, error) {
	toks := strings.Fields(format)
	names := make([]string, len(toks))
	for i, t := range toks {
		if !strings.HasPrefix(t, "${") || !strings.HasSuffix(t, "}") || len(t) < 4 {
			return nil, fmt.Errorf("log format token %q is not of the form ${field}", t)
		}
		names[i] = t[2 : len(t)-1]
	}
	return FieldsByName(names)
}

// Column is a Glue table column derived from a field.
type Column struct {
	Name    string
	Type    string
	Comment string
}

// GlueColumns returns the table columns for the fields, in the same order as
// the log format. With plainText every column is typed from the catalog too:
// Athena's text SerDe converts the space-delimited values ("-" becomes NULL
// for numeric columns).
func GlueColumns(fields []Field) []Column {
	out := make([]Column, len(fields))
	for i, f := range fields {
		out[i] = Column{Name: f.Column(), Type: f.AthenaType, Comment: f.Description}
	}
	return out
}

// OpenSearchProperties returns the index mapping properties for the fields,
// keyed by column name, e.g. {"srcaddr": {"type": "ip"}}. Dates are epoch seconds.
func OpenSearchProperties(fields []Field) map[string]map[string]string {
	out := make(map[string]map[string]string, len(fields))
	for _, f := range fields {
		p := map[string]string{"type": f.OpenSearchType}
		if f.Kind == KindTime {
			p["format"] = "epoch_second"
		}
		out[f.Column()] = p
	}
	return out
}

// SortedColumns returns the column names of fields in lexical order; handy for
// stable output.
func SortedColumns(fields []Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Column()
	}
	sort.Strings(out)
	return out
}
