// Package athenaqueries holds the saved Athena queries over the flow-log
// table: the mission's two and the AWS console's predefined set. Each query
// names the catalog columns it needs; a query is only deployed when the flow
// log records all of them, so no saved query can fail on a missing column.
package athenaqueries

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// Query is one saved Athena query template. In SQL, {{table}} is replaced by
// the fully qualified table and {{window}} by a partition predicate (the last
// 24 hours), so every query prunes partitions and scans little.
type Query struct {
	Name        string
	Description string
	Needs       []string // catalog field names the query reads
	SQL         string
}

// All lists every query, mission queries first.
var All = []Query{
	{
		Name:        "rejected-tcp-by-source",
		Description: "REJECTed TCP flows by source address, with the day of week (mission query).",
		Needs:       []string{"srcaddr", "protocol", "action", "start"},
		SQL: `SELECT day_of_week(from_unixtime(start)) AS day_of_week, srcaddr, count(*) AS flows
FROM {{table}}
WHERE action = 'REJECT' AND protocol = 6 AND {{window}}
GROUP BY 1, 2
ORDER BY flows DESC
LIMIT 100`,
	},
	{
		Name:        "top-source-ports-10-0",
		Description: "Top source ports for sources in 10.0.0.0/16 (mission query).",
		Needs:       []string{"srcaddr", "srcport"},
		SQL: `SELECT srcport, count(*) AS flows
FROM {{table}}
WHERE srcaddr LIKE '10.0.%' AND {{window}}
GROUP BY srcport
ORDER BY flows DESC
LIMIT 10`,
	},
	{
		Name:        "accepted-traffic",
		Description: "Accepted traffic: day of week, interface, source address, action, protocol.",
		Needs:       []string{"start", "interface-id", "srcaddr", "action", "protocol"},
		SQL: `SELECT day_of_week(from_unixtime(start)) AS day_of_week, interface_id, srcaddr, action, protocol
FROM {{table}}
WHERE action = 'ACCEPT' AND {{window}}
LIMIT 100`,
	},
	{
		Name:        "admin-port-traffic",
		Description: "Traffic to administrative ports (22 SSH, 3389 RDP).",
		Needs:       []string{"srcaddr", "dstaddr", "dstport", "protocol", "action"},
		SQL: `SELECT srcaddr, dstaddr, dstport, action, count(*) AS flows
FROM {{table}}
WHERE dstport IN (22, 3389) AND protocol = 6 AND {{window}}
GROUP BY 1, 2, 3, 4
ORDER BY flows DESC
LIMIT 100`,
	},
	{
		Name:        "ipv4-bytes",
		Description: "Bytes of IPv4 traffic by source and destination.",
		Needs:       []string{"type", "srcaddr", "dstaddr", "bytes"},
		SQL: `SELECT srcaddr, dstaddr, sum(bytes) AS total_bytes
FROM {{table}}
WHERE type = 'IPv4' AND {{window}}
GROUP BY 1, 2
ORDER BY total_bytes DESC
LIMIT 100`,
	},
	{
		Name:        "ipv6-bytes",
		Description: "Bytes of IPv6 traffic by source and destination.",
		Needs:       []string{"type", "srcaddr", "dstaddr", "bytes"},
		SQL: `SELECT srcaddr, dstaddr, sum(bytes) AS total_bytes
FROM {{table}}
WHERE type = 'IPv6' AND {{window}}
GROUP BY 1, 2
ORDER BY total_bytes DESC
LIMIT 100`,
	},
	{
		Name:        "rejected-tcp-traffic",
		Description: "Rejected TCP traffic: interface, source, destination, ports.",
		Needs:       []string{"interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action"},
		SQL: `SELECT interface_id, srcaddr, dstaddr, srcport, dstport
FROM {{table}}
WHERE action = 'REJECT' AND protocol = 6 AND {{window}}
LIMIT 100`,
	},
	{
		Name:        "rejected-traffic",
		Description: "Rejected traffic of any protocol.",
		Needs:       []string{"interface-id", "srcaddr", "dstaddr", "dstport", "protocol", "action"},
		SQL: `SELECT interface_id, srcaddr, dstaddr, dstport, protocol
FROM {{table}}
WHERE action = 'REJECT' AND {{window}}
LIMIT 100`,
	},
	{
		Name:        "ssh-rdp-traffic",
		Description: "SSH (22) and RDP (3389) flows with their action.",
		Needs:       []string{"srcaddr", "dstaddr", "dstport", "action"},
		SQL: `SELECT srcaddr, dstaddr, dstport, action, count(*) AS flows
FROM {{table}}
WHERE dstport IN (22, 3389) AND {{window}}
GROUP BY 1, 2, 3, 4
ORDER BY flows DESC
LIMIT 100`,
	},
	{
		Name:        "top-talkers",
		Description: "Top 10 source/destination pairs by bytes.",
		Needs:       []string{"srcaddr", "dstaddr", "bytes"},
		SQL: `SELECT srcaddr, dstaddr, sum(bytes) AS total_bytes
FROM {{table}}
WHERE {{window}}
GROUP BY 1, 2
ORDER BY total_bytes DESC
LIMIT 10`,
	},
	{
		Name:        "top-talkers-packet-level",
		Description: "Top 10 packet-level (original) source/destination pairs by bytes, seen through NAT and load balancers.",
		Needs:       []string{"pkt-srcaddr", "pkt-dstaddr", "bytes"},
		SQL: `SELECT pkt_srcaddr, pkt_dstaddr, sum(bytes) AS total_bytes
FROM {{table}}
WHERE {{window}}
GROUP BY 1, 2
ORDER BY total_bytes DESC
LIMIT 10`,
	},
	{
		Name:        "top-talking-instances",
		Description: "Top 10 instances by bytes.",
		Needs:       []string{"instance-id", "bytes"},
		SQL: `SELECT instance_id, sum(bytes) AS total_bytes
FROM {{table}}
WHERE instance_id <> '-' AND instance_id IS NOT NULL AND {{window}}
GROUP BY 1
ORDER BY total_bytes DESC
LIMIT 10`,
	},
	{
		Name:        "top-talking-subnets",
		Description: "Top 10 subnets by bytes.",
		Needs:       []string{"subnet-id", "bytes"},
		SQL: `SELECT subnet_id, sum(bytes) AS total_bytes
FROM {{table}}
WHERE {{window}}
GROUP BY 1
ORDER BY total_bytes DESC
LIMIT 10`,
	},
	{
		Name:        "top-tcp-for-source",
		Description: "Top TCP destinations of one source address (edit the address).",
		Needs:       []string{"srcaddr", "dstaddr", "dstport", "protocol", "bytes"},
		SQL: `SELECT dstaddr, dstport, sum(bytes) AS total_bytes, count(*) AS flows
FROM {{table}}
WHERE srcaddr = '10.0.0.155' AND protocol = 6 AND {{window}}
GROUP BY 1, 2
ORDER BY total_bytes DESC
LIMIT 10`,
	},
	{
		Name:        "total-bytes-transferred",
		Description: "Total bytes and packets transferred per interface.",
		Needs:       []string{"interface-id", "bytes", "packets"},
		SQL: `SELECT interface_id, sum(bytes) AS total_bytes, sum(packets) AS total_packets
FROM {{table}}
WHERE {{window}}
GROUP BY 1
ORDER BY total_bytes DESC
LIMIT 100`,
	},
	{
		Name:        "traffic-from-source",
		Description: "All flows from one source address (edit the address).",
		Needs:       []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "bytes"},
		SQL: `SELECT srcaddr, dstaddr, srcport, dstport, protocol, action, bytes
FROM {{table}}
WHERE srcaddr = '10.0.0.155' AND {{window}}
LIMIT 100`,
	},
	{
		Name:        "traffic-to-destination",
		Description: "All flows to one destination address (edit the address).",
		Needs:       []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "bytes"},
		SQL: `SELECT srcaddr, dstaddr, srcport, dstport, protocol, action, bytes
FROM {{table}}
WHERE dstaddr = '10.0.0.155' AND {{window}}
LIMIT 100`,
	},
}

