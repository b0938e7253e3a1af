package awsschema

import "testing"

func TestTaggable(t *testing.T) {
	for token, want := range map[string]bool{
		"aws:glue/catalogDatabase:CatalogDatabase":                   true,
		"aws:s3/bucketV2:BucketV2":                                   true,
		"aws:sqs/queue:Queue":                                        true,
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":     false,
		"aws:iam/rolePolicy:RolePolicy":                              false,
		"aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": false,
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": false,
	} {
		got, err := Taggable(token)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Taggable(%s) = %v, want %v", token, got, want)
		}
	}
	for _, bad := range []string{"vpcflowlogs:index:AthenaTable", "aws:glue/noSuchThing:NoSuchThing", "aws:glue/catalogTable:CatalogDatabase"} {
		if _, err := Taggable(bad); err == nil {
			t.Errorf("Taggable(%s) did not fail", bad)
		}
	}
}
