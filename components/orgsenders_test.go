package components

import (
	"strings"
	"testing"
)

// Exactly one of OrganizationID and AccountIDs admits the senders: an
// organization id of the o- form (AWS Organizations' id pattern,
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html)
// or distinct 12-digit account ids; every error names the field.
func TestOrgSendersValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		senders OrgSenders
		want    string // "" when valid
	}{
		{"organization", OrgSenders{OrganizationID: "o-abcdefghij"}, ""},
		{"longest organization id", OrgSenders{OrganizationID: "o-" + strings.Repeat("a", 32)}, ""},
		{"one account", OrgSenders{AccountIDs: []string{"123456789012"}}, ""},
		{"accounts", OrgSenders{AccountIDs: []string{"123456789012", "111122223333"}}, ""},
		{"both", OrgSenders{OrganizationID: "o-abcdefghij", AccountIDs: []string{"123456789012"}}, "Senders: set OrganizationID or AccountIDs, not both"},
		{"neither", OrgSenders{}, "Senders: OrganizationID or AccountIDs is required"},
		{"empty account list", OrgSenders{AccountIDs: []string{}}, "Senders: OrganizationID or AccountIDs is required"},
		{"not an organization id", OrgSenders{OrganizationID: "r-abcdefghij"}, `Senders: "r-abcdefghij" is not an AWS Organizations id`},
		{"organization id too short", OrgSenders{OrganizationID: "o-abcdefghi"}, `Senders: "o-abcdefghi" is not an AWS Organizations id`},
		{"account of 11 digits", OrgSenders{AccountIDs: []string{"123456789012", "12345678901"}}, `Senders.AccountIDs[1]: "12345678901" is not a 12-digit account id`},
		{"account twice", OrgSenders{AccountIDs: []string{"123456789012", "111122223333", "123456789012"}}, `Senders.AccountIDs[2]: "123456789012" is listed twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.senders.validate("Senders")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
			// Each bad input is one error: an account listed twice is
			// reported at its second place only.
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("%d errors, want one: %v", n, err)
			}
		})
	}
}