// PartitionColumn is the one projected partition column of every flow-log
// table: a string holding the S3 prefix of one hour, e.g.
// "year=2026/month=12/day=02/hour=05" (components.AthenaTable projects it as
// a date ending at NOW). In queries it is a string: compare it with strings
// in this format, which sort in time order.
const PartitionColumn = "datehour"

// PartitionSQLFormat renders a timestamp as a PartitionColumn value with
// Athena's date_format (MySQL specifiers; other characters are literal):
// https://trino.io/docs/current/functions/datetime.html#mysql-date-functions
const PartitionSQLFormat = "year=%Y/month=%m/day=%d/hour=%H"

// WindowHours is how far back the saved queries look.
const WindowHours = 24

// Window is the partition predicate that replaces {{window}}: the partitions
// of the last WindowHours hours (UTC, the time zone of Athena sessions and of
// the S3 prefixes). Athena computes the bound once per query and projects
// only the partitions at or after it.
var Window = fmt.Sprintf("%s >= date_format(current_timestamp - interval '%d' hour, '%s')",
	PartitionColumn, WindowHours, PartitionSQLFormat)

// Applicable returns the queries whose fields are all recorded.
func Applicable(fields []flowlog.Field) []Query {
	var out []Query
	for _, q := range All {
		if q.applies(fields) {
			out = append(out, q)
		}
	}
	return out
}

