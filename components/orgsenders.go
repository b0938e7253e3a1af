package components

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// OrgSenders are the accounts a central stack receives flow logs and alarm
// state changes from: every account of one AWS Organization, or an explicit
// list where no organization exists (docs/organization.md). Exactly one of
// the two is set.
type OrgSenders struct {
	// OrganizationID (o-...) admits every account of the organization;
	// the policies then name the organization once, so their size does not
	// grow with the number of members.
	OrganizationID string
	// AccountIDs admit exactly these 12-digit accounts.
	AccountIDs []string
}

var (
	orgIDRe     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
)

func (s OrgSenders) validate(field string) error {
	switch {
	case s.OrganizationID != "" && len(s.AccountIDs) > 0:
		return fmt.Errorf("%s: set OrganizationID or AccountIDs, not both", field)
	case s.OrganizationID == "" && len(s.AccountIDs) == 0:
		return fmt.Errorf("%s: OrganizationID or AccountIDs is required (who may send)", field)
	case s.OrganizationID != "" && !orgIDRe.MatchString(s.OrganizationID):
		return fmt.Errorf("%s: %q is not an AWS Organizations id (o-...)", field, s.OrganizationID)
	}
	var errs []error
	for i, id := range s.AccountIDs {
		if !accountIDRe.MatchString(id) {
			errs = append(errs, fmt.Errorf("%s.AccountIDs[%d]: %q is not a 12-digit account id", field, i, id))
		}
		if slices.Index(s.AccountIDs, id) != i {
			errs = append(errs, fmt.Errorf("%s.AccountIDs[%d]: %q is listed twice", field, i, id))
		}
	}
	return errors.Join(errs...)
}

// accountList is the account ids as a policy value.
func (s OrgSenders) accountList() []any {
	out := make([]any, len(s.AccountIDs))
	for i, id := range s.AccountIDs {
		out[i] = id
	}
	return out
}
