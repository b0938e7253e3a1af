package stackfile

import (
	"strings"
	"testing"
)

// An encrypted value of a SecretKeys key is planned with the stand-in;
// an encrypted value of any other key is still an error.
func TestEncryptedSecretKeysArePlannedWithAStandIn(t *testing.T) {
	p := &Project{Name: "vpc-flow-logs", Config: map[string]ConfigKey{
		"slackWebhookUrl": {Type: "string", Default: ""},
		"trafficType":     {Type: "string", Default: "ALL"},
	}}
	secure := map[string]any{"secure": "AAABAHb5ciphertext"}
	cfg, err := Config(p, &Stack{Config: map[string]any{"vpc-flow-logs:slackWebhookUrl": secure}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg["vpc-flow-logs:slackWebhookUrl"] != OfflineSecretPlaceholder || strings.Contains(cfg["vpc-flow-logs:slackWebhookUrl"], "AAAB") {
		t.Errorf("secret key planned as %q", cfg["vpc-flow-logs:slackWebhookUrl"])
	}
	if _, err := Config(p, &Stack{Config: map[string]any{"vpc-flow-logs:trafficType": secure}}); err == nil {
		t.Error("an encrypted value of a key outside SecretKeys is accepted")
	}
}
