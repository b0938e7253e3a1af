package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// regionProvider returns an explicit aws provider for another region that
// acts as the same principal as the stack's default provider.
//
// An explicit provider does not read the stack's aws:* configuration
// (https://www.pulumi.com/docs/iac/concepts/resources/providers/#explicit-provider-configuration):
// with only a region it would use the ambient credentials, so a stack that
// reaches its account through aws:assumeRole (as cmd/fleet configures every
// stack) would create the other region's resources in the caller's own
// account. So it carries over every key that decides who the provider is,
// which account it may touch and which endpoints it calls.
func regionProvider(ctx *pulumi.Context, name, region string) (*aws.Provider, error) {
	args, err := sameIdentityArgs(ctx.GetConfig)
	if err != nil {
		return nil, err
	}
	args.Region = pulumi.String(region)
	return aws.NewProvider(ctx, name, args)
}

// sameIdentityArgs reads the identity, account and endpoint keys of the
// stack's aws:* configuration into provider arguments.
func sameIdentityArgs(get func(string) (string, bool)) (*aws.ProviderArgs, error) {
	args := &aws.ProviderArgs{}
	str := func(key string, set func(pulumi.StringInput)) {
		if v, ok := get("aws:" + key); ok && v != "" {
			set(pulumi.String(v))
		}
	}
	secret := func(key string, set func(pulumi.StringInput)) {
		if v, ok := get("aws:" + key); ok && v != "" {
			set(pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput))
		}
	}
	var errs []error
	boolean := func(key string, set func(pulumi.BoolInput)) {
		if v, ok := get("aws:" + key); ok && v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("config aws:%s: invalid value %q; allowed: true or false", key, v))
				return
			}
			set(pulumi.Bool(b))
		}
	}
	decode := func(key string, into any) bool {
		v, ok := get("aws:" + key)
		if !ok || v == "" {
			return false
		}
		if err := json.Unmarshal([]byte(v), into); err != nil {
			errs = append(errs, fmt.Errorf("config aws:%s: invalid value %s: %v", key, v, err))
			return false
		}
		return true
	}

	str("profile", func(v pulumi.StringInput) { args.Profile = v })
	str("stsRegion", func(v pulumi.StringInput) { args.StsRegion = v })
	secret("accessKey", func(v pulumi.StringInput) { args.AccessKey = v })
	secret("secretKey", func(v pulumi.StringInput) { args.SecretKey = v })
	secret("token", func(v pulumi.StringInput) { args.Token = v })
	boolean("skipCredentialsValidation", func(v pulumi.BoolInput) { args.SkipCredentialsValidation = v })
	boolean("skipRequestingAccountId", func(v pulumi.BoolInput) { args.SkipRequestingAccountId = v })
	boolean("skipMetadataApiCheck", func(v pulumi.BoolInput) { args.SkipMetadataApiCheck = v })
	boolean("skipRegionValidation", func(v pulumi.BoolInput) { args.SkipRegionValidation = v })

	var ar struct {
		RoleArn           string            `json:"roleArn"`
		SessionName       string            `json:"sessionName"`
		ExternalID        string            `json:"externalId"`
		Duration          string            `json:"duration"`
		Policy            string            `json:"policy"`
		PolicyArns        []string          `json:"policyArns"`
		SourceIdentity    string            `json:"sourceIdentity"`
		Tags              map[string]string `json:"tags"`
		TransitiveTagKeys []string          `json:"transitiveTagKeys"`
	}
	if decode("assumeRole", &ar) {
		a := aws.ProviderAssumeRoleArgs{}
		opt := func(s string) pulumi.StringPtrInput {
			if s == "" {
				return nil
			}
			return pulumi.StringPtr(s)
		}
		a.RoleArn, a.SessionName, a.ExternalId = opt(ar.RoleArn), opt(ar.SessionName), opt(ar.ExternalID)
		a.Duration, a.Policy, a.SourceIdentity = opt(ar.Duration), opt(ar.Policy), opt(ar.SourceIdentity)
		if len(ar.PolicyArns) > 0 {
			a.PolicyArns = pulumi.ToStringArray(ar.PolicyArns)
		}
		if len(ar.Tags) > 0 {
			a.Tags = pulumi.ToStringMap(ar.Tags)
		}
		if len(ar.TransitiveTagKeys) > 0 {
			a.TransitiveTagKeys = pulumi.ToStringArray(ar.TransitiveTagKeys)
		}
		args.AssumeRole = a
	}
	var ids []string
	if decode("allowedAccountIds", &ids) {
		args.AllowedAccountIds = pulumi.ToStringArray(ids)
	}
	ids = nil
	if decode("forbiddenAccountIds", &ids) {
		args.ForbiddenAccountIds = pulumi.ToStringArray(ids)
	}
	var files []string
	if decode("sharedConfigFiles", &files) {
		args.SharedConfigFiles = pulumi.ToStringArray(files)
	}
	files = nil
	if decode("sharedCredentialsFiles", &files) {
		args.SharedCredentialsFiles = pulumi.ToStringArray(files)
	}
	// endpoints: a list of objects, service name -> URL (e.g. [{"ec2":
	// "http://localhost:4566"}]); the provider's ProviderEndpoint has one
	// field per service, which encoding/json matches case-insensitively.
	var endpoints []aws.ProviderEndpoint
	if decode("endpoints", &endpoints) {
		args.Endpoints = endpointArray(endpoints)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return args, nil
}

// endpointArray turns plain endpoint objects into provider inputs: each set
// service field (*string) of aws.ProviderEndpoint becomes the field of the
// same name of aws.ProviderEndpointArgs.
func endpointArray(plain []aws.ProviderEndpoint) aws.ProviderEndpointArray {
	var out aws.ProviderEndpointArray
	for _, e := range plain {
		var in aws.ProviderEndpointArgs
		src, dst := reflect.ValueOf(e), reflect.ValueOf(&in).Elem()
		for i := 0; i < src.NumField(); i++ {
			f := src.Field(i)
			if f.Kind() != reflect.Pointer || f.IsNil() || f.Elem().Kind() != reflect.String {
				continue
			}
			if d := dst.FieldByName(src.Type().Field(i).Name); d.IsValid() && d.CanSet() {
				d.Set(reflect.ValueOf(pulumi.StringPtr(f.Elem().String())))
			}
		}
		out = append(out, in)
	}
	return out
}