// ByName returns the named query.
func ByName(name string) (Query, bool) {
	i := slices.IndexFunc(All, func(q Query) bool { return q.Name == name })
	if i < 0 {
		return Query{}, false
	}
	return All[i], true
}

func (q Query) applies(fields []flowlog.Field) bool {
	for _, n := range q.Needs {
		if !slices.ContainsFunc(fields, func(f flowlog.Field) bool { return f.Name == n }) {
			return false
		}
	}
	return true
}

// Render fills in the table (quoted "database"."table") and the window.
func (q Query) Render(database, table string) string { return q.RenderScoped(database, table, "") }

// RenderScoped is Render with scope, a further partition predicate, added
// to the window ("" adds nothing): a central table whose account partition
// Athena cannot enumerate needs every query to name the account
// (SourceAccountParameter).
func (q Query) RenderScoped(database, table, scope string) string {
	window := Window
	if scope != "" {
		window += " AND " + scope
	}
	r := strings.NewReplacer(
		"{{table}}", `"`+database+`"."`+table+`"`,
		"{{window}}", window,
	)
	return r.Replace(q.SQL)
}

// SourceAccountColumn and SourceRegionColumn are the partition columns of a
// central table (one bucket, every member's account and region): the
// account and region a flow log delivered from.
const (
	SourceAccountColumn = "source_account"
	SourceRegionColumn  = "source_region"
)

// SourceAccountParameter is the scope of the saved queries over a central
// table of an organization: its account partition is injected (the
// accounts are not listed), and Athena runs a query on an injected
// partition only if the query names its values
// (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html).
// The "?" is an execution parameter: the Athena console asks for the
// account when the saved query runs
// (https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements-querying-using-execution-parameters.html).
var SourceAccountParameter = SourceAccountColumn + " = ?"

// SourceAccountParameterHint ends the description of every saved query
// scoped by SourceAccountParameter. Athena reads an execution parameter as
// SQL, so a string value needs its single quotes: without them the account
// id is a number, which Athena will not compare with the string column
// ("To treat SQL execution parameters as strings, they must be enclosed in
// single quotes rather than double quotes",
// https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html).
const SourceAccountParameterHint = "When Athena asks for the parameter, enter the account id in single quotes, e.g. '111111111111'."
