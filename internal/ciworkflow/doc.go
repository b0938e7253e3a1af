// Package ciworkflow holds the tests that keep .github/workflows in step
// with the repository: the pull-request workflow plans and previews every
// Pulumi.<stack>.yaml, whatever stack files a commit adds or removes.
package ciworkflow
