// Package webhook is kapi's MutatingAdmissionWebhook and ValidatingAdmissionWebhook:
// it follows the webhook configurations through watches, matches each write against
// their rules, selectors and matchConditions, and posts AdmissionReviews to the
// webhooks over TLS. Its matching helpers are shared with ValidatingAdmissionPolicy.
package webhook
