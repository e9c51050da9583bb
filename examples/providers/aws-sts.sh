#!/bin/sh
# guard `command` provider: AWS STS credentials for a role, printed in AWS
# `credential_process` form. STS credentials cannot be revoked: there is no
# revoke helper, and the expiry (15 minutes here) is the only end.
#   mint = ["aws-sts.sh", "arn:aws:iam::123456789012:role/assistant"]
set -eu
role=${1:?usage: aws-sts.sh ROLE_ARN}
aws sts assume-role --role-arn "$role" --role-session-name "guard-$GUARD_SESSION" \
    --duration-seconds 900 --output json | jq '{
    Version: 1,
    AccessKeyId: .Credentials.AccessKeyId,
    SecretAccessKey: .Credentials.SecretAccessKey,
    SessionToken: .Credentials.SessionToken,
    Expiration: .Credentials.Expiration
}'
